"""examples/talk.py, the documented Python client, against a real server: a WAV streamed as
if spoken, the reply printed and its audio saved."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
from helpers.api_server import running_api

from conftest import silence, trim

EXAMPLE = Path(__file__).parents[3] / "examples" / "talk.py"

pytestmark = pytest.mark.slow  # a real server on the real engines


@pytest.fixture(scope="module")
def api(api_pool):
    with running_api(pool=api_pool) as running:
        yield running


def run_example(api, *args, timeout=90):
    return subprocess.run([sys.executable, str(EXAMPLE), "--port", str(api.server.port), *args],
                          capture_output=True, text=True, timeout=timeout)


def test_the_example_client_streams_a_wav_and_saves_the_reply(api, speech, wav, tmp_path):
    question = wav(silence(0.5), trim(speech("what is the capital of france")), silence(0.3))
    reply = tmp_path / "reply.wav"
    done = run_example(api, str(question), "--token", api.token, "--out", str(reply))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    you = [line for line in lines if line.startswith("you: ")]
    said = [line for line in lines if line.startswith("assistant: ")]
    assert you and "france" in you[0].lower()
    assert said and len(said[0]) > len("assistant: ") + 5
    audio, rate = soundfile.read(reply)
    assert len(audio) / rate > 0.5 and np.abs(audio).max() > 0.05


def test_the_example_says_in_one_line_when_the_token_is_wrong(api, speech, wav):
    question = wav(silence(0.5), trim(speech("hello")))
    done = run_example(api, str(question), "--token", "wrong", timeout=30)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "401" in done.stderr
