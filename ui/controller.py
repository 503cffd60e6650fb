"""The window's handle on the core: one `Session`, its event bridge, its settings file.

`session.start()` loads models for seconds, so it runs on a worker thread; settings chosen
while it runs are applied when it is done (two loaders racing would each build a pipeline).
`session.apply_settings()` returns at once: the session loads new models, reopens the audio
devices and restarts the local API on its own settings thread, one change at a time and the
last one asked for last, and says what it is doing through the bridge (a state, and a banner
if it fails). So nothing here waits on engines or devices on the GUI thread.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal

from assistant.config import Settings, save_settings
from ui.bridge import EventBridge
from ui.workers import run_in_thread

log = logging.getLogger(__name__)


class SessionController(QObject):
    started = Signal(bool)  # whether the models loaded

    def __init__(self, settings: Settings, make_session: Callable, config_path: Path | None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self.config_path = config_path
        self.bridge = EventBridge(self)
        # the session gets a copy: these settings are the window's (what the dialog shows)
        self.session = make_session(settings.copy(), self.bridge.post)
        self._loader = None
        self._pending: Settings | None = None
        self.ready = False

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        session = self.session
        self._loader = run_in_thread(lambda report: session.start(), name="load-models",
                                     on_done=self._loaded, on_error=self._load_failed)

    @property
    def loading(self) -> bool:
        loader_running = self._loader is not None and self._loader.is_running()
        return loader_running or self.session.loading

    def _loaded(self, ok) -> None:
        self.ready = bool(ok)
        pending, self._pending = self._pending, None
        if pending is not None and self.ready:
            self.session.apply_settings(pending.copy())
        self.started.emit(self.ready)

    def _load_failed(self, exc: BaseException) -> None:
        log.error("starting the session failed", exc_info=exc)
        self.ready = False
        self.started.emit(False)
        raise_in_gui(exc)

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Stop events first (the window is going), then wait for a load in progress (stopping
        a session that is still loading would race it), then stop the session."""
        self.bridge.close()
        if self._loader is not None:
            self._loader.wait(timeout_s)
        try:
            self.session.stop()
        except Exception:
            log.exception("stopping the session failed")

    # --- settings -----------------------------------------------------------------------------

    def apply(self, new: Settings, save: bool = True) -> None:
        """Save (validated by the core; ConfigError propagates) and apply without a restart.
        Returns at once; the session applies it on its settings thread."""
        if save:
            save_settings(new, self.config_path)
        self.settings = new.copy()
        if self.loading and not self.ready:
            self._pending = new.copy()
            return
        self.session.apply_settings(new.copy())


def raise_in_gui(exc: BaseException) -> None:
    """Send an unexpected exception to the excepthook (banner + log) instead of losing it."""
    import sys

    sys.excepthook(type(exc), exc, exc.__traceback__)
