"""The reply side of the loop: LLM tokens -> speakable chunks -> synthesized audio -> speaker.

Two worker threads. The responder streams the LLM and cuts its tokens into chunks; the
synthesizer turns each chunk into audio and hands it to the speaker. Every queue item carries
the generation it was made under; `is_current(generation)` is checked between tokens, chunks
and audio blocks, so a barge-in stops all of it within one step.

In sequential mode (the no-overlap baseline) the same workers run one stage at a time: the
whole reply, then the whole synthesis, then playback.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from assistant.events import AudioChunk, LlmFinished, LlmToken, Notice, TextChunk
from assistant.turns import ChunkAudio, Turn

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong while I was thinking. Please try again."


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


def trim_leading_silence(samples: np.ndarray, rate: int, threshold: float = 0.003,
                         keep_ms: float = 5.0) -> np.ndarray:
    """The voice's lead-in silence before the first word is pure latency: drop it, keeping a
    few milliseconds so the onset is not clicked."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if len(loud) == 0:
        return samples[:0]
    start = max(0, loud[0] - int(rate * keep_ms / 1000))
    return samples[start:]


@dataclass
class ReplyRequest:
    turn: Turn
    generation: int
    messages: list[dict]


@dataclass
class PrefillRequest:
    """Evaluate the prompt so far while the user still talks (see `LlmEngine.prefill`)."""

    messages: list[dict]
    upto: str


@dataclass
class ReplyEnd:
    """Marks the end of a reply's chunks on the synth queue."""

    turn: Turn
    generation: int


