"""When the user's speech stops the assistant: barge-in, a turn resumed after a pause, and
half-duplex deafness.

- Barge-in (open mic): speech during a committed reply that lasts `barge_in_min_speech_ms`,
  has two frames the gate confirmed as voice and (with echo cancellation) stands above what
  is left of the assistant's own voice cuts the reply off: the speaker is flushed first.
- Resuming: speech that starts within `continuation_ms` of the end of a spoken turn is that
  turn going on after a pause; its exchange is taken back from the history and its words
  are asked again with the new ones, as one question.
- Half-duplex: the microphone is ignored while the assistant speaks and for a short tail.

The pipeline owns the turns and the cut-off itself; this decides when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.clock import NS_PER_MS
from assistant.turns import Turn
from assistant.vad import VadState

if TYPE_CHECKING:
    from assistant.pipeline import Pipeline


class Interruptions:
    def __init__(self, pipeline: "Pipeline"):
        self.pipeline = pipeline
        self.pending = False  # a reply was cut off by speech not yet a turn
        self.pending_continues: Turn | None = None  # ... and that speech resumes this turn
        self._deaf_until_ns = 0

    def take_pending(self, turn: Turn) -> None:
        """A new turn begins: it is the speech that cut the last reply off, if any."""
        turn.barge_in, self.pending = self.pending, False
        turn.continues, self.pending_continues = self.pending_continues, None

    def check(self, frame) -> None:
        """After the endpointer saw `frame`: cut the reply off if the user talks over it."""
        p = self.pipeline
        conv = p.settings.conversation
        endpointer = p.listener.endpointer
        reply = p._reply_turn
        if (not conv.barge_in or conv.half_duplex or reply is None or not reply.committed
                or reply is p._listening_turn or endpointer.state is VadState.QUIET):
            return
        onset = endpointer.onset_ns or frame.t_ns
        speech_ms = (frame.t_end_ns - onset) / NS_PER_MS
        if endpointer.voiced_ms < 40 or speech_ms < conv.barge_in_min_speech_ms:
            return
        guard = getattr(p.echo_filter, "user_above_echo", None)
        if guard is not None and not guard(onset):
            return
        p._cut_off(reply, onset_ns=onset)
        continues = reply if self.resumes(reply, onset) else None
        if continues is not None:  # its words are said again, with the rest, as one turn
            p.history.retract_exchange(reply.user_text)
        listening = p._listening_turn
        if listening is not None:
            listening.barge_in, listening.continues = True, continues
        else:
            self.pending, self.pending_continues = True, continues

    def resumes(self, reply: Turn, onset_ns: int) -> bool:
        """Speech that starts this soon after the end of a spoken turn is that turn going on
        after a pause, not a new one (`conversation.continuation_ms`)."""
        window_ms = self.pipeline.settings.conversation.continuation_ms
        end = reply.timeline.speech_end
        return (window_ms > 0 and reply.source == "voice" and end is not None
                and onset_ns - end <= window_ms * NS_PER_MS)

    def deaf(self, t_ns: int) -> bool:
        """Half-duplex: the microphone is ignored while speaking and for a short tail after."""
        p = self.pipeline
        conv = p.settings.conversation
        if not conv.half_duplex:
            return False
        if p.speaker.is_playing or p._reply_turn is not None:
            self._deaf_until_ns = p.clock.now_ns() + conv.half_duplex_tail_ms * NS_PER_MS
            return True
        return t_ns < self._deaf_until_ns
