"""What Smart Turn hears: the last 8 s of the turn as Whisper log-mel features, exactly as it
was trained.

The turn's audio (16 kHz, from before its onset: the pre-roll is included) is cut to its last
8 s or zero-padded at the start to 128,000 samples, normalised to zero mean and unit variance,
and turned into Whisper's log-mel spectrogram (n_fft 400, hop 160, 80 Slaney mels, log10
clamped to 8 below the maximum, then (x + 4) / 4): 800 frames. faster-whisper's
FeatureExtractor computes the mel part.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
WINDOW_S = 8
N_SAMPLES = SAMPLE_RATE * WINDOW_S  # 128,000
N_FRAMES = 800
N_MELS = 80

_extractor = None


def _mel():
    global _extractor
    if _extractor is None:
        from faster_whisper.feature_extractor import FeatureExtractor

        _extractor = FeatureExtractor(feature_size=N_MELS, sampling_rate=SAMPLE_RATE,
                                      hop_length=160, chunk_length=WINDOW_S, n_fft=400)
    return _extractor


def last_window(audio: np.ndarray) -> np.ndarray:
    """The last 8 s of `audio` (int16 or float) as float32 in [-1, 1], zero-padded at the
    start to exactly 128,000 samples."""
    audio = np.asarray(audio)
    if audio.dtype == np.int16:
        audio = audio.astype(np.float32) / 32768.0
    audio = audio.astype(np.float32, copy=False)[-N_SAMPLES:]
    if len(audio) < N_SAMPLES:
        audio = np.concatenate([np.zeros(N_SAMPLES - len(audio), np.float32), audio])
    return audio


def normalised(window: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance (as Whisper's feature extractor does with do_normalize)."""
    return (window - window.mean()) / np.sqrt(window.var() + 1e-7)


def turn_features(audio: np.ndarray) -> np.ndarray:
    """`input_features` for the model: float32 [1, 80, 800]."""
    features = _mel()(normalised(last_window(audio)), padding=0)
    return features[None, :, :N_FRAMES].astype(np.float32)
