"""`voice-assistant --replay IN.wav --screenshot OUT.png --quit-after SECONDS`: the real app,
run as a person would run it, heard through a file."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtGui import QImage


def run_cli(*args, tmp_path, timeout=120):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               VOICE_ASSISTANT_CONFIG_DIR=str(tmp_path / "config"))
    return subprocess.run([sys.executable, "-m", "assistant.cli", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_replay_answers_and_saves_a_screenshot(tmp_path, real_models, speech, wav):
    rate = 16000
    path = wav(np.zeros(rate // 3, np.int16), speech("What is the capital of France?"),
               np.zeros(rate, np.int16))
    shot = tmp_path / "shots" / "window.png"
    result = run_cli("--replay", path, "--screenshot", shot, "--quit-after", 15,
                     "--stt-engine", "whisper", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    # the window, fitted to the offscreen platform's 800 x 800 screen
    assert not image.isNull() and 700 <= image.width() <= 800 and image.height() >= 500


def test_a_missing_replay_file_is_one_line_on_stderr(tmp_path):
    result = run_cli("--replay", tmp_path / "nope.wav", "--quit-after", 1, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: Cannot read {tmp_path / 'nope.wav'}: no such file; check the path."]


def empty_file(folder):
    (folder / "empty.wav").write_bytes(b"")
    return folder / "empty.wav"


def text_file(folder):
    (folder / "notes.wav").write_text("these are my notes")
    return folder / "notes.wav"


def header_only_wav(folder):
    import soundfile

    path = folder / "header.wav"
    soundfile.write(str(path), np.zeros(0, np.int16), 16000, subtype="PCM_16")
    return path


def a_folder(folder):
    (folder / "folder.wav").mkdir()
    return folder / "folder.wav"


@pytest.mark.parametrize("make,says", [
    (empty_file, "as audio"), (text_file, "as audio"), (header_only_wav, "holds no audio"),
    (a_folder, "not a file"),
])
def test_an_unusable_replay_file_is_one_line_and_a_failure(tmp_path, make, says):
    path = make(tmp_path)
    shot = tmp_path / "window.png"
    result = run_cli("--replay", path, "--quit-after", 2, "--screenshot", shot, tmp_path=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], result.stderr
    assert str(path) in lines[0]
    assert shot.is_file()  # the window came up to say so


@pytest.mark.slow
def test_a_corrupt_llm_file_is_one_line_and_a_failure(tmp_path, speech, wav):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + bytes(200))
    path = wav(np.zeros(16000, np.int16), speech("Hello there."), np.zeros(16000, np.int16))
    result = run_cli("--replay", path, "--llm-model", bad, "--quit-after", 8, tmp_path=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "broken.gguf" in lines[0] and "Traceback" not in result.stderr


def test_the_window_says_why_the_conversation_cannot_start(qtbot, open_window):
    window = open_window(start=False)
    message = "Cannot read /tmp/x.wav as audio (File contains data in an unknown format.)."
    window.show_startup_failure(message)
    assert ("error", message) in window.banner.messages()
    assert window.state.state == "error" and window.state.toolTip() == message
