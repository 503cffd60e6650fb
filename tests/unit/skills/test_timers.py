"""Timers and alarms: the board, the file that keeps them over a restart, and what the
skills say and do (actions only when run, as a committed reply runs them)."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np

from assistant.clock import NS_PER_S, ManualClock
from assistant.skills.chime import chime
from assistant.skills.quantities import say_clock, say_date
from assistant.skills.skills import Skills
from assistant.skills.timers import MAX_TIMERS, TimerBoard, TimerStore

WALL0 = 1_796_220_300.0


def board_on(clock: ManualClock, store=None, wall0: float = WALL0) -> TimerBoard:
    return TimerBoard(clock, wall=lambda: wall0 + clock.now_ns() / NS_PER_S, store=store)


def said(skills: Skills, text: str, run: bool = True) -> str:
    reply = skills.reply_for(text)
    assert reply is not None, text
    if run:
        reply.act()
    return reply.text


def test_setting_asking_and_cancelling_several_timers():
    clock = ManualClock()
    skills = Skills(board_on(clock))
    assert said(skills, "set a timer for ten minutes") == "OK, a 10 minute timer, starting now."
    clock.advance(30 * NS_PER_S)
    assert said(skills, "how much time is left") == (
        "Your 10 minute timer has 9 minutes and 30 seconds left.")
    assert said(skills, "set a pasta timer for 5 minutes").endswith("That makes 2 timers.")
    assert said(skills, "what timers do I have") == (
        "You have 2 timers: the pasta timer has 5 minutes left and the 10 minute timer has "
        "9 minutes and 30 seconds left.")
    ask = said(skills, "cancel the timer")  # which one?
    assert "Which one" in ask and len(skills.board.active()) == 2
    assert said(skills, "cancel the pasta timer") == "OK, I've cancelled the pasta timer."
    assert [t.name for t in skills.board.active()] == ["10 minute timer"]
    assert said(skills, "cancel the timer") == "OK, I've cancelled the 10 minute timer."
    assert said(skills, "how long is left") == "You have no timers."
    assert said(skills, "cancel all timers") == "You have no timers."


def test_nothing_is_set_until_the_reply_is_committed():
    clock = ManualClock()
    skills = Skills(board_on(clock))
    reply = skills.reply_for("set a timer for 1 minute")
    assert skills.board.active() == []  # a speculative reply thrown away changes nothing
    reply.act()
    reply.act()  # once only
    assert len(skills.board.active()) == 1


def test_a_due_timer_rings_once_with_a_chime():
    clock = ManualClock()
    skills = Skills(board_on(clock))
    said(skills, "set a timer for 90 seconds")
    said(skills, "set an egg timer for 2 minutes")
    clock.advance(89 * NS_PER_S)
    skills.collect_due(clock.now_ns())
    assert not skills.ringing
    clock.advance(2 * NS_PER_S)
    skills.collect_due(clock.now_ns())
    ring = skills.next_ring()
    assert ring.text == "Your 90 second timer is done." and ring.sound == "chime"
    assert skills.next_ring() is None
    assert [t.name for t in skills.board.active()] == ["egg timer"]


def test_alarms_say_their_time_and_ring_then():
    clock = ManualClock()
    skills = Skills(board_on(clock))
    now = skills.now()
    text = said(skills, "wake me up at 7:30 a.m.")
    assert text.startswith("OK, an alarm for 7:30 AM, in ")
    [alarm] = skills.board.active()
    due = datetime.fromtimestamp(alarm.due_epoch_s)
    assert (due.hour, due.minute) == (7, 30) and 0 < (due - now).total_seconds() <= 86400
    assert said(skills, "when is my alarm").startswith("Your alarm for 7:30 AM goes off in ")
    clock.advance(int((due - now).total_seconds() + 1) * NS_PER_S)
    skills.collect_due(clock.now_ns())
    assert skills.next_ring().text == "It's 7:30 AM. Your alarm is going off."


def test_the_board_is_bounded_and_lengths_are_checked():
    clock = ManualClock()
    skills = Skills(board_on(clock))
    for _ in range(MAX_TIMERS):
        said(skills, "set a timer for 5 minutes")
    assert "at most" in said(skills, "set a timer for 5 minutes")
    assert len(skills.board.active()) == MAX_TIMERS
    assert said(skills, "set a timer for 30 hours") == "I can set timers of up to 24 hours."


def test_stop_silences_waiting_rings_and_say_again_repeats_the_last_reply():
    clock = ManualClock()
    skills = Skills(board_on(clock))
    assert said(skills, "say that again") == "I haven't said anything yet."
    skills.heard("Paris is the capital of France.")
    assert said(skills, "say that again") == "Paris is the capital of France."
    said(skills, "set a timer for 1 second")
    clock.advance(2 * NS_PER_S)
    skills.collect_due(clock.now_ns())
    assert skills.ringing
    assert said(skills, "stop") == ""
    assert not skills.ringing


def test_time_and_date_come_from_the_board_s_wall_clock():
    clock = ManualClock()
    skills = Skills(board_on(clock))
    now = datetime.fromtimestamp(WALL0)
    assert said(skills, "what time is it") == f"It's {say_clock(now)}."
    assert said(skills, "what's the date") == f"Today is {say_date(now)}."
    clock.advance(3600 * NS_PER_S)
    later = datetime.fromtimestamp(WALL0 + 3600)
    assert said(skills, "what's the time") == f"It's {say_clock(later)}."


def test_timers_are_kept_over_a_restart_and_the_lost_ones_told(tmp_path):
    path = tmp_path / "timers.json"
    clock = ManualClock()
    first = Skills(board_on(clock, TimerStore(path)))
    said(first, "set a timer for 1 minute")
    said(first, "set a pasta timer for 10 minutes")
    saved = json.loads(path.read_text())["timers"]
    assert [t["label"] for t in saved] == ["", "pasta"]
    # closed for two minutes: the 1 minute timer fell due meanwhile, the pasta still runs
    again = Skills(board_on(ManualClock(), TimerStore(path), wall0=WALL0 + 120))
    assert [t.name for t in again.board.active()] == ["pasta timer"]
    remaining = again.board.remaining_s(again.board.active()[0])
    assert 479 <= remaining <= 481
    lost = again.next_ring()
    assert lost.text.startswith("While I was closed, your 1 minute timer, at ")
    assert lost.text.endswith("went off.") and lost.sound == ""
    assert [t["label"] for t in json.loads(path.read_text())["timers"]] == ["pasta"]


def test_an_unreadable_timers_file_is_set_aside(tmp_path, caplog):
    path = tmp_path / "timers.json"
    path.write_text("{not json")
    board = board_on(ManualClock(), TimerStore(path))
    assert board.active() == [] and board.lost == []
    assert (tmp_path / "timers.json.bak").read_text() == "{not json"
    assert "set aside" in caplog.text
    board.add("timer", 60)
    assert len(json.loads(path.read_text())["timers"]) == 1


def test_the_chime_is_soft_and_fades_out():
    sound = chime(22050)
    assert sound.dtype == np.float32 and 1.5 < len(sound) / 22050 < 2.0
    assert 0.25 < np.abs(sound).max() <= 0.3
    assert np.abs(sound[-200:]).max() < 0.01  # no click at the end
    assert np.abs(sound[:5]).max() < 0.05  # nor at the start
