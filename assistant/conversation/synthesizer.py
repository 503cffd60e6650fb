"""The synthesizer stage: a text chunk in; its audio, piece by piece, out, with a report of how
much audio each piece was (the conversation thread keeps it, to know later how much of the
reply was heard). The generation is checked between pieces, so a barge-in stops it within one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from assistant.clock import Clock
from assistant.conversation.stages import SpeechSynthesizer
from assistant.events import AudioChunk, Event, TextChunk


@dataclass(frozen=True, kw_only=True)
class ChunkAudioReady(Event):
    """`n_samples` more audio of chunk `chunk_index` was synthesized at `t_ns`."""

    chunk_index: int
    n_samples: int
    sample_rate: int


def trim_leading_silence(samples: np.ndarray, rate: int, threshold: float = 0.003,
                         keep_ms: float = 5.0) -> np.ndarray:
    """The voice's lead-in silence before the first word is pure latency: drop it, keeping a
    few milliseconds so the onset is not clicked."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if len(loud) == 0:
        return samples[:0]
    start = max(0, loud[0] - int(rate * keep_ms / 1000))
    return samples[start:]


class Synthesizer:
    def __init__(self, tts: SpeechSynthesizer, clock: Clock, is_current: Callable[[int], bool]):
        self.tts = tts
        self.clock = clock
        self.is_current = is_current
        self._sounds: dict[tuple[str, int], np.ndarray] = {}  # made once per rate

    def process(self, chunk: TextChunk) -> Iterator[tuple[AudioChunk, ChunkAudioReady]]:
        """(audio for the speaker, its report) for each piece of the chunk's speech."""
        first = chunk.index == 0
        rate = self.tts.sample_rate
        if chunk.sound:
            yield self._piece(chunk, self._sound(chunk.sound, rate), rate)
            first = False  # the words follow the chime as they come
        for samples in (self.tts.synthesize(chunk.text) if chunk.text.strip() else ()):
            if not self.is_current(chunk.generation):
                return
            if samples is None or len(samples) == 0:
                continue
            if first:
                samples = trim_leading_silence(samples, rate)
                first = len(samples) == 0
                if first:
                    continue
            yield self._piece(chunk, samples, rate)

    def _piece(self, chunk: TextChunk, samples, rate: int):
        now = self.clock.now_ns()
        audio = AudioChunk(turn_id=chunk.turn_id, generation=chunk.generation, t_ns=now,
                           samples=np.asarray(samples, dtype=np.float32), sample_rate=rate,
                           chunk_index=chunk.index, text=chunk.text)
        return audio, ChunkAudioReady(turn_id=chunk.turn_id, generation=chunk.generation,
                                      t_ns=now, chunk_index=chunk.index,
                                      n_samples=len(samples), sample_rate=rate)

    def _sound(self, name: str, rate: int) -> np.ndarray:
        if self._sounds.get((name, rate)) is None:
            from assistant.skills.chime import chime

            self._sounds[(name, rate)] = chime(rate)
        return self._sounds[(name, rate)]

    def end_marker(self, turn_id: int, generation: int) -> AudioChunk:
        """What tells the speaker the reply is over (it reports PlaybackFinished after it)."""
        return AudioChunk(turn_id=turn_id, generation=generation, t_ns=self.clock.now_ns(),
                          samples=np.zeros(0, dtype=np.float32),
                          sample_rate=self.tts.sample_rate, chunk_index=-1, last=True)
