"""The responder stage: a reply request in; the LLM's tokens, the speakable chunks they make
and the end of the reply out, as events (the conversation thread records them in the turn).

The generation the request was made under is checked between tokens: a barge-in or a Stop
bumps it, and the reply ends at the next token. A reply is at most `max_sentences` sentences
(a spoken reply of two is long enough), and a reply cut at the token limit never ends in half
a sentence. If the LLM fails, the reply is a short apology and a notice says what happened.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Iterator

from assistant.clock import Clock
from assistant.conversation.stages import LanguageModel
from assistant.events import Event, LlmFinished, LlmToken, Notice, TextChunk

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong while I was thinking. Please try again."


@dataclass(frozen=True)
class ReplyRequest:
    turn_id: int
    generation: int
    messages: list[dict]
    max_sentences: int = 0  # 0: no limit
    fixed_text: str | None = None  # a skill's reply: said as it is, no LLM
    sound: str = ""  # rung before the first words ("chime")


@dataclass(frozen=True)
class PrefillRequest:
    """Evaluate the prompt so far while the user still talks (see `LlmEngine.prefill`)."""

    messages: list[dict]
    upto: str


@dataclass(frozen=True, kw_only=True)
class ReplyEnd(Event):
    """After a reply's last chunk: the synthesizer marks the end of its audio."""


class SentenceCounter:
    """Counts sentences ended in a token stream: '.', '!' or '?' followed by white space
    ("3.5" has none after its dot), except after common abbreviations."""

    ABBREVIATIONS = ("mr.", "mrs.", "ms.", "dr.", "st.", "e.g.", "i.e.", "vs.", "etc.")

    def __init__(self, limit: int = 0):
        self.limit = limit
        self.text = ""
        self.count = 0

    def feed(self, token: str) -> int | None:
        """Count the sentences `token` ends. When the `limit`-th ends in it, return where
        in `token` it ended (what follows belongs to a sentence that will not be said)."""
        for i, char in enumerate(token):
            if char.isspace() and self.text and self.text[-1] in ".!?":
                last_word = self.text.rsplit(None, 1)[-1].lower()
                if last_word not in self.ABBREVIATIONS:
                    self.count += 1
                    if self.limit and self.count >= self.limit:
                        return i
            self.text = (self.text + char)[-40:]
        return None


class Responder:
    def __init__(self, llm: LanguageModel, make_chunker: Callable, clock: Clock,
                 is_current: Callable[[int], bool]):
        self.llm = llm
        self.make_chunker = make_chunker
        self.clock = clock
        self.is_current = is_current

    def prefill(self, request: PrefillRequest) -> None:
        try:
            self.llm.prefill(request.messages, request.upto)
        except Exception:
            log.exception("prefill failed")

    def process(self, request: ReplyRequest) -> Iterator[Event]:
        """The reply's events, as they happen; an LLM failure ends it with an apology."""
        if not self.is_current(request.generation):
            return
        chunks = [0]  # how many chunks went out (the apology comes after them)
        if request.fixed_text is not None:
            yield from self._fixed(request, chunks)
            return
        try:
            yield from self._reply(request, chunks)
        except Exception:  # the LLM failed mid-reply: apologise, keep the loop alive
            log.exception("reply generation failed")
            yield from self._apologise(request, chunks[0])

    def _reply(self, request: ReplyRequest, chunks: list[int]) -> Iterator[Event]:
        turn_id, generation = request.turn_id, request.generation
        chunker = self.make_chunker()
        parts: list[str] = []
        n_tokens = 0
        reason = "stop"
        sentences = SentenceCounter(limit=request.max_sentences)
        stream = self.llm.stream_reply(request.messages, generation=generation)
        for token in stream:
            if not self.is_current(generation):
                reason = "cancelled"
                break
            cut = sentences.feed(token)
            if cut is not None:  # a spoken reply of `limit` sentences is long enough
                token = token[:cut]
            parts.append(token)
            yield LlmToken(turn_id=turn_id, generation=generation, t_ns=self.clock.now_ns(),
                           text=token, index=n_tokens)
            n_tokens += 1
            if cut is not None:
                self.llm.cancel()
            for text in chunker.feed(token, stream.n_tokens):
                yield self._chunk(turn_id, generation, text, chunks, n_tokens)
            if cut is not None:
                reason = "sentences"
                break
        text = "".join(parts).strip()
        if reason == "stop" and stream.finish_reason == "length":
            dropped = chunker.drop_unfinished_sentence().strip()  # never speak half a sentence
            if dropped and text.endswith(dropped):
                text = text[: -len(dropped)].rstrip()
        if reason == "stop" and stream.finish_reason == "cancelled":
            reason = "cancelled"
        yield LlmFinished(turn_id=turn_id, generation=generation, t_ns=self.clock.now_ns(),
                          text=text, n_tokens=n_tokens, reason=reason)
        if reason == "cancelled" or not self.is_current(generation):
            return
        for chunk_text in chunker.flush():
            yield self._chunk(turn_id, generation, chunk_text, chunks, n_tokens)
        yield ReplyEnd(turn_id=turn_id, generation=generation, t_ns=self.clock.now_ns())

    def _fixed(self, request: ReplyRequest, chunks: list[int]) -> Iterator[Event]:
        """A skill's reply: its words, cut as the LLM's would be (the first piece early)."""
        turn_id, generation = request.turn_id, request.generation
        text = request.fixed_text.strip()
        yield LlmFinished(turn_id=turn_id, generation=generation, t_ns=self.clock.now_ns(),
                          text=text, n_tokens=0, reason="skill")
        chunker = self.make_chunker()
        pieces = chunker.feed(text + " ") + chunker.flush() if text else []
        if request.sound and not pieces:
            pieces = [""]
        for piece in pieces:
            if not self.is_current(generation):
                return
            sound = request.sound if chunks[0] == 0 else ""
            yield self._chunk(turn_id, generation, piece, chunks, 0, sound)
        yield ReplyEnd(turn_id=turn_id, generation=generation, t_ns=self.clock.now_ns())

    def _chunk(self, turn_id: int, generation: int, text: str, chunks: list[int],
               n_tokens: int, sound: str = "") -> TextChunk:
        index, chunks[0] = chunks[0], chunks[0] + 1
        return TextChunk(turn_id=turn_id, generation=generation, t_ns=self.clock.now_ns(),
                         text=text, index=index, token_index=n_tokens, sound=sound)

    def _apologise(self, request: ReplyRequest, n_chunks: int) -> Iterator[Event]:
        turn_id, generation = request.turn_id, request.generation
        yield Notice(turn_id=turn_id, generation=generation, t_ns=self.clock.now_ns(),
                     level="error", message="The language model failed while replying; the "
                                            "next turn will try again.")
        if not self.is_current(generation):
            return
        yield LlmFinished(turn_id=turn_id, generation=generation, t_ns=self.clock.now_ns(),
                          text=APOLOGY, n_tokens=0, reason="error")
        yield self._chunk(turn_id, generation, APOLOGY, [n_chunks], 0)
        yield ReplyEnd(turn_id=turn_id, generation=generation, t_ns=self.clock.now_ns())
