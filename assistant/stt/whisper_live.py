"""Live partial words from a final-only Whisper: the growing utterance decoded again while the
user talks, at a bounded rate, on the recognizer's thread.

Every `interval_ms` of new audio (more when a decode takes long: a partial costs at most
about half of the recognizer thread's time), the utterance so far is decoded at its own
length (whisper_trimmed.py). Nothing is decoded while the user pauses (the checkpoint is on
its way then), while the recognizer's thread is behind the audio, or when a final-quality
request (a checkpoint or the final) waits: a partial already encoding is dropped before its
decoder runs, so it never holds the final up by more than an encode of the audio so far.

What two successive decodes agree on, word for word from the start, is shown as settled and
stays so; the rest as tentative (Settling). A partial's words may miss the last half second
of the audio (it decodes what had arrived when it began), so the turn-taking decisions never
answer them (Recognizer.live_partials); the checkpoint or the final gives the words to answer.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from assistant.stt.base import Partial

SAMPLE_RATE = 16000
INTERVAL_MS = 400  # between the starts of two partial decodes, in audio time
MIN_AUDIO_MS = 500  # of speech before the first partial (a shorter one is mostly noise)
MAX_AUDIO_S = 20.0  # a longer utterance waits for its checkpoint (each decode would be long)
SHARE = 0.5  # of the recognizer thread's time partial decodes may take


def _plain(word: str) -> str:
    return word.strip(".,!?;:\"'").lower()


def agreed_words(previous: list[str], current: list[str]) -> int:
    """How many words at the start of `current` `previous` also begins with (compared
    without case and punctuation)."""
    n = 0
    while n < min(len(previous), len(current)) and _plain(previous[n]) == _plain(current[n]):
        n += 1
    return n


class Settling:
    """The settled words of one utterance's partials: what two successive decodes agreed on.
    Settled words stay settled (a later decode that says "asked" for "ask" does not take them
    back); each decode's words after them are the tentative rest. The final replaces all."""

    def __init__(self):
        self.settled: list[str] = []
        self._previous: list[str] = []

    def add(self, text: str) -> Partial:
        words = text.split()
        agreed = agreed_words(self._previous, words)
        if agreed > len(self.settled) and agreed_words(self.settled, words) == len(self.settled):
            self.settled = words[:agreed]
        self._previous = words
        tentative = words[len(self.settled):]
        return Partial(text=" ".join(self.settled + tentative), stable_text=" ".join(self.settled))


class LivePartials:
    """Decides when to decode the utterance so far and turns each decode into a Partial.

    `decode(audio, abandon)` is the trimmed decoder's: float32 audio in, the text out, or None
    when the guards refuse it or `abandon()` said so before the decoder ran."""

    def __init__(self, decode: Callable, *, interval_ms: int = INTERVAL_MS,
                 clock: Callable[[], float] = time.perf_counter):
        self._decode = decode
        self.interval = interval_ms * SAMPLE_RATE // 1000
        self.clock = clock
        self.decoded = 0  # partial decodes run (counted over the recognizer's life)
        self.abandoned = 0  # dropped because a final-quality request came
        self.seconds = 0.0  # time spent in partial decodes
        self.reset()

    def reset(self) -> None:
        """A new utterance."""
        self._next_at = MIN_AUDIO_MS * SAMPLE_RATE // 1000
        self._settling = Settling()
        self._shown: Partial | None = None

    def due(self, samples: int, *, speaking: bool, behind: bool) -> bool:
        return (speaking and not behind and samples >= self._next_at
                and samples <= MAX_AUDIO_S * SAMPLE_RATE)

    def decode(self, chunks: list[np.ndarray], samples: int,
               abandon: Callable[[], bool]) -> Partial | None:
        """Decode `chunks` (int16, `samples` in all); a Partial when the words changed."""
        began = self.clock()
        audio = np.concatenate(chunks).astype(np.float32) / 32768.0
        text = self._decode(audio, abandon)
        spent = self.clock() - began
        self.seconds += spent
        # the next start: INTERVAL_MS of audio on, or later when this decode took long
        spent_samples = int(spent * SAMPLE_RATE / SHARE)
        self._next_at = samples + max(self.interval, spent_samples)
        if text is None:
            if abandon():
                self.abandoned += 1
            return None
        self.decoded += 1
        partial = self._settling.add(text)
        if not partial.text or partial == self._shown:
            return None
        self._shown = partial
        return partial
