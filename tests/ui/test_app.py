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
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500


def test_a_missing_replay_file_is_one_line_on_stderr(tmp_path):
    result = run_cli("--replay", tmp_path / "nope.wav", "--quit-after", 1, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: cannot read {tmp_path / 'nope.wav'}: no such file; check the path."]
