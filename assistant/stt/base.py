"""The recognizer interface the listening stage drives.

One utterance at a time: `begin()`, then `accept(samples)` for every frame as it arrives (a
streaming engine decodes there and may return a new partial text), then `finish()` for the
final result. `cancel()` may be called from another thread and drops the utterance.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import ModelError
from assistant.events import WordInfo

log = logging.getLogger(__name__)


@dataclass
class DecodeLoad:
    """What waits for a recognizer: frames queued and final-quality requests not begun. Only
    the thread that queues them writes it (each field is replaced whole)."""

    frames: int = 0
    finals: int = 0


@dataclass(frozen=True)
class Transcript:
    """A final result. Word times are seconds from the first sample of the utterance."""

    text: str
    words: tuple[WordInfo, ...] = ()


@dataclass(frozen=True)
class Partial:
    text: str
    stable_text: str = ""


class Recognizer:
    """Base class: subclasses load their model in `start()`, never in `__init__`."""

    engine = ""
    streaming = False  # True when `accept` can return partial transcripts
    supports_checkpoint = False  # True when `checkpoint()` gives the words so far mid-utterance
    # True when `accept` returns partials that lag the audio (Whisper's re-decodes): shown
    # while the user talks, never answered (they may miss the last words)
    live_partials = False
    sample_rate = 16000

    def __init__(self, model_path: str | Path, language: str = "en"):
        self.model_path = Path(model_path)
        self.language = language
        self._cancelled = threading.Event()
        # what waits for this recognizer on the thread that feeds it (kept up to date by a
        # ThreadedRecognizer around it): slow work that is only nice to have yields to it
        self.load = DecodeLoad()

    def backlog(self) -> int:
        """Frames queued for this recognizer and not yet accepted."""
        return self.load.frames

    def final_waiting(self) -> bool:
        """A checkpoint or the final words are asked for and not begun."""
        return self.load.finals > 0

    def start(self) -> None:
        raise NotImplementedError

    def begin(self) -> None:
        """A new utterance starts."""
        self._cancelled.clear()

    def accept(self, samples: np.ndarray) -> Partial | None:
        """Feed int16 samples; returns a Partial when the current text changed."""
        raise NotImplementedError

    def finish(self) -> Transcript:
        raise NotImplementedError

    def transcribe_once(self, samples: np.ndarray, words: bool = False) -> Transcript:
        """A whole utterance (int16) at once, as its final (evaluations, `POST
        /v1/transcribe`). `words`: with word times, where an engine makes them only on
        request (Whisper); Vosk always has them."""
        self.begin()
        self.accept(samples)
        return self.finish()

    def user_speaking(self, speaking: bool) -> None:
        """The endpointer's view, as it changes: False while the user pauses. May be called
        from another thread; a recognizer with live partials decodes none in a pause."""

    def checkpoint(self) -> Transcript:
        """Everything heard so far as a final-quality transcript, while the utterance stays
        open (the user paused; a speculative reply may start on it). Audio accepted later
        adds to it; `finish()` still gives the whole utterance."""
        raise NotImplementedError

    def checkpoint_async(self, done) -> None:
        """`checkpoint()`, its result (None if it failed) handed to `done`; here at once, on
        a recognizer with a thread of its own there (see ThreadedRecognizer)."""
        try:
            result = None if self.cancelled else self.checkpoint()
        except Exception:
            result = None
        done(result)

    def finish_async(self, done) -> None:
        """`finish()`, its result (None if it failed) handed to `done`; here at once, on a
        recognizer with a thread of its own there (see ThreadedRecognizer). The caller never
        waits for the decode."""
        try:
            result = self.finish()
        except Exception:
            log.exception("the final decode failed")
            result = None
        done(result)

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def close(self) -> None:
        pass


def require_dir(path: Path, what: str, hint: str) -> Path:
    """`path` must be an existing folder; otherwise one-line ModelError."""
    if not path.exists():
        raise ModelError(f"The {what} folder {path} does not exist; {hint}")
    if not path.is_dir():
        raise ModelError(f"The {what} at {path} is not a folder; {hint}")
    return path


def missing_files(path: Path, groups: list[tuple[str, ...]]) -> list[str]:
    """For each group of alternatives, whether one non-empty file of it exists under `path`;
    returns the names of the groups that are missing."""
    missing = []
    for alternatives in groups:
        if not any((path / name).is_file() and (path / name).stat().st_size > 0
                   for name in alternatives):
            missing.append(" or ".join(alternatives))
    return missing
