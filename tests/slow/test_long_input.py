"""A two-hour input costs no more memory than a short one: `transcribe`, `replay` and the
desktop app read sound files a block at a time.

Each run's peak RSS (from the kernel, `wait4`) is compared with the same command on a
ten-second file, which has the same models loaded: the difference must stay under 300 MB
(holding two hours of 48 kHz stereo whole took 2.2 GB).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

pytestmark = pytest.mark.slow

LIMIT_MB = 300
LONG_S = 2 * 3600


def write_quiet(path: Path, seconds: float, rate: int = 48000) -> Path:
    """Stereo FLAC of a faint hiss (not digital zeros: every stage sees real samples), written
    a minute at a time; FLAC keeps two hours of it small on disk."""
    rng = np.random.default_rng(7)
    with soundfile.SoundFile(str(path), "w", samplerate=rate, channels=2,
                             subtype="PCM_16", format="FLAC") as out:
        left = int(seconds * rate)
        while left > 0:
            n = min(left, 60 * rate)
            out.write(rng.integers(-3, 4, size=(n, 2)).astype(np.int16))
            left -= n
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long")
    return write_quiet(folder / "short.flac", 10), write_quiet(folder / "long.flac", LONG_S)


def peak_rss_mb(tmp_path: Path, *args, timeout: float = 1800) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               VOICE_ASSISTANT_CONFIG_DIR=str(tmp_path / "config"))
    process = subprocess.Popen([sys.executable, "-m", "assistant.cli", *map(str, args)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except BaseException:
        process.kill()
        raise
    process.returncode = os.waitstatus_to_exitcode(status)
    err = process.stderr.read().decode()
    assert process.returncode == 0, err[-2000:]
    return usage.ru_maxrss / 1024


def test_transcribe_reads_two_hours_in_blocks(inputs, tmp_path, whisper_model):
    short, long = inputs
    base = peak_rss_mb(tmp_path, "transcribe", short, "--engine", "whisper")
    peak = peak_rss_mb(tmp_path, "transcribe", long, "--engine", "whisper")
    assert peak - base < LIMIT_MB, (base, peak)


def test_replay_reads_and_writes_two_hours_in_blocks(inputs, tmp_path, real_models):
    short, long = inputs
    out = tmp_path / "out.flac"  # FLAC: two hours of near-silence stay small on disk
    base = peak_rss_mb(tmp_path, "replay", short, "--speed", "fast", "--out", out)
    peak = peak_rss_mb(tmp_path, "replay", long, "--speed", "fast", "--out", out)
    assert peak - base < LIMIT_MB, (base, peak)
    info = soundfile.info(str(out))
    assert info.samplerate == 48000 and abs(info.duration - LONG_S) < 1


def test_the_app_replays_two_hours_without_reading_them_whole(inputs, tmp_path, real_models):
    short, long = inputs
    base = peak_rss_mb(tmp_path, "--replay", short, "--quit-after", 12)
    peak = peak_rss_mb(tmp_path, "--replay", long, "--quit-after", 12)
    assert peak - base < LIMIT_MB, (base, peak)
