"""The end-of-turn model: its input as it was trained (checked against an independent
implementation of Whisper's log-mel), its output, and its answers on clips whose answer is
known; the engine's thread; the fallback when the model is missing."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from assistant.errors import ModelError
from assistant.turn_detection.features import N_SAMPLES, last_window, normalised, turn_features

RATE = 16000


# --- an independent reference: Whisper's log-mel from first principles ---------------------


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """The Slaney mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz * 3.0 / 200.0
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((mel - 15.0) * np.log(6.4) / 27.0),
                    mel * 200.0 / 3.0)


def reference_filters(n_mels: int = 80, n_fft: int = 400) -> np.ndarray:
    bins = np.arange(n_fft // 2 + 1) * RATE / n_fft
    edges = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(RATE / 2), n_mels + 2))
    filters = np.zeros((n_mels, len(bins)))
    for m in range(n_mels):
        left, centre, right = edges[m], edges[m + 1], edges[m + 2]
        rising = (bins - left) / (centre - left)
        falling = (right - bins) / (right - centre)
        filters[m] = np.maximum(0.0, np.minimum(rising, falling)) * 2.0 / (right - left)
    return filters


def reference_features(audio: np.ndarray) -> np.ndarray:
    """Last 8 s, zero-padded at the start, normalised, then the log-mel frame by frame."""
    x = audio.astype(np.float64) / 32768.0 if audio.dtype == np.int16 else audio.astype(np.float64)
    x = x[-N_SAMPLES:]
    x = np.concatenate([np.zeros(N_SAMPLES - len(x)), x])
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    padded = np.pad(x, 200, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 400)  # periodic Hann
    power = np.stack([np.abs(np.fft.rfft(padded[i * 160:i * 160 + 400] * window)) ** 2
                      for i in range(800)], axis=1)
    log_spec = np.log10(np.maximum(reference_filters() @ power, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0)[None]


@pytest.mark.parametrize("seconds", [0.5, 3.0, 8.0, 11.0])
def test_features_match_an_independent_implementation(seconds):
    rng = np.random.default_rng(int(seconds * 10))
    t = np.arange(int(seconds * RATE)) / RATE
    audio = (6000 * np.sin(2 * np.pi * 180 * t * (1 + 0.3 * t)) + rng.normal(0, 300, len(t)))
    audio = np.clip(audio, -32768, 32767).astype(np.int16)
    ours = turn_features(audio)
    assert ours.shape == (1, 80, 800) and ours.dtype == np.float32
    assert np.abs(ours - reference_features(audio)).max() < 1e-4


def test_the_window_is_the_last_eight_seconds_padded_at_the_start():
    audio = np.arange(1, 20_001, dtype=np.float32) / 40_000
    window = last_window(audio)
    assert len(window) == N_SAMPLES and not window[: N_SAMPLES - 20_000].any()
    assert window[-1] == audio[-1]
    long = np.ones(N_SAMPLES + 5000, np.float32)
    long[:5000] = 0.5
    assert (last_window(long) == 1.0).all()  # the oldest 5,000 samples are dropped
    z = normalised(window)
    assert abs(z.mean()) < 1e-4 and abs(z.std() - 1) < 1e-3


# --- the real model -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_path():
    from assistant.modelstore.manager import ModelManager

    try:
        return ModelManager().resolve("turn-detector", "smart-turn-v3.2-cpu")
    except ModelError:
        pytest.skip("the end-of-turn model is not installed (voice-assistant models "
                    "install-defaults)")


@pytest.fixture(scope="module")
def detector(model_path):
    from assistant.turn_detection.smart_turn import SmartTurn

    model = SmartTurn(model_path)
    model.start()
    yield model
    model.close()


def test_the_model_takes_whisper_features_and_gives_one_probability(model_path, detector):
    from assistant.turn_detection.smart_turn import check_graph

    check_graph(model_path)
    for audio in (np.zeros(RATE, np.int16), np.zeros(12 * RATE, np.int16)):
        p = detector.probability(audio)
        assert 0.0 <= p <= 1.0


def clip(parts, tail_s: float = 0.2) -> np.ndarray:
    return np.concatenate([np.zeros(int(0.3 * RATE), np.int16), *parts,
                           np.zeros(int(tail_s * RATE), np.int16)])


def test_clips_with_known_answers(detector, speech, real_audio):
    from assistant.audio.sources import load_audio
    from assistant.evaluation.pause_dialogs import word_boundary

    def trim(samples: np.ndarray, threshold: int = 100) -> np.ndarray:
        loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
        return samples[loud[0]:loud[-1] + 1]

    rear_right = trim(load_audio(real_audio("alsa-rear-right.wav")), 300)
    rear = rear_right[: word_boundary(rear_right.astype(np.float32) / 32768)]  # "Rear"
    assert detector.probability(clip([rear_right])) > 0.7  # a real voice, done
    assert detector.probability(clip([rear])) < 0.4  # the same voice, one word in
    assert detector.probability(clip([trim(speech("What is the capital of France?"))])) > 0.7
    assert detector.probability(clip([trim(speech("I would like to"))])) < 0.4


def test_the_detector_thread_answers_the_newest_pause_off_the_callers_thread(detector):
    from assistant.turn_detection.smart_turn import TurnDetectorThread

    worker = TurnDetectorThread(detector)
    worker.start()
    answers, done = [], threading.Event()

    def on_verdict(verdict):
        answers.append((verdict, threading.current_thread().name))
        done.set()

    try:
        worker.ask(1, 1, np.zeros(RATE, np.int16), on_verdict)
        assert done.wait(10)
    finally:
        worker.close()
    [(verdict, thread)] = answers
    assert (verdict.turn_id, verdict.request) == (1, 1) and 0 <= verdict.probability <= 1
    assert thread == "turn-detector" and verdict.inference_ms > 0


def test_without_the_model_turns_end_on_silence_and_say_so_once(tmp_path):
    from assistant.config import Settings
    from assistant.conversation.wiring import make_turn_detector
    from assistant.modelstore.manager import ModelManager

    notices = []
    manager = ModelManager(models_dir=tmp_path / "models")
    assert make_turn_detector(Settings(), manager, notices.append) is None
    assert len(notices) == 1 and "models download smart-turn-v3.2-cpu" in notices[0]
    assert "400 ms of silence" in notices[0]
    silence = Settings()
    silence.turn.detector = "silence"
    assert make_turn_detector(silence, manager, notices.append) is None and len(notices) == 1
