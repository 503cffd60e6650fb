"""Timers that fall due, rung as turns no one spoke: at once when the floor is free, after the
reply that is playing, and after the user's speech (or 5 s of it at most). The real skills and
timer board on a ManualClock; the reply desk and the speaker are recorders."""

from __future__ import annotations

from assistant.clock import NS_PER_MS, NS_PER_S, ManualClock
from assistant.conversation.rings import WAITS_FOR_SPEECH_NS, TimerRings
from assistant.conversation.turns import Floor
from assistant.events import TimerRinging, TimersChanged, TurnOpened
from assistant.skills.skills import Skills
from assistant.skills.timers import TimerBoard

T0 = 7_000 * NS_PER_MS


class Replies:
    def __init__(self, fails: bool = False):
        self.started = []
        self.fails = fails

    def start(self, turn, text, speculative=False, skill=None):
        if self.fails:
            raise RuntimeError("the voice is gone")
        self.started.append((turn, text, skill))


class Speaker:
    is_playing = False


class Rings:
    def __init__(self, fails: bool = False):
        self.clock = ManualClock(T0)
        self.board = TimerBoard(self.clock, wall=lambda: 1_796_220_300.0)
        self.skills = Skills(self.board)
        self.floor = Floor()
        self.replies = Replies(fails)
        self.speaker = Speaker()
        self.events = []
        self.rings = TimerRings(self.skills, self.floor, self.replies, self.speaker, self.clock,
                                self.events.append)

    def at(self, seconds: float) -> None:
        """The clock `seconds` after the start, and the conversation thread's check."""
        self.clock.sleep_until(T0 + int(seconds * NS_PER_S))
        self.rings.tick()

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]


def test_nothing_rings_before_a_timer_is_due():
    r = Rings()
    r.board.add("timer", 5)
    r.at(4.98)
    assert r.replies.started == [] and r.of(TimerRinging) == []


def test_a_due_timer_rings_as_a_turn_no_one_spoke_with_a_chime():
    r = Rings()
    r.board.add("timer", 5)
    r.at(5)
    [(turn, text, ring)] = r.replies.started
    assert turn.source == "timer" and turn.end_reason == "timer" and text == ""
    assert ring.skill == "ring" and ring.sound == "chime"
    assert ring.text == "Your 5 second timer is done."
    [opened] = r.of(TurnOpened)
    assert (opened.turn_id, opened.source, opened.t_ns) == (turn.turn_id, "timer", r.clock.now_ns())
    assert opened.generation == r.floor.generation
    [ringing] = r.of(TimerRinging)
    assert (ringing.turn_id, ringing.text) == (turn.turn_id, ring.text)
    assert r.board.active() == []
    r.at(10)
    assert len(r.replies.started) == 1  # rung once


def test_timers_due_together_ring_once_soonest_first():
    r = Rings()
    r.board.add("timer", 3)
    r.board.add("timer", 2)
    r.at(4)
    [(_turn, _text, ring)] = r.replies.started
    assert ring.text == "Your 2 second timer and your 3 second timer are done."


def test_a_ring_waits_for_the_reply_that_is_playing():
    r = Rings()
    r.board.add("timer", 1)
    answering = r.floor.new_turn(source="voice")
    r.floor.replying = answering
    r.at(2)
    r.at(30)  # however long the reply takes
    assert r.replies.started == []
    r.floor.replying = None
    r.speaker.is_playing = True  # its last audio still in the speaker
    r.at(31)
    assert r.replies.started == []
    r.speaker.is_playing = False
    r.at(31.02)
    assert len(r.replies.started) == 1


def test_a_ring_waits_for_the_user_to_finish_speaking_up_to_five_seconds():
    r = Rings()
    r.board.add("timer", 1)
    r.floor.listening = r.floor.new_turn(source="voice")
    r.at(1)  # due now: the wait counts from here
    r.at(1 + WAITS_FOR_SPEECH_NS / NS_PER_S - 0.02)
    assert r.replies.started == []
    r.at(1 + WAITS_FOR_SPEECH_NS / NS_PER_S)  # still speaking: it rings anyway
    assert len(r.replies.started) == 1


def test_a_ring_goes_as_soon_as_the_user_stops_speaking():
    r = Rings()
    r.board.add("timer", 1)
    r.floor.listening = r.floor.new_turn(source="voice")
    r.at(1.5)
    r.at(2)
    assert r.replies.started == []
    r.floor.listening = None
    r.at(2.02)
    assert len(r.replies.started) == 1


def test_the_wait_for_speech_starts_again_for_the_next_ring():
    r = Rings()
    r.board.add("timer", 1)
    r.board.add("timer", 20)
    r.at(1)
    assert len(r.replies.started) == 1
    r.floor.listening = r.floor.new_turn(source="voice")
    r.at(20)  # due while the user speaks: not the first ring's wait
    r.at(24)
    assert len(r.replies.started) == 1
    r.at(25)
    assert len(r.replies.started) == 2


def test_a_ring_that_fails_never_stops_the_conversation():
    r = Rings(fails=True)
    r.board.add("timer", 1)
    r.at(1)  # raises inside: logged, not raised
    assert r.of(TurnOpened)  # the ring was under way


def test_the_window_is_told_of_every_change_of_the_timers():
    r = Rings()
    r.rings.announce()
    assert r.of(TimersChanged)[-1].timers == ()
    r.board.add("timer", 60)
    assert [t.name for t in r.of(TimersChanged)[-1].timers] == ["1 minute timer"]
    r.at(60)
    assert r.of(TimersChanged)[-1].timers == ()  # rung: off the board
