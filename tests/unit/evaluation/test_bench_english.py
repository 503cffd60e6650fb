"""The English bench set: the espeak-ng dialogs in three voices, the real English recordings as
one dialog (each with its words), the utterances english_speech scores, and the report's label
and per-dialog rows."""

from __future__ import annotations

import json
import shutil
import subprocess
from itertools import pairwise

import pytest
import soundfile

from assistant.evaluation.bench import format_report, per_dialog
from assistant.evaluation.bench_dialogs import (
    DIALOGS,
    ESPEAK_VOICES,
    RECORDINGS_EN,
    dialog_stem,
    write_recordings_dialog,
    write_spoken_dialogs,
)
from assistant.evaluation.speech_clips import FIXTURES, RATE, UTTERANCES

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def test_a_dialog_file_is_named_by_its_dialog_and_voice():
    assert dialog_stem("questions", "ko") == "questions-ko"  # the Korean names stay
    assert dialog_stem("questions", "en-us") == "questions-en-us"
    assert dialog_stem("interrupt", "en-us+f3") == "interrupt-en-us-f3"


@needs_espeak
def test_the_english_dialogs_are_spoken_in_three_english_voices_espeak_knows():
    voices = ESPEAK_VOICES["en"]
    assert len(set(voices)) >= 3
    listed = subprocess.run(["espeak-ng", "--voices=en"], capture_output=True, text=True,
                            check=True).stdout.split()
    for voice in voices:
        assert voice.split("+")[0] in listed


@needs_espeak
def test_each_english_voice_gets_the_questions_and_the_interrupt_dialog(tmp_path):
    written = write_spoken_dialogs(tmp_path, "en", tmp_path)
    expected = {f"{dialog_stem(name, voice)}.wav" for voice in ESPEAK_VOICES["en"]
                for name in DIALOGS["en"]}
    assert {p.name for p in written} == expected
    for path in written:
        sidecar = json.loads(path.with_suffix(".json").read_text())
        name = path.stem.split("-")[0]
        assert sidecar["language"] == "en" and sidecar["voice"] in ESPEAK_VOICES["en"]
        assert [s["text"] for s in sidecar["segments"]] == [t for t, _ in DIALOGS["en"][name]]
        assert sidecar["interrupts"] == ([1, 2, 3] if name == "interrupt" else [])
    voices = {json.loads(p.with_suffix(".json").read_text())["voice"] for p in written}
    assert voices == set(ESPEAK_VOICES["en"])


def test_every_utterance_is_a_fixture_with_words():
    assert len(UTTERANCES) >= 30
    for name, words in UTTERANCES.items():
        assert (FIXTURES / name).is_file(), f"{name}: see tests/fixtures/MANIFEST"
        assert len(words.split()) >= 2


def test_the_recordings_dialog_is_every_chosen_recording_with_its_words_and_room_to_reply(
        tmp_path):
    assert all(name in UTTERANCES for name in RECORDINGS_EN)
    path = write_recordings_dialog(tmp_path, pause_s=14.0)
    assert path.name == "recordings-en.wav"
    sidecar = json.loads(path.with_suffix(".json").read_text())
    segments = sidecar["segments"]
    assert [s["clip"] for s in segments] == list(RECORDINGS_EN)
    assert [s["text"] for s in segments] == [UTTERANCES[name] for name in RECORDINGS_EN]
    for before, after in pairwise(segments):
        assert after["start_s"] - before["end_s"] == pytest.approx(14.0, abs=0.01)
    for segment in segments:
        assert 0.5 < segment["end_s"] - segment["start_s"] < 10.0  # one short utterance each
    info = soundfile.info(str(path))
    assert info.samplerate == RATE
    assert info.duration == pytest.approx(segments[-1]["end_s"] + 14.0, abs=0.01)


def turn(file: str, mode: str, v2v_ms: float | None) -> dict:
    return {"file": file, "mode": mode, "v2v_ms": v2v_ms}


def test_the_report_gives_each_dialog_its_row_per_mode():
    turns = [turn("questions-en-us.wav", "streaming", 400.0),
             turn("questions-en-us.wav", "streaming", 600.0),
             turn("questions-en-gb.wav", "streaming", 500.0),
             turn("questions-en-gb.wav", "sequential", None)]
    rows = per_dialog(turns, ("streaming", "sequential"))
    assert list(rows) == ["questions-en-us.wav", "questions-en-gb.wav"]
    assert rows["questions-en-us.wav"]["streaming"] == {"turns": 2, "v2v_p50_ms": 500.0,
                                                        "v2v_p95_ms": 590.0}
    assert rows["questions-en-gb.wav"]["sequential"]["turns"] == 1
    assert rows["questions-en-us.wav"]["sequential"]["turns"] == 0


def test_the_printed_report_starts_with_its_label_and_lists_the_dialogs():
    turns = [turn("questions-en-us.wav", "streaming", 400.0),
             turn("interrupt-en-us.wav", "streaming", 450.0)]
    report = {"label": "default (Whisper tiny): English espeak-ng dialogs", "modes": {},
              "dialogs": per_dialog(turns, ("streaming",)),
              "sequential_over_streaming": {"p50_ratio": None, "turns_with_2plus_sentences": {}},
              "peak_rss_mb": 1.0, "cpu_time_s": 1.0}
    lines = format_report(report).splitlines()
    assert lines[0] == "== default (Whisper tiny): English espeak-ng dialogs =="
    assert any(line.split()[0] == "questions-en-us.wav" and "streaming 1, 400.0/400.0" in line
               for line in lines)
    assert not format_report({**report, "label": ""}).startswith("==")