class ReplyWorkers:
    def __init__(self, *, llm, make_chunker, tts, speaker, clock, emit: Callable,
                 is_current: Callable[[int], bool], sequential: bool = False,
                 max_sentences: Callable[[], int] = lambda: 0):
        self.llm = llm
        self.make_chunker = make_chunker
        self.tts = tts
        self.speaker = speaker
        self.clock = clock
        self.emit = emit
        self.is_current = is_current
        self.sequential = sequential
        self.max_sentences = max_sentences  # read per reply: settings apply live
        self._requests: queue.Queue = queue.Queue()
        self._chunks: queue.Queue = queue.Queue()
        self._held: dict[int, list[AudioChunk]] = {}  # audio of speculative replies, by turn
        self._held_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.busy = threading.Event()  # set while a request is being answered

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        for name, target in (("responder", self._respond_loop), ("synth", self._synth_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._requests.put(None)
        self._chunks.put(None)
        for thread in self._threads:
            thread.join(timeout)

    def submit(self, request: ReplyRequest) -> None:
        self.busy.set()
        self._requests.put(request)

    def prefill(self, messages: list[dict], upto: str) -> None:
        """Queue a prefill; it is skipped when a reply is waiting behind it."""
        self._requests.put(PrefillRequest(messages, upto))

    def idle(self) -> bool:
        return not self.busy.is_set() and self._requests.empty() and self._chunks.empty()

    # --- speculative replies: audio is held until the turn is confirmed --------------------

    def release_held(self, turn: Turn) -> None:
        """The speculative reply was right: let its held audio play."""
        with self._held_lock:
            turn.committed = True
            held = self._held.pop(turn.turn_id, [])
        for chunk in held:
            if self.is_current(chunk.generation):
                self.speaker.play(chunk)

    def drop_held(self, turn: Turn) -> None:
        with self._held_lock:
            self._held.pop(turn.turn_id, None)

    def _deliver(self, turn: Turn, chunk: AudioChunk) -> None:
        with self._held_lock:
            if not turn.committed:
                self._held.setdefault(turn.turn_id, []).append(chunk)
                return
        self.speaker.play(chunk)

    # --- responder ----------------------------------------------------------------------

    def _respond_loop(self) -> None:
        while not self._stop.is_set():
            request = self._requests.get()
            if request is None:
                return
            if isinstance(request, PrefillRequest):
                self._prefill(request)
                continue
            try:
                if self.is_current(request.generation):
                    self._respond(request)
            except Exception:  # the LLM failed mid-reply: apologise, keep the loop alive
                log.exception("reply generation failed")
                self._apologise(request)
            finally:
                if self._requests.empty():
                    self.busy.clear()

    def _prefill(self, request: PrefillRequest) -> None:
        if not self._requests.empty() or not hasattr(self.llm, "prefill"):
            return  # something newer is waiting: it matters more
        try:
            self.llm.prefill(request.messages, request.upto)
        except Exception:
            log.exception("prefill failed")

    def _respond(self, request: ReplyRequest) -> None:
        turn, generation = request.turn, request.generation
        chunker = self.make_chunker()
        parts: list[str] = []
        n_chunks = 0
        n_tokens = 0
        reason = "stop"
        sentences = SentenceCounter(limit=self.max_sentences())
        for token in self.llm.stream_reply(request.messages, generation=generation):
            if not self.is_current(generation):
                reason = "cancelled"
                break
            now = self.clock.now_ns()
            if n_tokens == 0:
                turn.timeline.mark("first_token", now)
            cut = sentences.feed(token)
            if cut is not None:  # a spoken reply of `limit` sentences is long enough
                token = token[:cut]
            parts.append(token)
            self.emit(LlmToken(turn_id=turn.turn_id, generation=generation, t_ns=now,
                               text=token, index=n_tokens))
            n_tokens += 1
            if cut is not None:
                self.llm.cancel()
            if not self.sequential:
                for text in chunker.feed(token, getattr(self.llm, "last_n_tokens", None)):
                    self._queue_chunk(turn, generation, text, n_chunks, n_tokens)
                    n_chunks += 1
            if cut is not None:
                reason = "sentences"
                break
        turn.reply_text = "".join(parts).strip()
        self.emit(LlmFinished(turn_id=turn.turn_id, generation=generation,
                              t_ns=self.clock.now_ns(), text=turn.reply_text,
                              n_tokens=n_tokens, reason=reason))
        if reason == "cancelled" or not self.is_current(generation):
            return
        if reason == "stop" and getattr(self.llm, "last_finish_reason", "") == "length":
            dropped = chunker.drop_unfinished_sentence()  # never speak half a sentence
            if dropped.strip() and turn.reply_text.endswith(dropped.strip()):
                turn.reply_text = turn.reply_text[: -len(dropped.strip())].rstrip()
        tail = chunker.flush() if not self.sequential else self._sequential_chunks(parts)
        for text in tail:
            self._queue_chunk(turn, generation, text, n_chunks, n_tokens)
            n_chunks += 1
        self._chunks.put(ReplyEnd(turn, generation))

    def _sequential_chunks(self, parts: list[str]) -> list[str]:
        chunker = self.make_chunker()
        chunks = chunker.feed("".join(parts)) + chunker.flush()
        text = " ".join(chunks).strip()
        return [text] if text else []

    def _queue_chunk(self, turn: Turn, generation: int, text: str, index: int, n_tokens: int):
        now = self.clock.now_ns()
        turn.timeline.mark("first_chunk", now)
        with turn.lock:
            turn.chunks[index] = ChunkAudio(index=index, text=text)
        event = TextChunk(turn_id=turn.turn_id, generation=generation, t_ns=now, text=text,
                          index=index, token_index=n_tokens)
        self.emit(event)
        self._chunks.put(event)

    def _apologise(self, request: ReplyRequest) -> None:
        turn, generation = request.turn, request.generation
        self.emit(Notice(turn_id=turn.turn_id, generation=generation, t_ns=self.clock.now_ns(),
                         message="The language model failed while replying; the next turn "
                                 "will try again.", level="error"))
        if not self.is_current(generation):
            return
        turn.reply_text = APOLOGY
        self._queue_chunk(turn, generation, APOLOGY, len(turn.chunks), 0)
        self._chunks.put(ReplyEnd(turn, generation))

    # --- synthesizer ----------------------------------------------------------------------

    def _synth_loop(self) -> None:
        pending: list[AudioChunk] = []  # sequential mode: the whole reply's audio
        while not self._stop.is_set():
            item = self._chunks.get()
            if item is None:
                return
            if not self.is_current(item.generation):
                pending.clear()
                continue
            if isinstance(item, ReplyEnd):
                if pending:  # sequential: the whole reply is synthesized only now
                    item.turn.timeline.mark("first_audio", self.clock.now_ns())
                for chunk in pending:
                    self._deliver(item.turn, chunk)
                pending.clear()
                self._deliver(item.turn, self._end_marker(item))
                continue
            try:
                self._synthesize(item, pending)
            except Exception:
                log.exception("speech synthesis failed for %r", item.text[:80])
                self.emit(Notice(turn_id=item.turn_id, generation=item.generation,
                                 t_ns=self.clock.now_ns(), level="error",
                                 message="The voice could not speak part of the reply."))

    def _synthesize(self, chunk: TextChunk, pending: list[AudioChunk]) -> None:
        turn = self._turn_of(chunk)
        first = chunk.index == 0
        for samples in self.tts.synthesize(chunk.text):
            if not self.is_current(chunk.generation):
                return
            if first and samples is not None:
                samples = trim_leading_silence(samples, self.tts.sample_rate)
                first = len(samples) == 0
            if samples is None or len(samples) == 0:
                continue
            now = self.clock.now_ns()
            if turn is not None and not self.sequential:
                turn.timeline.mark("first_audio", now)
                with turn.lock:
                    info = turn.chunks.get(chunk.index)
                    if info is not None:
                        info.n_samples += len(samples)
                        info.sample_rate = self.tts.sample_rate
            audio = AudioChunk(turn_id=chunk.turn_id, generation=chunk.generation, t_ns=now,
                               samples=np.asarray(samples, dtype=np.float32),
                               sample_rate=self.tts.sample_rate, chunk_index=chunk.index,
                               text=chunk.text)
            if self.sequential:
                pending.append(audio)
            elif turn is not None:
                self._deliver(turn, audio)

    def _end_marker(self, end: ReplyEnd) -> AudioChunk:
        return AudioChunk(turn_id=end.turn.turn_id, generation=end.generation,
                          t_ns=self.clock.now_ns(), samples=np.zeros(0, dtype=np.float32),
                          sample_rate=self.tts.sample_rate, chunk_index=-1, last=True)

    # the synth thread only sees TextChunk events; turns are looked up through this hook
    turn_lookup: Callable[[int], Turn | None] = staticmethod(lambda turn_id: None)

    def _turn_of(self, chunk: TextChunk) -> Turn | None:
        return self.turn_lookup(chunk.turn_id)
