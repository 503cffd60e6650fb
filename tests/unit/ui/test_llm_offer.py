"""First run, after the Vosk offer: a stronger LLM when this machine runs one at conversational
speed, offered once, downloaded through the download dialog (from a real HTTP server on
127.0.0.1), then used; and the settings page that shows every LLM's speed here. The probe is
faked with set figures (the real one is timed in tests/unit/llm/test_speed.py)."""

from __future__ import annotations

import pytest
import tomli_w

from assistant.asked import AskedOnce
from assistant.config import Settings, load_settings
from assistant.llm import speed
from assistant.llm.speed import SpeedMeasurement
from assistant.llm.speed_cache import SpeedCache
from assistant.llm.speed_table import REFERENCE
from assistant.modelstore.manager import ModelManager
from assistant.modelstore.registry import InstalledModel
from helpers.http_server import FileServer
from helpers.model_files import gguf_bytes, sha256
from ui import llm_offer
from ui.download_dialog import DownloadDialog
from ui.settings_dialog import SettingsDialog

QWEN_05, QWEN_15 = "qwen2.5-0.5b-instruct-q4_k_m", "qwen2.5-1.5b-instruct-q4_k_m"


@pytest.fixture
def probe(monkeypatch):
    """`probe.ttft[model_id] = ms` sets what the faked probe measures; `probe.calls` lists
    the models it timed."""

    class Probe:
        ttft = {REFERENCE: 57.0}
        calls: list[str] = []

        def __call__(self, model_id, path, settings, **kwargs):
            self.calls.append(model_id)
            return SpeedMeasurement(model_id, self.ttft[model_id], 70.0, 13, 5)

    fake = Probe()
    monkeypatch.setattr(speed, "measure", fake)
    return fake


def install(manager: ModelManager, model_id: str) -> None:
    path = manager.models_dir / model_id / f"{model_id}.gguf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gguf_bytes(4096))
    manager._register(InstalledModel(model_id, "llm-gguf", "en", path, "catalog"))


@pytest.fixture
def manager(tmp_path):
    """The real catalog; the default LLM installed (a small fake file)."""
    manager = ModelManager(models_dir=tmp_path / "models")
    install(manager, REFERENCE)
    return manager


@pytest.fixture
def asked(tmp_path):
    return AskedOnce(tmp_path / "config" / "asked.json")


@pytest.fixture
def cache(tmp_path):
    return SpeedCache(tmp_path / "llm-speed.json")


def run_offer(qtbot, window, manager, asked, cache):
    handle = llm_offer.offer(window, manager, asked, cache)
    if handle is not None:
        with qtbot.waitSignal(handle.done, timeout=10_000):
            pass
    return handle


def offer_row(window):
    return window.banner._rows.get(llm_offer.KEY)


def test_a_fast_machine_is_offered_the_strongest_model_once(open_window, qtbot, manager, asked,
                                                            cache, probe):
    probe.ttft[REFERENCE] = 20.0  # Qwen2.5 1.5B: 230 ms, still conversational
    window = open_window(model_manager=manager)
    run_offer(qtbot, window, manager, asked, cache)
    row = offer_row(window)
    assert row is not None and row.level == "info"
    assert QWEN_15 in row.text and "about 230 ms" in row.text and "20 ms now" in row.text
    assert "estimated from timing smollm2-135m-instruct-q4_1 here" in row.text
    assert row.action_button.text() == "Download" and row.decline_button.text() == "Not now"
    assert probe.calls == [REFERENCE]

    row.decline_button.click()
    assert offer_row(window) is None
    assert asked.answers() == {f"stronger-llm:{QWEN_15}": "not now"}
    run_offer(qtbot, window, manager, asked, cache)  # the next start: cached, answered
    assert offer_row(window) is None and window.banner.messages() == []
    assert probe.calls == [REFERENCE]  # the figure was not timed again


def test_closing_the_offer_is_a_no_too(open_window, qtbot, manager, asked, cache, probe):
    window = open_window(model_manager=manager)
    run_offer(qtbot, window, manager, asked, cache)
    offer_row(window).close_button.click()
    assert asked.answered(f"stronger-llm:{QWEN_05}")  # 209 ms on a 57 ms machine
    run_offer(qtbot, window, manager, asked, cache)
    assert offer_row(window) is None


def test_a_slow_machine_is_offered_nothing(open_window, qtbot, manager, asked, cache, probe):
    probe.ttft[REFERENCE] = 120.0  # Qwen2.5 0.5B would take 441 ms
    window = open_window(model_manager=manager)
    handle = run_offer(qtbot, window, manager, asked, cache)
    assert handle is not None and handle.finished_ok
    assert window.banner.messages() == [] and asked.answers() == {}


def test_nothing_is_timed_when_every_stronger_model_is_installed(open_window, qtbot, manager,
                                                                 asked, cache, probe):
    for entry in manager.catalog():
        if entry.kind == "llm-gguf":
            install(manager, entry.id)
    window = open_window(model_manager=manager)
    assert llm_offer.offer(window, manager, asked, cache) is None
    assert probe.calls == []


