"""Expected failures on the command line are one line on stderr and a non-zero exit, never a
traceback: bad input files, paths that cannot be written, damaged or missing models. Paths are
checked before any model is loaded, so a typo costs no waiting."""

from __future__ import annotations

import os
import stat
import time

import numpy as np
import pytest
import soundfile

from assistant.cli import main


@pytest.fixture(autouse=True)
def own_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICE_ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def good_wav(tmp_path):
    path = tmp_path / "good.wav"
    soundfile.write(str(path), np.zeros(16000, np.int16), 16000, subtype="PCM_16")
    return path


@pytest.fixture
def read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "file").write_text("a file where a folder is needed")
    return folder / "file"  # writing "under" a file fails for root too


def fails_in_one_line(capsys, *argv, within_s: float = 10.0) -> str:
    began = time.monotonic()
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code != 0, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    assert time.monotonic() - began < within_s  # refused before loading models
    return lines[0]


def test_replay_of_a_text_file(capsys, tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    assert "as audio" in fails_in_one_line(capsys, "replay", path)


def test_replay_of_a_header_only_wav(capsys, tmp_path):
    path = tmp_path / "empty.wav"
    soundfile.write(str(path), np.zeros(0, np.int16), 16000, subtype="PCM_16")
    assert "holds no audio" in fails_in_one_line(capsys, "replay", path)


def test_replay_metrics_that_cannot_be_written(capsys, good_wav, read_only_folder):
    line = fails_in_one_line(capsys, "replay", good_wav, "--metrics", read_only_folder / "m.json")
    assert "m.json" in line and "cannot be written" in line


def test_replay_out_that_cannot_be_written(capsys, good_wav, read_only_folder):
    line = fails_in_one_line(capsys, "replay", good_wav, "--out", read_only_folder / "o.wav")
    assert "o.wav" in line and "cannot be written" in line


def test_bench_json_that_cannot_be_written(capsys, good_wav, read_only_folder):
    line = fails_in_one_line(capsys, "bench", good_wav, "--json", read_only_folder / "b.json")
    assert "b.json" in line


def test_say_to_a_file_that_cannot_be_written(capsys, read_only_folder):
    line = fails_in_one_line(capsys, "say", "hello", "--out", read_only_folder / "s.wav",
                             within_s=30)
    assert "s.wav" in line


def test_transcribe_of_a_folder(capsys, tmp_path):
    assert "not a file" in fails_in_one_line(capsys, "transcribe", tmp_path)


def test_transcribe_with_a_missing_model_folder(capsys, good_wav, tmp_path):
    line = fails_in_one_line(capsys, "transcribe", good_wav, "--engine", "whisper",
                             "--model", tmp_path / "no-model")
    assert "no-model" in line


def test_ask_with_a_damaged_llm(capsys, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + os.urandom(300))
    line = fails_in_one_line(capsys, "ask", "--no-speak", "--llm-model", bad, "hello",
                             within_s=30)
    assert "broken.gguf" in line


def test_a_folder_as_settings_file_is_a_warning_not_a_failure(capsys, tmp_path):
    folder = tmp_path / "settings"
    folder.mkdir()
    assert main(["--config", str(folder), "models", "list"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a folder" in err and "Traceback" not in err
    assert stat.S_ISDIR(folder.stat().st_mode)
