"""The main window never grows past the screen: a long message wraps (a long path or command
inside it too) and a long error in the header is cut short with "…", its whole text in the
tooltip."""

from __future__ import annotations

LONG_PATH = ("/home/someone/.local/share/voice-assistant/models/smollm2-135m-instruct-q4_1/"
             "SmolLM2-135M-Instruct.Q4_1.gguf")
MESSAGE = (f"LLM model 'smollm2-135m-instruct-q4_1' is registered but {LONG_PATH} is gone; run: "
           "voice-assistant models download smollm2-135m-instruct-q4_1")
SCREEN_WIDTH = 1280


def test_a_long_banner_wraps_instead_of_widening_the_window(qtbot, open_window):
    window = open_window(start=False)
    window.resize(1040, 700)
    qtbot.wait(50)
    width = window.width()
    window.show_notice(MESSAGE, "error")
    window.state.set_state("error", MESSAGE)
    qtbot.wait(100)
    assert window.width() == width
    assert window.minimumSizeHint().width() < SCREEN_WIDTH
    row = window.banner._rows[f"error:{MESSAGE}"]
    assert row.text == MESSAGE  # copied out as given: nothing inserted to make it wrap
    assert row.label.height() > 1.5 * row.label.fontMetrics().height()  # it wrapped
    assert window.state.toolTip() == MESSAGE


def test_the_window_can_be_narrower_than_a_long_message(qtbot, open_window):
    window = open_window(start=False)
    window.show_notice(MESSAGE, "warning")
    window.resize(760, 600)
    qtbot.wait(100)
    assert window.width() <= 800
