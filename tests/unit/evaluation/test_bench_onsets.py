"""Onsets of speech read from the input audio, for barge-in latency from the true onset."""

import numpy as np
import soundfile

from assistant.evaluation.bench import barge_in_from_true_onset, true_onsets

RATE = 16000


def burst(seconds: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, int(RATE * seconds)).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.random.default_rng(9).normal(0, 0.0005, int(RATE * seconds)).astype(np.float32)


def test_onsets_follow_a_real_pause_and_not_a_short_gap(tmp_path):
    audio = np.concatenate([quiet(0.5), burst(0.5, 1), quiet(0.4), burst(0.3, 2), quiet(0.1),
                            burst(0.3, 3), quiet(1.0)])
    path = tmp_path / "in.wav"
    soundfile.write(str(path), audio, RATE)
    # sound at 0.5 s, again at 1.4 s after 400 ms of quiet; the 100 ms gap at 1.7 s is no onset
    assert true_onsets(path) == [500.0, 1400.0]


def test_barge_in_is_measured_from_the_latest_onset_before_the_detected_one():
    barge_ins = [{"t_onset_ms": 1420.0, "t_silent_ms": 1530.0}]
    assert barge_in_from_true_onset(barge_ins, [500.0, 1400.0]) == [130.0]
    # an onset detected a little early still finds its utterance (100 ms of slack)
    assert barge_in_from_true_onset([{"t_onset_ms": 1350.0, "t_silent_ms": 1500.0}],
                                    [500.0, 1400.0]) == [100.0]
