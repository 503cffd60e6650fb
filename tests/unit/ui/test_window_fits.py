"""The window fits a laptop's screen: it opens inside the available area; at 1280 x 800 and
1366 x 768 every control is on it, with the four start-up banners too; narrower, the side
column folds away; however many banners come, they scroll instead of pushing the controls
off. (tests/slow/ui/test_window_on_screen.py checks it on a real X screen under Xvfb.)"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMargins, QRect, QSize
from PySide6.QtWidgets import QApplication

from ui import screen_fit

# what the app can say at its first start on a laptop without a microphone or a Vosk model
STARTUP_BANNERS = [
    ("No Vosk speech model for English is installed, so Whisper is used meanwhile: it works, "
     "and shows your words in steps while you speak. Download vosk-model-small-en-us-0.15 "
     "(40 MB) for words that follow your voice as you say them.", "warning"),
    ("No microphone found; plug one in or choose another with --input-device. Typed "
     "questions still work.", "warning"),
    ("The local API is on http://127.0.0.1:8765 (token in /home/someone/.config/"
     "voice-assistant/api-token).", "info"),
    ("A stronger language model would answer better and still quickly here: "
     "qwen2.5-1.5b-instruct-q4_k_m (1.1 GB). Download it?", "info"),
]
# a laptop screen less a desktop's top panel, less the title bar screen_fit allows for
LAPTOPS = {"1280 x 800": QRect(0, 27, 1280, 773), "1366 x 768": QRect(0, 27, 1366, 741)}


def controls(window) -> dict:
    return {"state": window.state, "Open mic": window.open_mic, "Clear": window.clear_button,
            "Settings": window.settings_button, "transcript": window.transcript,
            "microphone meter": window.level, "Hold to talk": window.talk,
            "text field": window.input, "Send": window.send_button, "Stop": window.stop_button,
            "conversation": window.conversation}


def off_the_window(window) -> list[str]:
    """The controls not wholly inside the window, or squeezed below their own height."""
    QApplication.processEvents()
    shown = window.rect()
    bad = []
    for name, widget in controls(window).items():
        rect = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
        if not widget.isVisible() or not shown.contains(rect):
            bad.append(f"{name} at {rect.getRect()} outside {shown.getRect()}")
        elif widget.height() < widget.minimumSizeHint().height():
            bad.append(f"{name} squeezed to {widget.height()} px")
    return bad


def with_banners(window, banners=STARTUP_BANNERS) -> None:
    for text, level in banners:
        window.banner.show_message(text, level, timeout_ms=0)


def test_fit_shrinks_to_the_available_area_and_centres():
    room = QRect(0, 27, 1280, 773)
    placed = screen_fit.fit(room, QSize(1100, 720), QMargins(2, 38, 2, 2))
    assert placed.size() == QSize(1100, 720)
    assert room.contains(placed.adjusted(-2, -38, 2, 2))
    small = screen_fit.fit(QRect(0, 0, 1024, 600), QSize(1100, 720), QMargins(2, 38, 2, 2))
    assert small == QRect(2, 38, 1020, 560)


def test_it_opens_inside_the_screen(open_window):
    window = open_window(start=False)
    available = window.screen().availableGeometry()
    assert available.contains(window.geometry()), (window.geometry(), available)
    assert not off_the_window(window)


@pytest.mark.parametrize("laptop", list(LAPTOPS))
def test_every_control_is_on_a_laptop_screen_with_the_startup_banners(open_window, qtbot,
                                                                      laptop):
    window = open_window(start=False)
    room = screen_fit.fit(LAPTOPS[laptop], QSize(4000, 4000))  # all it can have
    window.setGeometry(room)
    with_banners(window)
    qtbot.waitUntil(lambda: window.banner_area.isVisible(), timeout=1000)
    qtbot.wait(50)
    assert window.size() == room.size(), f"{window.size()} on a {laptop} screen"
    assert not off_the_window(window)
    assert window.side.isVisible() and window.latency.isVisible()  # room for the side column


def test_banners_scroll_instead_of_pushing_the_controls_off(open_window, qtbot):
    window = open_window(start=False)
    room = screen_fit.fit(LAPTOPS["1366 x 768"], QSize(4000, 4000))
    window.setGeometry(room)
    with_banners(window, [(f"Notice number {i}: " + "something worth saying. " * 8, "warning")
                          for i in range(12)])
    qtbot.wait(100)
    assert window.size() == room.size()
    assert window.banner_area.height() <= window.height() * 0.25 + 1
    assert window.banner_area.verticalScrollBar().maximum() > 0  # the rest is a scroll away
    assert not off_the_window(window)


def test_a_small_window_folds_the_side_column_and_keeps_the_controls(open_window, qtbot):
    window = open_window(start=False)
    with_banners(window)
    window.resize(760, 520)
    qtbot.wait(100)
    assert window.width() <= 760 and window.height() <= 520
    assert not window.side.isVisible()
    assert not off_the_window(window)


def test_timers_stay_in_a_narrow_window(open_window, qtbot):
    import time

    from assistant.events import TimersChanged
    from assistant.skills.timers import TimerView

    window = open_window()
    window.resize(760, 560)
    window.controller.bridge.post(TimersChanged(timers=(
        TimerView(7, "timer", "10 minute timer", 600.0, time.time() + 600),)))
    qtbot.waitUntil(lambda: window.timers.isVisible(), timeout=3000)
    assert not window.side.isVisible()
    window.resize(1200, 720)  # wide again: back in the side column
    qtbot.wait(50)
    assert window.timers.isVisible() and window.side.isAncestorOf(window.timers)
    assert not off_the_window(window)


def test_it_comes_back_where_it_was_left_fitted_to_the_screen(open_window, qtbot, config_dir):
    window = open_window(start=False)
    window.setGeometry(QRect(40, 60, 700, 500))
    qtbot.wait(20)
    window.close()
    assert (config_dir / "window.json").is_file()
    again = open_window(start=False)  # the next start
    assert again.geometry() == QRect(40, 60, 700, 500)
    again.setGeometry(QRect(0, 0, 3000, 2000))  # as if kept on a large monitor
    again.close()
    laptop = open_window(start=False)
    available = laptop.screen().availableGeometry()
    assert available.contains(laptop.geometry()), (laptop.geometry(), available)
    assert not off_the_window(laptop)


def test_a_replay_neither_takes_nor_keeps_the_place(qtbot, config_dir):
    from ui.controller import SessionController
    from ui.main_window import MainWindow
    from unit.ui.fakes import FakeSession

    from assistant.config import Settings

    controller = SessionController(Settings(), lambda s, on_event: FakeSession(s, on_event),
                                   config_dir / "s.toml")
    window = MainWindow(controller, remember_place=False)
    qtbot.addWidget(window)
    window.show()
    window.close()
    controller.shutdown()
    assert not (config_dir / "window.json").exists()
