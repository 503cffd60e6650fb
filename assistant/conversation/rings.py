"""Timers that fall due, rung as replies of their own when the floor is free.

A ring is a turn with no speech (`source="timer"`) whose reply is the skill's line with a
chime before it. It waits for a reply that is playing to end, and up to 5 s for the user to
finish speaking; then it rings anyway. Checked by the conversation thread between items
(`tick`), so a replay or the stage harness drives it on its own clock.
"""

from __future__ import annotations

import logging

from assistant.events import TimerRinging, TimersChanged, TurnOpened

log = logging.getLogger(__name__)

WAITS_FOR_SPEECH_NS = 5_000_000_000


class TimerRings:
    def __init__(self, skills, floor, replies, speaker, clock, publish):
        self.skills = skills
        self.floor = floor
        self.replies = replies
        self.speaker = speaker
        self.clock = clock
        self.publish = publish
        self._due_since_ns: int | None = None  # when the waiting ring came due
        skills.board.on_change = self.announce  # the board is this conversation's now

    def tick(self) -> None:
        try:
            self._ring_when_free()
        except Exception:  # a timer must never stop the conversation
            log.exception("ringing a timer failed")

    def announce(self) -> None:
        """Tell the window which timers are set (after every change, and when a new
        conversation starts: after a restart, after new models)."""
        self.publish(TimersChanged(t_ns=self.clock.now_ns(),
                                   timers=self.skills.board.snapshot()))

    def _ring_when_free(self) -> None:
        now = self.clock.now_ns()
        self.skills.collect_due(now)
        if not self.skills.ringing:
            self._due_since_ns = None
            return
        if self._due_since_ns is None:
            self._due_since_ns = now
        if self.floor.replying is not None or self.speaker.is_playing:
            return
        if (self.floor.listening is not None
                and now - self._due_since_ns < WAITS_FOR_SPEECH_NS):
            return
        ring = self.skills.next_ring()
        self._due_since_ns = None
        turn = self.floor.new_turn(source="timer")
        turn.end_reason = "timer"
        self.publish(TurnOpened(turn_id=turn.turn_id, generation=self.floor.generation,
                                t_ns=now, source="timer"))
        self.publish(TimerRinging(turn_id=turn.turn_id, t_ns=now, text=ring.text))
        self.replies.start(turn, "", skill=ring)
