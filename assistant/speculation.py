"""Speculative start: the reply begins before the turn is known to be over.

While the user talks, the LLM reads the words recognised so far (prefill). At a short pause
(`conversation.speculative_silence_ms`) the recognizer closes what it heard so far with final
quality (a checkpoint) and the reply starts on it; its audio is held back. When the endpointer
then ends the turn on the same words, the held audio plays at once; if the user goes on
talking, the speculative reply is thrown away (its generation is bumped, so every stage drops
it) and the turn carries on as if nothing had happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.turns import Turn
from assistant.vad import VadState

if TYPE_CHECKING:
    from assistant.pipeline import Pipeline


def same_words(a: str, b: str) -> bool:
    """The same words, ignoring case, punctuation and spacing."""
    def norm(text):
        return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())

    return norm(a) == norm(b)


class Speculation:
    """The speculative-start decisions of one pipeline, called from its listener thread."""

    def __init__(self, pipeline: "Pipeline"):
        self.pipeline = pipeline

    @property
    def enabled(self) -> bool:
        p = self.pipeline
        return p.settings.conversation.speculative_start and not p.sequential

    def check(self, frame) -> None:
        """After each frame: ask for a checkpoint at a long enough pause; throw a speculative
        reply away when the user talks again."""
        p = self.pipeline
        turn = p._listening_turn
        if not self.enabled or turn is None:
            return
        silence_ms = p.listener.silence_ms()
        if turn.speculative_text is not None:
            if silence_ms == 0 and p._reply_turn is turn:  # the user went on talking
                self.discard(turn)
            return
        if silence_ms == 0:
            turn.checkpoint_requested = False  # talking again: a later pause may ask anew
        elif (silence_ms >= p.settings.conversation.speculative_silence_ms
                and p._reply_turn is None and not turn.checkpoint_requested):
            turn.checkpoint_requested = p.listener.request_checkpoint()

    def prefill(self, turn: Turn, text: str) -> None:
        """While the user talks, have the LLM read the words recognised so far (all but the
        last, which may still change), so the turn's end leaves little prompt to evaluate."""
        p = self.pipeline
        if not self.enabled or p._reply_turn is not None:
            return
        text = turn.spoken_text(text)
        upto = " ".join(text.split()[:-1])
        if upto and upto != turn.prefilled:
            turn.prefilled = upto
            p.workers.prefill(p.history.messages_for(text), upto)

    def on_checkpoint(self, turn: Turn, text: str) -> None:
        """The words so far are known with final quality: start the reply on them, unless
        the user has started talking again meanwhile."""
        p = self.pipeline
        text = text.strip()
        if (text and turn.speculative_text is None and p._reply_turn is None
                and p.listener.silence_ms() > 0):
            p._start_reply(turn, turn.spoken_text(text), speculative=True)

    def discard(self, turn: Turn) -> None:
        p = self.pipeline
        p._bump_generation()
        p.llm.cancel()
        p.workers.drop_held(turn)
        turn.speculative_text = None
        for key in ("first_token", "first_chunk", "first_audio"):
            turn.timeline.marks.pop(key, None)
        with turn.lock:
            turn.chunks.clear()
        if p._reply_turn is turn:
            p._reply_turn = None

    def commit_at_end(self) -> None:
        """The endpointer has just closed the turn and the words are those the speculative
        reply was started on: let it play now instead of waiting for the final decode."""
        p = self.pipeline
        turn = p._listening_turn
        if (turn is None or turn.committed or p._reply_turn is not turn
                or turn.speculative_text is None or not p.listener.active
                or p.listener.endpointer.state is not VadState.QUIET):
            return
        # a turn that continues an earlier one was started on both turns' words
        if same_words(turn.spoken_text(p.listener.current_text()), turn.speculative_text):
            p.workers.release_held(turn)
