"""The barge-in decision, the continuation window and half-duplex deafness, as decisions on
plain data (the whole loop is exercised in tests/unit/conversation/test_stage_turns.py)."""

from assistant.config import ConversationSettings
from assistant.conversation.barge_in import BargeInPolicy, HalfDuplex, Speech
from assistant.conversation.turn_state import TurnState
from assistant.conversation.turns import Turn

MS = 1_000_000


def speech(ms: float, voiced_ms: float | None = None, onset_ms: float = 1000) -> Speech:
    return Speech(quiet=False, onset_ns=int(onset_ms * MS),
                  voiced_ms=ms if voiced_ms is None else voiced_ms,
                  end_ns=int((onset_ms + ms) * MS))


def test_barge_in_needs_enough_voiced_speech_over_a_committed_reply():
    settings = ConversationSettings(barge_in_min_speech_ms=80)
    policy = BargeInPolicy(settings)
    reply = Turn(turn_id=1)
    louder = lambda since: True  # noqa: E731
    assert policy.interrupts(reply, None, speech(100), louder)
    assert not policy.interrupts(reply, None, speech(60), louder)  # too short
    assert not policy.interrupts(reply, None, speech(100, voiced_ms=20), louder)  # one frame
    assert not policy.interrupts(reply, None, speech(100), lambda since: False)  # the echo
    assert not policy.interrupts(None, None, speech(100), louder)  # nothing to interrupt
    assert not policy.interrupts(reply, reply, speech(100), louder)  # its own turn talking
    reply.committed = False  # a speculative reply nobody hears yet
    assert not policy.interrupts(reply, None, speech(100), louder)
    reply.committed = True
    settings.barge_in = False
    assert not policy.interrupts(reply, None, speech(500), louder)


def test_speech_within_the_window_resumes_a_spoken_turn_only():
    settings = ConversationSettings(continuation_ms=1000)
    policy = BargeInPolicy(settings)
    spoken = Turn(turn_id=1, source="voice")
    spoken.timeline.speech_end = 5_000 * MS
    assert policy.resumes(spoken, 6_000 * MS)
    assert not policy.resumes(spoken, 6_001 * MS)
    typed = Turn(turn_id=2, source="text")
    typed.timeline.speech_end = 5_000 * MS
    assert not policy.resumes(typed, 5_100 * MS)
    settings.continuation_ms = 0
    assert not policy.resumes(spoken, 5_100 * MS)


def test_half_duplex_is_deaf_while_speaking_and_for_the_tail_after():
    settings = ConversationSettings(half_duplex=True, half_duplex_tail_ms=300)
    duplex = HalfDuplex(settings)
    assert not duplex.deaf(0, 0, speaking=False)
    assert duplex.deaf(0, 0, speaking=True)
    now = 1_000 * MS  # the reply ended just now
    duplex.deaf(now, now, speaking=True)
    assert duplex.deaf(now + 299 * MS, now + 299 * MS, speaking=False)
    assert not duplex.deaf(now + 300 * MS, now + 300 * MS, speaking=False)
    settings.half_duplex = False
    assert not duplex.deaf(now, now, speaking=True)  # full duplex: always listening


def test_a_resumed_turn_says_the_earlier_words_first():
    assert TurnState(2, prefix="what is the").spoken("weather today") == \
        "what is the weather today"
    assert TurnState(3).spoken(" hello ") == "hello"
