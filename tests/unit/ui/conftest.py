"""Fixtures for the desktop app's tests: an offscreen Qt, a settings folder of their own, and
windows wired to a scripted session or to a real one."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from assistant.config import Settings  # noqa: E402
from unit.ui.fakes import FakeSession  # noqa: E402


@pytest.fixture(autouse=True)
def collect_on_gui_thread(qapp):
    """As in the app: garbage holding Qt objects must never be collected on a core thread."""
    from ui.gc_guard import GuiThreadCollector

    collector = GuiThreadCollector()
    yield collector
    collector.stop()


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """Settings are written under tmp_path, never to the developer's own file."""
    path = tmp_path / "config"
    monkeypatch.setenv("VOICE_ASSISTANT_CONFIG_DIR", str(path))
    return path


@pytest.fixture
def open_window(qtbot, tmp_path):
    """`open_window(settings=None, session_factory=None, **fake_options) -> MainWindow`, with a
    FakeSession unless a factory `(settings, on_event) -> session` is given. The session is
    started (on its worker thread) and stopped at the end of the test."""
    from ui.controller import SessionController
    from ui.main_window import MainWindow

    made = []

    def make(settings: Settings | None = None, session_factory=None, start: bool = True,
             model_manager=None, **options):
        settings = settings or Settings()
        factory = session_factory or (lambda s, on_event: FakeSession(s, on_event, **options))
        controller = SessionController(settings, factory, tmp_path / "settings.toml")
        window = MainWindow(controller, model_manager)
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        if start:
            with qtbot.waitSignal(controller.started, timeout=120_000):
                controller.start()
        return window

    yield make
    for window in made:
        window.close()
        window.controller.shutdown()


