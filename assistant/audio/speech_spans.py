"""Where a recording holds speech, as the endpointer hears it: what `transcribe` and
/v1/transcribe decode, so silence, noise and music give no words (Whisper makes words up
from them: "you you you" from twenty minutes of silence)."""

from __future__ import annotations

import numpy as np

from assistant.clock import NS_PER_MS
from assistant.events import AudioFrame, SpeechEnded, SpeechStarted

RATE = 16000
FRAME = 320  # 20 ms
AFTER_MS = 200  # kept after the last voiced frame, as the listener's pause is


def speech_spans(endpointer, samples: np.ndarray) -> list[tuple[int, int]]:
    """(first, end) sample of each stretch of speech in 16 kHz int16 `samples`, with the
    endpointer's pre-roll before it and AFTER_MS after; the endpointer starts afresh and is
    left afresh."""
    endpointer.restart()
    before = endpointer.settings.preroll_ms * RATE // 1000
    after = AFTER_MS * RATE // 1000
    spans: list[tuple[int, int]] = []
    onset = None
    try:
        for start in range(0, len(samples) - FRAME + 1, FRAME):
            frame = AudioFrame(samples=samples[start:start + FRAME],
                               t_ns=start * 1000 * NS_PER_MS // RATE, sample_rate=RATE)
            for event in endpointer.process(frame):
                if isinstance(event, SpeechStarted):
                    onset = _sample(event.t_onset_ns)
                elif isinstance(event, SpeechEnded) and onset is not None:
                    spans.append((onset, _sample(event.t_true_end_ns)))
                    onset = None
        if onset is not None:  # speech to the very end
            spans.append((onset, len(samples)))
    finally:
        endpointer.restart()
    return _merged([(max(0, a - before), min(len(samples), b + after)) for a, b in spans])


def _sample(t_ns: int) -> int:
    return int(t_ns * RATE // (1000 * NS_PER_MS))


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
