"""Where a recording holds speech (speech_spans.py), as the endpointer hears it."""

from __future__ import annotations

import numpy as np
from harness.fakes import LoudnessDetector, quiet, tone

from assistant.audio.speech_spans import speech_spans
from assistant.config import VadSettings
from assistant.vad import Endpointer

RATE = 16000


def endpointer() -> Endpointer:
    return Endpointer(VadSettings(), gate=None, detector=LoudnessDetector())


def samples(*pieces) -> np.ndarray:
    return np.concatenate(pieces)


def test_silence_has_no_speech():
    assert speech_spans(endpointer(), samples(quiet(5000))) == []


def test_each_stretch_of_speech_with_its_pre_roll_and_a_pause_after():
    audio = samples(quiet(1000), tone(800), quiet(2000), tone(600), quiet(1000))
    ep = endpointer()
    (a1, b1), (a2, b2) = speech_spans(ep, audio)
    preroll = VadSettings().preroll_ms * RATE // 1000
    assert a1 <= 1.0 * RATE - preroll + 320 and a1 >= 1.0 * RATE - preroll - 2 * 320
    assert 1.8 * RATE + 0.15 * RATE <= b1 <= 1.8 * RATE + 0.25 * RATE
    assert 3.8 * RATE - preroll - 2 * 320 <= a2 <= 3.8 * RATE
    assert b2 <= len(audio)
    assert ep.state.name == "QUIET"  # left afresh for whoever uses it next


def test_speech_to_the_very_end_is_kept():
    audio = samples(quiet(500), tone(1000))
    [(a, b)] = speech_spans(endpointer(), audio)
    assert b == len(audio)
