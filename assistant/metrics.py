"""Turn timelines, per-stage latencies and percentiles (the definitions: README, "Latency:
what the figures mean", and docs/ARCHITECTURE.md).

A turn's marks are times on the one clock. The stages are the gaps between consecutive marks,
so they add up to voice-to-voice (V2V): from the true end of the user's speech to the first
reply sample handed to the output device. A mark that happened before the previous one (the
LLM started speculatively, before the transcript was final) counts as zero for its stage.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from assistant.clock import ms

# (stage name, the mark that ends it); each stage starts at the previous stage's mark
STAGES = (
    ("endpointing", "end_detected"),
    ("stt_final", "final_transcript"),
    ("llm_first_token", "first_token"),
    ("first_chunk", "first_chunk"),
    ("tts_first_audio", "first_audio"),
    ("playback_start", "first_played"),
)
STAGE_NAMES = tuple(name for name, _ in STAGES)
STAGE_HELP = {
    "endpointing": "silence the endpointer waits for before it decides the turn is over",
    "stt_final": "from the end of the turn to the final transcript",
    "llm_first_token": "from the final transcript to the LLM's first token",
    "first_chunk": "from the first token to the first speakable piece of text",
    "tts_first_audio": "from the first text chunk to its first synthesized audio",
    "playback_start": "from the first audio to its first sample reaching the output device",
}


@dataclass
class TurnTimeline:
    """Marks of one turn, in ns on the pipeline clock; None until they happen."""

    turn_id: int
    speech_end: int | None = None  # true end of the user's speech
    marks: dict[str, int] = field(default_factory=dict)

    def mark(self, name: str, t_ns: int, overwrite: bool = False) -> None:
        if overwrite or name not in self.marks:
            self.marks[name] = t_ns

    @property
    def complete(self) -> bool:
        return self.speech_end is not None and "first_played" in self.marks

    def stages_ms(self) -> dict[str, float]:
        """Each stage's length in ms; missing marks give None (a turn that never played)."""
        out: dict[str, float] = {}
        if self.speech_end is None:
            return {name: None for name in STAGE_NAMES}
        previous = self.speech_end
        for name, mark in STAGES:
            t = self.marks.get(mark)
            if t is None:
                out[name] = None
                continue
            t = max(t, previous)
            out[name] = round(ms(t - previous), 1)
            previous = t
        return out

    def v2v_ms(self) -> float | None:
        if not self.complete:
            return None
        return round(ms(max(self.marks["first_played"] - self.speech_end, 0)), 1)


def playback_gaps_ms(chunks) -> list[float]:
    """The silence the pipeline added between consecutive chunks of one reply, in ms.

    `chunks`: (time its first sample went out, its audio's length), both in ns, for each chunk
    that started playing, in order. A chunk should start the moment the one before it ends;
    any later is a gap in which the speaker ran dry (its audio was not synthesized in time).
    The voice's own pauses (a chunk's lead-in and trailing silence) are inside the lengths and
    do not count. A dry spell inside a chunk, between its pieces, delays the next chunk and
    counts there."""
    return [round(ms(max(start - (before + length), 0)), 1)
            for (before, length), (start, _) in zip(chunks, chunks[1:])]


def percentile(values, q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation; None for no values."""
    data = sorted(v for v in values if v is not None)
    if not data:
        return None
    if len(data) == 1:
        return float(data[0])
    pos = (len(data) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return float(data[lo] + (data[hi] - data[lo]) * (pos - lo))


def summarize(values) -> dict:
    data = [v for v in values if v is not None]
    return {
        "count": len(data),
        "p50": _round(percentile(data, 50)),
        "p95": _round(percentile(data, 95)),
        "mean": _round(sum(data) / len(data)) if data else None,
        "max": _round(max(data)) if data else None,
    }


def _round(value):
    return None if value is None else round(value, 1)


class RollingStats:
    """p50/p95 over the last `window` values (the UI's rolling V2V)."""

    def __init__(self, window: int = 50):
        self._values: deque[float] = deque(maxlen=window)

    def add(self, value: float | None) -> None:
        if value is not None:
            self._values.append(value)

    def values(self) -> list[float]:
        return list(self._values)

    @property
    def p50(self) -> float | None:
        return percentile(self._values, 50)

    @property
    def p95(self) -> float | None:
        return percentile(self._values, 95)

    def clear(self) -> None:
        self._values.clear()
