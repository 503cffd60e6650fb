"""The recognizer interface the listening stage drives.

One utterance at a time: `begin()`, then `accept(samples)` for every frame as it arrives (a
streaming engine decodes there and may return a new partial text), then `finish()` for the
final result. `cancel()` may be called from another thread and drops the utterance.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import ModelError
from assistant.events import WordInfo


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
    sample_rate = 16000

    def __init__(self, model_path: str | Path, language: str = "en"):
        self.model_path = Path(model_path)
        self.language = language
        self._cancelled = threading.Event()

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

    def checkpoint(self) -> Transcript:
        """Everything heard so far as a final-quality transcript, while the utterance stays
        open (the user paused; a speculative reply may start on it). Audio accepted later
        adds to it; `finish()` still gives the whole utterance."""
        raise NotImplementedError

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


@contextlib.contextmanager
def native_stderr_captured(drop_prefixes: tuple[str, ...] = ()):
    """Catch what native code (Kaldi, CTranslate2) writes to file descriptor 2 while a model
    loads, so a bad model gives our one line instead of a page of C++ errors. Lines that do not
    start with one of `drop_prefixes` (other threads' output) are written back afterwards."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded, closed): nothing to catch
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            kept = [line for line in sink.read().decode("utf-8", "replace").splitlines(True)
                    if not line.lstrip().startswith(drop_prefixes)]
            if kept:
                sys.stderr.write("".join(kept))