def test_the_offer_waits_for_the_session_to_start(open_window, qtbot, manager, asked, cache,
                                                  probe):
    window = open_window(model_manager=manager, start=False, load_s=0.3)
    llm_offer.offer_when_started(window, manager, asked, cache)
    with qtbot.waitSignal(window.controller.started, timeout=10_000):
        window.controller.start()
        assert probe.calls == []  # not while the models load
    qtbot.waitUntil(lambda: offer_row(window) is not None, timeout=10_000)
    assert probe.calls == [REFERENCE]


def test_download_goes_through_the_download_dialog_then_the_model_is_used(
        open_window, qtbot, tmp_path, asked, cache, probe):
    model = gguf_bytes(300_000)
    with FileServer() as server:
        catalog = tmp_path / "catalog.toml"
        common = {"kind": "llm-gguf", "language": "en", "license": "MIT",
                  "description": "A test file that looks like a GGUF model."}
        catalog.write_text(tomli_w.dumps({"models": [
            dict(common, id=REFERENCE, size=len(model), sha256=sha256(model),
                 url=server.add("/small.gguf", model), parameters=134_515_008),
            dict(common, id="bigger-llm", size=len(model), sha256=sha256(model),
                 url=server.add("/bigger.gguf", model), parameters=500_000_000),
        ]}))
        manager = ModelManager(models_dir=tmp_path / "models", catalog_path=catalog)
        install(manager, REFERENCE)
        window = open_window(model_manager=manager)
        run_offer(qtbot, window, manager, asked, cache)
        row = offer_row(window)
        assert row is not None and "bigger-llm" in row.text  # 212 ms on a 57 ms machine

        row.action_button.click()
        dialog = window.findChild(DownloadDialog)
        assert dialog is not None and dialog.isVisible()
        assert dialog.selected_id() == "bigger-llm" and dialog.busy
        qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
        assert "bigger-llm is installed (sha256 verified)" in dialog.status.text()
        assert server.requests_for("/bigger.gguf") and not server.requests_for("/small.gguf")
    assert manager.get_installed("bigger-llm").path.read_bytes() == model
    assert window.controller.session.applied[-1].llm.model == "bigger-llm"
    assert load_settings(tmp_path / "settings.toml").llm.model == "bigger-llm"
    assert asked.answers() == {"stronger-llm:bigger-llm": "download"}
    assert offer_row(window) is None
    dialog.close()


def test_the_settings_page_shows_each_models_speed_and_measures_again(
        qtbot, tmp_path, monkeypatch, manager, probe):
    monkeypatch.setenv("VOICE_ASSISTANT_DATA_DIR", str(tmp_path / "data"))  # the cache
    from assistant.llm.speed_table import speed_table

    speed_table(manager, Settings().llm, measure="reference")  # as the first run left it
    dialog = SettingsDialog(Settings(), model_manager=manager)
    qtbot.addWidget(dialog)
    speeds = dialog.llm_speeds

    def cells(model_id):
        table = speeds.table
        row = next(r for r in range(table.rowCount())
                   if table.item(r, 0).text().split()[0] == model_id)
        return [table.item(row, c).text() for c in range(table.columnCount())]

    assert cells(REFERENCE) == [f"{REFERENCE}  (installed)", "~57 ms", "~70 tokens/s",
                                "measured here"]
    assert cells(QWEN_05) == [QWEN_05, "~209 ms", "~19 tokens/s", "estimated"]
    assert speeds.table.item(1, 3).toolTip().startswith(f"Scaled from {REFERENCE}, timed on this")
    assert cells(QWEN_15)[1] == "~654 ms"
    assert speeds.table.item(3, 1).toolTip().startswith("Over 300 ms")

    install(manager, QWEN_05)  # downloaded meanwhile: it can be measured for real
    speeds.refresh()
    assert speeds.status.text() == f"{QWEN_05} is installed but only estimated: measure it."
    probe.ttft[QWEN_05] = 180.0
    speeds.measure_button.click()
    assert not speeds.measure_button.isEnabled()
    qtbot.waitUntil(lambda: not speeds.busy, timeout=10_000)
    assert sorted(probe.calls) == sorted([REFERENCE, REFERENCE, QWEN_05])
    assert cells(QWEN_05)[0:4] == [f"{QWEN_05}  (installed)", "~180 ms", "~70 tokens/s",
                                   "measured here"]
    assert cells(QWEN_15)[1:] == ["~562 ms", "~22 tokens/s", "estimated"]
    assert speeds.table.item(3, 3).toolTip().startswith(f"Scaled from {QWEN_05}, timed on this")
    assert speeds.measure_button.isEnabled()


def test_a_damaged_default_model_is_one_log_line_and_no_offer(open_window, qtbot, manager,
                                                             asked, cache, caplog):
    path = manager.get_installed(REFERENCE).path
    path.write_bytes(b"GGUF" + bytes(10))  # cut short: the real probe refuses it
    window = open_window(model_manager=manager)
    with caplog.at_level("WARNING", logger="ui.llm_offer"):
        handle = run_offer(qtbot, window, manager, asked, cache)
    assert handle.finished_ok and window.isVisible()
    assert window.banner.messages() == [] and asked.answers() == {}
    (record,) = [r for r in caplog.records if r.name == "ui.llm_offer"]
    assert record.getMessage().startswith("could not time the LLM: ")
    assert REFERENCE in record.getMessage() or path.name in record.getMessage()
    assert record.exc_info is None and "\n" not in record.getMessage()
