"""What the conversation needs of each stage: declared interfaces, so an engine or a test fake
says what it can do by its type, and the loop never probes with hasattr.

Every stage has the same shape: a cheap constructor, `start()` that loads (idempotent),
`cancel()` from any thread, `close()`. The engines that carry models are built and owned by
`conversation.wiring.Engines`; a conversation only uses them.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, Protocol, runtime_checkable

import numpy as np

from assistant.audio.sources import AudioSource  # noqa: F401 (the microphone or a file)
from assistant.events import AudioChunk, AudioFrame, Event


class Speaker(Protocol):
    """Plays `AudioChunk`s; reports PlaybackStarted, ChunkPlaybackStarted, PlaybackFinished
    to the handler given to `report_to` (from its own thread). Chunks of a generation older than `generation`
    are dropped; `flush()` silences at once and returns when the output went silent."""

    sample_rate: int
    generation: int

    def report_to(self, handler: Callable[[Event], None]) -> None: ...

    def start(self) -> None: ...

    def play(self, chunk: AudioChunk) -> None: ...

    def flush(self) -> int: ...

    @property
    def is_playing(self) -> bool: ...

    def add_tap(self, fn: Callable[[np.ndarray, int], None], sync: bool = False) -> None: ...

    def close(self) -> None: ...


class ReplyStream(Protocol):
    """One reply being generated: its tokens, and what it cost once they stop."""

    n_tokens: int  # tokens spent so far (a piece of text may cost several)
    finish_reason: str  # "" while streaming; then "stop", "length" or "cancelled"

    def __iter__(self) -> Iterator[str]: ...


class LanguageModel(Protocol):
    def start(self) -> None: ...

    def stream_reply(self, messages: list[dict], generation: int = 0) -> ReplyStream: ...

    def prefill(self, messages: list[dict], upto: str) -> bool: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


class SpeechSynthesizer(Protocol):
    sample_rate: int
    first_chunk_max_words: int  # how short the reply's first chunk is cut for this voice

    def start(self) -> None: ...

    def synthesize(self, text: str) -> Iterable[np.ndarray]: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


class TurnDetector(Protocol):
    """The end-of-turn model on a thread of its own: asked about a pause, it hands its
    `Verdict` to `reply` (the conversation's inbox)."""

    def start(self) -> None: ...

    def ask(self, turn_id: int, request: int, audio: np.ndarray,
            reply: Callable[[object], None]) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class EchoFilter(Protocol):
    """Cleans the microphone of the assistant's own voice (called on the thread that reads
    the microphone); tells whether speech stands above what is left of it (the double-talk
    rule a barge-in must pass)."""

    def __call__(self, frame: AudioFrame) -> AudioFrame: ...

    def observe(self, user_quiet: bool, t_end_ns: int | None = None) -> None: ...

    def user_above_echo(self, since_ns: int) -> bool: ...

    def stats(self) -> dict | None: ...  # echo before and after cancellation (replays report it)


class NoEchoFilter:
    """No echo cancellation (a headset, or turned off): frames pass, every voice is the user's."""

    def __call__(self, frame: AudioFrame) -> AudioFrame:
        return frame

    def observe(self, user_quiet: bool, t_end_ns: int | None = None) -> None:
        pass

    def user_above_echo(self, since_ns: int) -> bool:
        return True

    def stats(self) -> dict | None:
        return None
