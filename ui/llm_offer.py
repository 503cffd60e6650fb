"""First run, after the Vosk offer: a stronger LLM, when this machine runs one fast enough.

Once the session is up, the default LLM is timed on a worker thread (a few seconds, once:
the figure is cached, `assistant/llm/speed_table.py`), every catalog LLM's speed is
estimated from it, and the strongest one expected to start replying within 300 ms is offered
in the banner, if it is stronger than the model in use and not installed yet. "Download"
opens the download dialog on it and, once it is installed, switches `llm.model` to it (the
session loads it in the background, as any settings change does). The answer, "Download" or
"Not now" (or closing the message), is remembered (`assistant/asked.py`), so the offer is
made once. When nothing qualifies, nothing is said.
"""

from __future__ import annotations

import logging

from assistant.asked import AskedOnce
from assistant.llm.speed_estimate import model_to_offer
from assistant.modelstore.manager import human_size

log = logging.getLogger(__name__)

KEY = "first-run-llm"


def asked_key(model_id: str) -> str:
    return f"stronger-llm:{model_id}"


def candidates(manager, settings, asked: AskedOnce) -> list[str]:
    """Catalog LLMs stronger than the one in use, not installed and not asked about: when
    there are none, there is nothing to time."""
    try:
        llms = {e.id: e.parameters for e in manager.catalog() if e.kind == "llm-gguf"}
        installed = {m.id for m in manager.find_installed("llm-gguf")}
    except Exception:  # an unreadable catalog or registry: the core reports it when it loads
        log.warning("could not read the model catalog or registry", exc_info=True)
        return []
    mine = llms.get(settings.llm.model)
    if not mine:
        return []  # a model of the person's own: no opinion on what is stronger
    answered = asked.answers()
    return [model_id for model_id, size in llms.items()
            if size and size > mine and model_id not in installed
            and asked_key(model_id) not in answered]


def offer_when_started(window, manager, asked: AskedOnce | None = None, cache=None) -> None:
    """Time and offer once the session has started (so the timing does not share the CPU
    with the models loading)."""
    done = []

    def started(ok: bool) -> None:
        if ok and not done:
            done.append(True)
            offer(window, manager, asked, cache)

    window.controller.started.connect(started)


def offer(window, manager, asked: AskedOnce | None = None, cache=None):
    """Start timing on a worker thread; the banner follows if a model qualifies. Returns the
    worker's handle, or None when there is nothing to offer."""
    from assistant.llm.speed_table import speed_table
    from ui.workers import run_in_thread

    asked = asked or AskedOnce()
    settings = window.controller.settings.copy()
    if not candidates(manager, settings, asked):
        return None
    return run_in_thread(
        lambda report: speed_table(manager, settings.llm, cache, measure="reference"),
        name="llm-speed", on_done=lambda table: show(window, manager, table, settings, asked),
        on_error=lambda exc: log.warning("timing the LLM failed: %s", exc))


def show(window, manager, table, settings, asked: AskedOnce) -> bool:
    """The banner for `table`'s best model, if there is one to offer; True if shown."""
    for problem in table.problems:  # one line each; the session says the same when it loads
        log.warning("could not time the LLM: %s", problem)
    best = model_to_offer(table.speeds, settings.llm.model, table.installed)
    if best is None or asked.answered(asked_key(best.model_id)):
        return False
    entry = manager.catalog_entry(best.model_id)
    size = f" ({human_size(entry.size)})" if entry is not None else ""
    now = table.get(settings.llm.model)
    compared = f"; {now.ttft_ms:.0f} ms now" if now is not None and now.known else ""
    how = "measured" if best.measured else f"estimated from timing {best.basis} here"
    text = (f"A stronger language model runs fast enough on this computer: {best.model_id}"
            f"{size} gives better answers and should start replying in about "
            f"{best.ttft_ms:.0f} ms ({how}{compared}). Download it and use it?")
    key = asked_key(best.model_id)
    window.banner.show_message(
        text, "info", key=KEY,
        action=("Download", lambda: download(window, manager, best.model_id, asked)),
        decline=("Not now", lambda: asked.remember(key, "not now")))
    return True


def download(window, manager, model_id: str, asked: AskedOnce):
    from ui.download_dialog import DownloadDialog

    asked.remember(asked_key(model_id), "download")
    window.banner.dismiss(KEY)
    dialog = DownloadDialog(manager, kind="llm-gguf", model_id=model_id, parent=window)
    dialog.installed.connect(lambda model: use_model(window, model))
    dialog.show()
    dialog.start_download()
    return dialog


def use_model(window, model) -> None:
    if model.kind != "llm-gguf":
        return
    new = window.controller.settings.copy()
    new.llm.model = model.id
    window.controller.apply(new)  # reloads the LLM in the background
