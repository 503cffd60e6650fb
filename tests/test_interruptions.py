"""Half-duplex deafness and the continuation window, on a stand-in for the pipeline (the
barge-in itself is exercised end to end in tests/test_pipeline_replay.py)."""

from types import SimpleNamespace

from assistant.clock import ManualClock
from assistant.config import Settings
from assistant.interruptions import Interruptions
from assistant.turns import Turn

MS = 1_000_000


def stand_in(settings: Settings) -> SimpleNamespace:
    return SimpleNamespace(settings=settings, clock=ManualClock(),
                           speaker=SimpleNamespace(is_playing=False), _reply_turn=None)


def test_half_duplex_is_deaf_while_speaking_and_for_the_tail_after():
    settings = Settings()
    settings.conversation.half_duplex = True
    settings.conversation.half_duplex_tail_ms = 300
    pipeline = stand_in(settings)
    interruptions = Interruptions(pipeline)
    assert not interruptions.deaf(pipeline.clock.now_ns())
    pipeline.speaker.is_playing = True
    assert interruptions.deaf(pipeline.clock.now_ns())
    pipeline.speaker.is_playing = False  # the reply ended just now
    now = pipeline.clock.now_ns()
    assert interruptions.deaf(now + 299 * MS)
    assert not interruptions.deaf(now + 300 * MS)
    settings.conversation.half_duplex = False
    pipeline.speaker.is_playing = True
    assert not interruptions.deaf(now)  # full duplex: always listening


def test_speech_within_the_window_resumes_a_spoken_turn_only():
    settings = Settings()
    settings.conversation.continuation_ms = 1000
    interruptions = Interruptions(stand_in(settings))
    spoken = Turn(turn_id=1, source="voice")
    spoken.timeline.speech_end = 5_000 * MS
    assert interruptions.resumes(spoken, 6_000 * MS)
    assert not interruptions.resumes(spoken, 6_001 * MS)
    typed = Turn(turn_id=2, source="text")
    typed.timeline.speech_end = 5_000 * MS
    assert not interruptions.resumes(typed, 5_100 * MS)
    settings.conversation.continuation_ms = 0
    assert not interruptions.resumes(spoken, 5_100 * MS)


def test_a_resumed_turn_says_the_earlier_words_first():
    earlier = Turn(turn_id=1, user_text="what is the")
    later = Turn(turn_id=2, continues=earlier)
    assert later.spoken_text("weather today") == "what is the weather today"
    assert Turn(turn_id=3).spoken_text("hello") == "hello"
