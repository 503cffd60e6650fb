"""Read V2V off the two files alone: IN.wav (the user) and OUT.wav (the assistant, same
timeline). An independent check of the figures the pipeline reports.

`python -m assistant.evaluation.wavcheck IN.wav OUT.wav` prints, for each user utterance, when it ended
and when the assistant's next audio started, found from the signal energy in 10 ms windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soundfile

from assistant.commands.parsing import StrictParser

WINDOW_S = 0.010


@dataclass
class Segment:
    start_s: float
    end_s: float


def _active_windows(audio: np.ndarray, rate: int, threshold_db: float) -> np.ndarray:
    n = int(rate * WINDOW_S)
    frames = len(audio) // n
    if frames == 0:
        return np.zeros(0, dtype=bool)
    windows = audio[: frames * n].reshape(frames, n).astype(np.float64)
    rms = np.sqrt(np.mean(windows**2, axis=1) + 1e-20)
    return 20 * np.log10(rms) > threshold_db


def segments(audio: np.ndarray, rate: int, threshold_db: float = -45.0,
             min_gap_s: float = 0.6, min_len_s: float = 0.05) -> list[Segment]:
    """Runs of sound separated by at least `min_gap_s` of quiet."""
    active = _active_windows(audio, rate, threshold_db)
    found: list[Segment] = []
    idx = np.flatnonzero(active)
    if len(idx) == 0:
        return found
    start = prev = idx[0]
    for i in idx[1:]:
        if (i - prev) * WINDOW_S > min_gap_s:
            found.append(Segment(start * WINDOW_S, (prev + 1) * WINDOW_S))
            start = i
        prev = i
    found.append(Segment(start * WINDOW_S, (prev + 1) * WINDOW_S))
    return [s for s in found if s.end_s - s.start_s >= min_len_s]


def first_sound_after(audio: np.ndarray, rate: int, t_s: float, threshold: float = 1e-4):
    """Time of the first sample after `t_s` whose magnitude exceeds `threshold`, or None."""
    start = int(t_s * rate)
    hits = np.flatnonzero(np.abs(audio[start:]) > threshold)
    return None if len(hits) == 0 else (start + hits[0]) / rate


def load_mono(path) -> tuple[np.ndarray, int]:
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return audio.mean(axis=1), rate


def v2v_from_files(in_path, out_path, min_gap_s: float = 0.6) -> list[tuple[float, float]]:
    """(user speech end, assistant audio start) in seconds for each utterance followed by
    assistant audio before the next utterance begins."""
    user, rate_in = load_mono(in_path)
    out, rate_out = load_mono(out_path)
    utterances = segments(user, rate_in, min_gap_s=min_gap_s)
    pairs = []
    for i, seg in enumerate(utterances):
        start = first_sound_after(out, rate_out, seg.end_s)
        limit = utterances[i + 1].start_s if i + 1 < len(utterances) else float("inf")
        if start is not None and start < limit:
            pairs.append((seg.end_s, start))
    return pairs


def main(argv=None) -> int:
    parser = StrictParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    args = parser.parse_args(argv)
    for end_s, start_s in v2v_from_files(args.input, args.output):
        print(f"speech end {end_s * 1000:8.0f} ms  reply start {start_s * 1000:8.0f} ms  "
              f"v2v {(start_s - end_s) * 1000:6.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
