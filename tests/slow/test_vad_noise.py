"""Open mic in a real room: five minutes of music, chimes, typing and noise (real recordings
from Debian packages, see tests/fixtures/MANIFEST) must not start turns, and speech mixed into
the same sounds must still start one. The corpus is built at test time into a temp dir."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from assistant.evaluation import noise_corpus, noise_eval
from assistant.config import VadSettings
from assistant.vad import Endpointer, SileroGate
from conftest import AUDIO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    samples, segments = noise_corpus.build_noise_corpus(AUDIO, minutes=5.0)
    path = noise_corpus.write_wav(tmp_path_factory.mktemp("noise") / "noise-corpus.wav", samples)
    return path, samples, segments


@pytest.fixture(scope="module")
def default_endpointer():
    if not SileroGate.available():
        pytest.skip("the Silero gate needs faster-whisper and onnxruntime (pip install -e .)")
    endpointer = Endpointer(VadSettings(), gate="auto")  # what the app runs
    endpointer.start()
    return endpointer


def test_the_corpus_is_five_minutes_of_every_kind_of_sound(corpus):
    _, samples, segments = corpus
    assert len(samples) == 5 * 60 * 16000 and samples.dtype == np.int16
    kinds = {s.kind for s in segments}
    assert kinds == {"music", "typing", "chime", "noise"}
    sounding = sum(s.end_s - s.start_s for s in segments)
    assert sounding > 150  # more than half of the five minutes has something playing
    names = {s.name for s in segments}
    assert {"tuxtype-tuxi-excerpt.ogg", "bucklespring keys", "alsa-noise.wav"} <= names
    assert np.abs(samples.astype(np.int32)).max() < 32767  # nothing clipped


def test_at_most_one_false_turn_in_five_minutes_at_the_default_settings(corpus,
                                                                        default_endpointer):
    path, _, segments = corpus
    times, sources = noise_eval.count_false_turns(default_endpointer, path, segments)
    assert len(times) <= 1, f"turns started on noise at {list(zip(times, sources))}"


def test_webrtcvad_alone_would_start_many(corpus):
    """Why the gate is on by default: the same corpus without it."""
    path, _, segments = corpus
    times, _ = noise_eval.count_false_turns(noise_eval.make_endpointer(2, gate=False), path,
                                            segments)
    assert len(times) >= 10


def test_speech_in_the_same_noise_is_still_heard(corpus, default_endpointer, tmp_path):
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is needed for the spoken utterances (apt-get install espeak-ng)")
    _, samples, segments = corpus
    utterances = noise_corpus.espeak_utterances() + noise_corpus.real_utterances(AUDIO)
    assert len(utterances) == 9
    trials = noise_corpus.build_trials(samples, segments, utterances, tmp_path, snrs=(20, 10, 5))
    count, heard, noise_turn, delays = noise_eval.score_trials(default_endpointer, trials)
    assert count == {"20dB": 9, "10dB": 9, "5dB": 9}
    assert heard["20dB"] == 9 and heard["10dB"] == 9, heard
    assert heard["5dB"] >= 8, heard
    assert all(d < 400 for d in delays.values()), delays  # the turn starts promptly


def test_the_command_prints_the_table(tmp_path, capsys):
    code = noise_eval.main(["--aggressiveness", "2", "--gate", "on", "--minutes", "0.5",
                            "--no-speech", "--json", str(tmp_path / "r.json")])
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert "false turns" in out[1] and out[2].split()[:2] == ["2", "on"]
    assert (tmp_path / "r.json").is_file()
