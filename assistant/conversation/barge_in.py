"""When the user's speech stops the assistant: barge-in, a turn resumed after a pause, and
half-duplex deafness. Decisions only: the conversation thread asks, and acts on the answer.

- Barge-in (open mic): speech during a committed reply that lasts `barge_in_min_speech_ms`,
  has two frames the gate confirmed as voice and (with echo cancellation) stands above what
  is left of the assistant's own voice cuts the reply off.
- Resuming: speech that starts within `continuation_ms` of the end of a spoken turn is that
  turn going on after a pause; its words are asked again with the new ones, as one question.
- Half-duplex: the microphone is ignored while the assistant speaks and for a short tail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from assistant.clock import NS_PER_MS
from assistant.config import ConversationSettings
from assistant.conversation.turns import Turn

MIN_VOICED_MS = 40  # two 20 ms frames the gate confirmed as voice


@dataclass(frozen=True)
class Speech:
    """What the endpointer knows of the speech going on now."""

    quiet: bool  # no speech at all
    onset_ns: int  # where it began
    voiced_ms: float  # how much of it was voiced
    end_ns: int  # the end of the latest frame


class BargeInPolicy:
    def __init__(self, settings: ConversationSettings):
        self.settings = settings  # read live: changes apply at once

    def interrupts(self, reply: Turn | None, listening: Turn | None, speech: Speech,
                   above_echo: Callable[[int], bool]) -> bool:
        """Whether the user's speech now cuts `reply` off."""
        conv = self.settings
        if (not conv.barge_in or conv.half_duplex or reply is None or not reply.committed
                or reply is listening or speech.quiet):
            return False
        speech_ms = (speech.end_ns - speech.onset_ns) / NS_PER_MS
        if speech.voiced_ms < MIN_VOICED_MS or speech_ms < conv.barge_in_min_speech_ms:
            return False
        return above_echo(speech.onset_ns)

    def resumes(self, reply: Turn, onset_ns: int) -> bool:
        """Speech that starts this soon after the end of a spoken turn is that turn going on
        after a pause, not a new one (`conversation.continuation_ms`)."""
        window_ms = self.settings.continuation_ms
        end = reply.timeline.speech_end
        return (window_ms > 0 and reply.source == "voice" and end is not None
                and onset_ns - end <= window_ms * NS_PER_MS)


class HalfDuplex:
    """The microphone is ignored while the assistant speaks and for a short tail after."""

    def __init__(self, settings: ConversationSettings):
        self.settings = settings
        self._deaf_until_ns = 0

    def deaf(self, t_ns: int, now_ns: int, speaking: bool) -> bool:
        conv = self.settings
        if not conv.half_duplex:
            return False
        if speaking:
            self._deaf_until_ns = now_ns + conv.half_duplex_tail_ms * NS_PER_MS
            return True
        return t_ns < self._deaf_until_ns
