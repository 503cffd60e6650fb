"""The sound a timer rings with: two soft bell strikes, made here (no sound file to ship)."""

from __future__ import annotations

import numpy as np

STRIKES = ((1046.5, 0.0), (1318.5, 0.32), (1046.5, 0.64), (1318.5, 0.96))  # (Hz, start s)
LENGTH_S = 1.7
PEAK = 0.3


def chime(sample_rate: int) -> np.ndarray:
    """float32 mono at `sample_rate`: each strike a tone with two overtones, decaying."""
    n = int(LENGTH_S * sample_rate)
    t = np.arange(n, dtype=np.float64) / sample_rate
    out = np.zeros(n, dtype=np.float64)
    for freq, start in STRIKES:
        local = t - start
        on = local >= 0
        env = np.where(on, np.exp(-np.clip(local, 0, None) * 6.0), 0.0)
        env *= np.clip(local / 0.004, 0, 1)  # a 4 ms attack: no click
        tone = (np.sin(2 * np.pi * freq * local) + 0.35 * np.sin(2 * np.pi * 2 * freq * local)
                + 0.12 * np.sin(2 * np.pi * 3 * freq * local))
        out += env * tone
    out *= PEAK / max(np.abs(out).max(), 1e-9)
    return out.astype(np.float32)
