"""Speculative start: the reply begins before the turn is known to be over. Decisions only:
the conversation thread asks after each frame and acts on the answer.

While the user talks, the LLM reads the words recognised so far (prefill). At a short pause
(`conversation.speculative_silence_ms`) the recognizer closes what it heard so far with final
quality (a checkpoint) and the reply starts on it; its audio is held back. After a checkpoint
the words stop changing during the pause, so the end of the turn finds the same words and
lets the reply out. (Starting on a streaming recognizer's partial words instead, before the
checkpoint, was measured on Vosk's Korean model: its partial and final words differ often,
and the restarts and the CPU they took made replies later, not sooner.) When the turn then ends on the same words, the held audio plays at
once; if the user goes on talking, the speculative reply is thrown away and the turn carries
on as if nothing happened.
"""

from __future__ import annotations

import enum

from assistant.config import ConversationSettings
from assistant.conversation.turns import Turn


def same_words(a: str, b: str) -> bool:
    """The same words, ignoring case, punctuation and spacing."""
    def norm(text):
        return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())

    return norm(a) == norm(b)


class Step(enum.Enum):
    """What speculation wants after a frame."""

    NOTHING = "nothing"
    CHECKPOINT = "checkpoint"  # ask the recognizer for the words so far
    DISCARD = "discard"  # the user talks again: throw the speculative reply away


class Speculation:
    def __init__(self, settings: ConversationSettings, enabled: bool = True):
        self.settings = settings  # read live
        self.allowed = enabled  # off in the no-overlap baseline

    @property
    def enabled(self) -> bool:
        return self.allowed and self.settings.speculative_start

    def after_frame(self, turn: Turn | None, replying: Turn | None, silence_ms: float) -> Step:
        """`silence_ms`: how long the user has been quiet inside the open turn (0: talking)."""
        if not self.enabled or turn is None:
            return Step.NOTHING
        if turn.speculative_text is not None:
            return Step.DISCARD if silence_ms == 0 and replying is turn else Step.NOTHING
        if silence_ms == 0:
            turn.checkpoint_requested = False  # talking again: a later pause may ask anew
        elif (silence_ms >= self.settings.speculative_silence_ms and replying is None
                and not turn.checkpoint_requested):
            return Step.CHECKPOINT
        return Step.NOTHING

    def prefill_words(self, turn: Turn, replying: Turn | None, text: str) -> str | None:
        """While the user talks: the words the LLM may read ahead (all but the last, which
        may still change), or None when there is nothing new to read."""
        if not self.enabled or replying is not None:
            return None
        upto = " ".join(turn.spoken_text(text).split()[:-1])
        if not upto or upto == turn.prefilled:
            return None
        turn.prefilled = upto
        return upto

    def starts_on_checkpoint(self, turn: Turn, replying: Turn | None, text: str,
                             silence_ms: float) -> bool:
        """The words so far are known with final quality: start the reply on them, unless
        the user has started talking again meanwhile."""
        return (bool(text.strip()) and turn.speculative_text is None and replying is None
                and silence_ms > 0)

    def commit_at_end(self, turn: Turn | None, replying: Turn | None, ended: bool,
                      heard: str) -> bool:
        """The endpointer has just closed the turn (`ended`) and the words `heard` are those
        the speculative reply was started on: let it play now, not after the final decode."""
        if (turn is None or turn.committed or replying is not turn
                or turn.speculative_text is None or not ended):
            return False
        # a turn that continues an earlier one was started on both turns' words
        return same_words(turn.spoken_text(heard), turn.speculative_text)
