"""The window's timers: a live countdown per timer, Cancel buttons that reach the session,
a ring shown as a turn no one spoke, and the panel out of the way when nothing is set."""

from __future__ import annotations

from PySide6.QtCore import Qt

from assistant.events import (
    LlmFinished, StatusChanged, TextChunk, TimerRinging, TimersChanged, TurnCompleted,
)
from assistant.skills.timers import TimerView
from ui.widgets.timers import TimersPanel, countdown


class FakeWall:
    def __init__(self, now: float = 1_796_220_300.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def shown_texts(panel: TimersPanel) -> list[str]:
    grid = panel._grid
    return [grid.itemAt(i).widget().text() for i in range(grid.count())
            if hasattr(grid.itemAt(i).widget(), "text")]


def views(wall: FakeWall) -> tuple:
    return (TimerView(1, "timer", "pasta timer", 300.0, wall.now + 65.2),
            TimerView(2, "alarm", "alarm for 7:30 AM", 3600.0, wall.now + 3725.0))


def test_countdowns_run_on_the_wall_clock_and_the_panel_hides_when_empty(qtbot):
    wall = FakeWall()
    panel = TimersPanel(wall=wall)
    qtbot.addWidget(panel)
    assert panel.isHidden()  # nothing set
    panel.set_timers(views(wall))
    assert not panel.isHidden() and panel.tick.isActive()
    name, left, _cancel = panel.rows[1]
    assert name.text() == "Pasta timer" and left.text() == "1:06"
    assert panel.rows[2][1].text() == "in 1:02:05"
    wall.now += 10
    panel.refresh()
    assert left.text() == "0:56"
    # the pasta timer rings (the core takes it off the board): "done" for a few seconds
    wall.now += 56
    panel.set_timers(views(FakeWall(wall.now - 66))[1:])
    assert "Pasta timer: done" in shown_texts(panel)
    wall.now += 6
    panel.refresh()
    assert "Pasta timer: done" not in shown_texts(panel)
    panel.set_timers(())
    assert panel.isHidden() and not panel.tick.isActive()


def test_a_cancelled_timer_is_not_shown_as_done(qtbot):
    wall = FakeWall()
    panel = TimersPanel(wall=wall)
    qtbot.addWidget(panel)
    panel.set_timers(views(wall))
    panel.set_timers(views(wall)[1:])  # cancelled a minute before it was due
    assert list(panel.rows) == [2] and panel._done == {}


def test_countdown_format():
    assert countdown(65.2) == "1:06" and countdown(0.2) == "0:01" and countdown(-3) == "0:00"
    assert countdown(3725) == "1:02:05"


def test_the_window_shows_timers_and_its_cancel_button_reaches_the_session(open_window, qtbot):
    window = open_window()
    bridge = window.controller.bridge
    import time

    now = time.time()
    bridge.post(TimersChanged(timers=(TimerView(7, "timer", "10 minute timer", 600.0, now + 600),)))
    qtbot.waitUntil(lambda: window.timers.isVisible(), timeout=3000)
    _name, left, cancel = window.timers.rows[7]
    assert left.text() in ("10:00", "9:59")
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert window.controller.session.calls[-1] == "cancel_timer:7"
    bridge.post(TimersChanged(timers=()))
    qtbot.waitUntil(lambda: not window.timers.isVisible(), timeout=3000)


def test_a_ring_is_a_turn_with_no_user_bubble_and_leaves_the_latency_alone(open_window, qtbot):
    window = open_window()
    bridge = window.controller.bridge
    text = "Your 10 minute timer is done."
    for event in (TimerRinging(turn_id=40, text=text),
                  StatusChanged(turn_id=40, generation=5, state="thinking"),
                  LlmFinished(turn_id=40, generation=5, text=text, n_tokens=0, reason="skill"),
                  TextChunk(turn_id=40, generation=5, text=text, index=0, sound="chime"),
                  TurnCompleted(turn_id=40, generation=5, user_text="", reply_text=text,
                                interrupted=False,
                                metrics={"source": "timer", "v2v_ms": None, "stages_ms": {}})):
        bridge.post(event)
    qtbot.waitUntil(lambda: bool(window.conversation.turns)
                    and window.conversation.turns[-1].reply.finished, timeout=3000)
    turn = window.conversation.turns[-1]
    assert "Timer" in turn.user_label.text() and text in turn.reply_label.text()
    assert len(window.conversation.turns) == 1
    assert window.latency.stats.values() == []  # not a turn anyone waited for
