"""Run under a real X screen (tests/slow/ui/test_window_on_screen.py): open the main window as
the app does, on a scripted session, with the four start-up banners, and print where the
screen's available area and each control are, as JSON on stdout."""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QRect, QTimer
from PySide6.QtWidgets import QApplication

from assistant.config import Settings
from ui.controller import SessionController
from ui.main_window import MainWindow
from ui.theme import apply_theme
from unit.ui.fakes import FakeSession
from unit.ui.test_window_fits import STARTUP_BANNERS, controls


def rect(r: QRect) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def main(settings_path: str) -> int:
    app = QApplication(sys.argv[:1])
    apply_theme(app)
    controller = SessionController(Settings(), lambda s, on_event: FakeSession(s, on_event),
                                   settings_path)
    window = MainWindow(controller)
    window.show()
    controller.start()
    for text, level in STARTUP_BANNERS:
        window.banner.show_message(text, level, timeout_ms=0)
    found = {}

    def probe() -> None:
        found["screen"] = rect(window.screen().availableGeometry())
        found["window"] = rect(window.frameGeometry())
        found["controls"] = {
            name: {"rect": rect(QRect(widget.mapToGlobal(widget.rect().topLeft()),
                                      widget.size())),
                   "visible": widget.isVisible()}
            for name, widget in controls(window).items()}
        window.close()
        controller.shutdown()
        app.quit()

    QTimer.singleShot(1500, probe)  # the window manager's (or Xvfb's) placement, then layout
    app.exec()
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
