"""The whole loop with the real models: a real sentence with a thinking pause in the middle is
one turn, nothing is said during the pause, and the reply comes soon after the true end."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from assistant.config import Settings
from assistant.conversation.replay import run_replay

pytestmark = pytest.mark.slow
RATE = 16000


@pytest.fixture
def paused_sentence(tmp_path, real_audio):
    """Harvard sentence 2 ("Glue the sheet to the dark blue background."), cut after "dark"
    with 700 ms of faint room noise put in; (path, pause start, true end) in seconds."""
    from assistant.evaluation.pause_dialogs import room_noise, word_boundary
    from assistant.evaluation.speech_clips import load_recording, trimmed

    harvard = load_recording(real_audio("codec2-harvard-16k.wav"))
    sentence = trimmed(harvard[int(2.67 * RATE):int(5.36 * RATE)])
    cut = word_boundary(sentence)
    rng = np.random.default_rng(2)
    lead, pause = room_noise(1.0, rng), room_noise(0.7, rng)
    audio = np.concatenate([lead, sentence[:cut], pause, sentence[cut:], room_noise(7.0, rng)])
    path = tmp_path / "paused.wav"
    soundfile.write(path, audio, RATE, subtype="PCM_16")
    pause_start = (len(lead) + cut) / RATE
    true_end = (len(lead) + len(sentence) + len(pause)) / RATE
    return path, pause_start, true_end


def test_a_thinking_pause_is_one_turn_and_nothing_is_said_over_it(paused_sentence, real_models):
    path, pause_start, true_end = paused_sentence
    settings = Settings()
    settings.llm.max_tokens = 40
    result = run_replay(settings, path, tail_s=15)
    voice = [t for t in result.turns if t["source"] == "voice"]
    assert len(voice) == 1, [(t["user_text"], t["end_of_turn"]) for t in voice]
    [turn] = voice
    assert not turn["interrupted"]
    assert "glue" in turn["user_text"].lower() and "background" in turn["user_text"].lower()
    assert turn["t_first_audio_ms"] >= true_end * 1000  # nothing during the pause
    assert turn["end_of_turn"]["checks"] >= 2  # asked in the pause, and at the end
    out = result.out_audio
    assert np.abs(out[int(pause_start * RATE):int(true_end * RATE)]).max() == 0.0
