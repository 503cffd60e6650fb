"""The synthesizer stage: a text chunk in; its audio, piece by piece, out, with a report of how
much audio each piece was (the conversation thread keeps it, to know later how much of the
reply was heard). The generation is checked between pieces, so a barge-in stops it within one.

Seams: each chunk is spoken as an utterance of its own, so a voice ends it with the silence of
an utterance's end (Piper's joe: 120-220 ms) and starts the next with a lead-in. Where the
chunker cut at a punctuation mark that is about the pause the voice makes there anyway; where
it cut mid-phrase (the first chunk's word limit: "You should say | ..."), it would be a pause
the sentence does not have. So a chunk that ends mid-phrase keeps only `SEAM_MS` of its
trailing silence and the chunk after it loses its lead-in, as the first chunk does.
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


SEAM_MS = 40.0  # the silence kept at the end of a chunk cut mid-phrase: a gap between words
# what ends a phrase (closing quotes and brackets after it count as the mark's)
PHRASE_ENDS = ".!?,;:…-–—。！？｡，、；：､"
_CLOSERS = "\"')]}”’»」』）】〉》〕*_`"


def ends_mid_phrase(text: str) -> bool:
    """True when the chunk stops where the sentence goes on without a pause."""
    core = text.rstrip().rstrip(_CLOSERS)
    return bool(core) and core[-1] not in PHRASE_ENDS


def trim_trailing_silence(samples: np.ndarray, rate: int, threshold: float = 0.003,
                          keep_ms: float = SEAM_MS) -> np.ndarray:
    """Keep at most `keep_ms` of silence after the last sound."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if len(loud) == 0:
        return samples[:0]
    return samples[:loud[-1] + 1 + int(rate * keep_ms / 1000)]


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
        self._cut_mid_phrase: tuple[int, int] | None = None  # (generation, index) of the last

    def process(self, chunk: TextChunk) -> Iterator[tuple[AudioChunk, ChunkAudioReady]]:
        """(audio for the speaker, its report) for each piece of the chunk's speech."""
        after_cut = self._cut_mid_phrase == (chunk.generation, chunk.index - 1)
        first = chunk.index == 0 or after_cut  # no lead-in: the voice goes straight on
        cut = ends_mid_phrase(chunk.text)
        self._cut_mid_phrase = (chunk.generation, chunk.index) if cut else None
        rate = self.tts.sample_rate
        if chunk.sound:
            yield self._piece(chunk, self._sound(chunk.sound, rate), rate)
            first = False  # the words follow the chime as they come
        held = None  # a chunk cut mid-phrase: its last piece is known once the next comes
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
            if cut:
                held, samples = samples, held
                if samples is None:
                    continue
            yield self._piece(chunk, samples, rate)
        if held is not None and self.is_current(chunk.generation):
            yield self._piece(chunk, trim_trailing_silence(held, rate), rate)

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
