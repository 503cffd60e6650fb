"""The download dialog against a real HTTP server on 127.0.0.1 serving a small GGUF file."""

from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import tomli_w

from assistant.modelstore.manager import ModelManager
from helpers.model_files import gguf_bytes
from ui.download_dialog import DownloadDialog

# the fake Vosk folders here have no real weights: Vosk is not asked to load them
pytestmark = pytest.mark.usefixtures("fake_vosk_models")


MODEL = gguf_bytes(1 << 20)  # a whole (tiny, fake) GGUF of 1 MB


class SlowFile(BaseHTTPRequestHandler):
    """Sends the file in small pieces with pauses, so progress and Cancel can be seen."""

    pause_s = 0.01

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(MODEL)))
        self.end_headers()
        try:
            for start in range(0, len(MODEL), 16384):
                self.wfile.write(MODEL[start:start + 16384])
                time.sleep(self.pause_s)
        except (BrokenPipeError, ConnectionResetError):  # the client cancelled
            pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), SlowFile)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def manager(tmp_path, server):
    catalog = tmp_path / "catalog.toml"
    catalog.write_bytes(tomli_w.dumps({"models": [{
        "id": "tiny-test-llm", "kind": "llm-gguf", "language": "en", "size": len(MODEL),
        "sha256": hashlib.sha256(MODEL).hexdigest(), "license": "MIT",
        "description": "A test file that looks like a GGUF model.",
        "url": f"http://127.0.0.1:{server.server_address[1]}/tiny.gguf",
    }]}).encode())
    return ModelManager(models_dir=tmp_path / "models", catalog_path=catalog)


def test_download_shows_progress_and_installs(qtbot, manager):
    dialog = DownloadDialog(manager, kind="llm-gguf")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.selected_id() == "tiny-test-llm"
    assert dialog.table.item(0, 2).text() == "available"
    values = []
    dialog.progress.valueChanged.connect(values.append)
    with qtbot.waitSignal(dialog.installed, timeout=30_000) as signal:
        dialog.download_button.click()
        assert dialog.cancel_button.isEnabled() and not dialog.download_button.isEnabled()
    assert signal.args[0].id == "tiny-test-llm"
    assert dialog.progress.value() == 100
    assert any(0 < v < 100 for v in values)  # it moved on the way
    assert dialog.table.item(0, 2).text() == "installed"
    assert "installed" in dialog.status.text()
    assert manager.get_installed("tiny-test-llm").path.read_bytes() == MODEL
    assert not dialog.cancel_button.isEnabled()


def test_cancel_leaves_nothing_installed(qtbot, manager, monkeypatch):
    monkeypatch.setattr(SlowFile, "pause_s", 0.05)
    dialog = DownloadDialog(manager, kind="llm-gguf")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.download_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() > 5, timeout=10_000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "cancelled" in dialog.status.text()
    assert manager.installed() == []
    assert not (manager.models_dir / "tiny-test-llm").exists()
    assert dialog.table.item(0, 2).text() != "installed"
    assert dialog.download_button.isEnabled()


def test_a_failed_download_is_reported_in_the_dialog(qtbot, tmp_path):
    catalog = tmp_path / "bad.toml"
    catalog.write_bytes(tomli_w.dumps({"models": [{
        "id": "gone", "kind": "llm-gguf", "language": "en", "size": 1000, "license": "MIT",
        "description": "Nobody serves this.", "url": "http://127.0.0.1:9/gone.gguf",
    }]}).encode())
    manager = ModelManager(models_dir=tmp_path / "models", catalog_path=catalog, timeout=2)
    dialog = DownloadDialog(manager, kind="llm-gguf")
    qtbot.addWidget(dialog)
    dialog.download_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15_000)
    assert "color:#c0392b" in dialog.status.styleSheet() and dialog.status.text()
    assert manager.installed() == []


def test_an_entry_without_a_checksum_says_so(qtbot, tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_bytes(tomli_w.dumps({"models": [
        {"id": "pinned-llm", "kind": "llm-gguf", "language": "en", "size": len(MODEL),
         "sha256": hashlib.sha256(MODEL).hexdigest(), "license": "MIT",
         "description": "A pinned model.", "url": "https://example.org/pinned.gguf"},
        {"id": "unpinned-llm", "kind": "llm-gguf", "language": "en", "size": 2_000_000,
         "license": "MIT", "description": "A model without a published checksum.",
         "url": "https://example.org/unpinned.gguf"},
    ]}).encode())
    manager = ModelManager(models_dir=tmp_path / "models", catalog_path=catalog)
    dialog = DownloadDialog(manager, kind="llm-gguf")
    qtbot.addWidget(dialog)
    dialog.show()
    sizes = {dialog.table.item(row, 0).text(): dialog.table.item(row, 1).text()
             for row in range(dialog.table.rowCount())}
    assert sizes["pinned-llm"] == "1.0 MB" and sizes["unpinned-llm"].startswith("~")
    dialog.table.selectRow(0)
    assert "checksum" not in dialog.description.text()
    dialog.table.selectRow(1)
    assert "No checksum is published" in dialog.description.text()
