"""The WebSocket's JSON for the loop's events (`ConversationJson`): the same rule as the window
(`ShownEvents`), the turn's life as messages, and the generation on every one."""

from __future__ import annotations

import json

from assistant.events import (
    LlmToken, ReplyCommitted, ReplyCutOff, ReplyDiscarded, ReplyStarted, TextChunk, TurnOpened,
)
from assistant.server.event_json import ConversationJson, event_message
from harness.stage import T0
from unit.test_shown_events import ANSWER, discarded_speculation, shows_discarded_words


def sent_for(events: list) -> list[dict]:
    """What a connection would send for `events`, as the client reads it back."""
    to_json = ConversationJson(T0)
    return [json.loads(json.dumps(message, ensure_ascii=False, default=str))
            for event in events for message in to_json.feed(event)]


def test_no_word_of_a_discarded_speculative_reply_is_sent():
    stage = discarded_speculation()
    sent = sent_for(stage.events)
    assert not shows_discarded_words(json.dumps(sent))
    kinds = [m["type"] for m in sent]
    assert "reply_discarded" in kinds and "reply_chunk" in kinds
    # the client learns of the discarded reply before anything of the answer
    opened = [m for m in sent if m["type"] == "reply_opened"]
    [discarded] = [m for m in sent if m["type"] == "reply_discarded"]
    assert opened[0]["speculative"] and opened[0]["generation"] == discarded["generation"]
    assert kinds.index("reply_discarded") < kinds.index("reply_chunk")
    # every chunk sent is of the answer, after the reply it belongs to was opened or committed
    chunks = [m for m in sent if m["type"] == "reply_chunk"]
    assert " ".join(m["text"] for m in chunks).strip() == ANSWER
    shown_from = {m["generation"]: i for i, m in enumerate(sent)
                  if m["type"] == "reply_committed"
                  or (m["type"] == "reply_opened" and not m["speculative"])}
    for chunk in chunks:
        assert sent.index(chunk) > shown_from[chunk["generation"]]
    [turn] = [m for m in sent if m["type"] == "turn"]
    assert turn["reply_text"].strip() == ANSWER and not turn["interrupted"]


def test_every_message_carries_its_turn_and_generation():
    sent = sent_for(discarded_speculation().events)
    assert sent and all({"type", "turn_id", "generation", "t_ms"} <= set(m) for m in sent)
    assert [m["source"] for m in sent if m["type"] == "turn_opened"] == ["voice"]


def test_the_turns_life_as_messages():
    at = T0 + 1_500_000  # 1.5 ms after the connection's start
    assert event_message(TurnOpened(turn_id=2, generation=4, t_ns=at, source="text"), T0) == {
        "type": "turn_opened", "turn_id": 2, "generation": 4, "t_ms": 1.5, "source": "text"}
    assert event_message(ReplyStarted(turn_id=2, generation=5, t_ns=at, text="hi",
                                      speculative=True), T0) == {
        "type": "reply_opened", "turn_id": 2, "generation": 5, "t_ms": 1.5, "text": "hi",
        "speculative": True}
    assert event_message(ReplyCommitted(turn_id=2, generation=5, t_ns=at), T0)["type"] == \
        "reply_committed"
    assert event_message(ReplyDiscarded(turn_id=2, generation=5, t_ns=at), T0)["type"] == \
        "reply_discarded"
    cut = event_message(ReplyCutOff(turn_id=2, generation=6, t_ns=at, t_silent_ns=T0 + 2_000_000,
                                    reason="stop"), T0)
    assert cut == {"type": "reply_cut_off", "turn_id": 2, "generation": 6, "t_ms": 1.5,
                   "reason": "stop", "silent_ms": 2.0}


def test_a_speculative_reply_s_chunks_are_sent_after_its_commit():
    sent = sent_for([
        ReplyStarted(turn_id=1, generation=2, text="hi", speculative=True),
        LlmToken(turn_id=1, generation=2, text="Hello ", index=0),
        TextChunk(turn_id=1, generation=2, text="Hello.", index=0),
        ReplyCommitted(turn_id=1, generation=2),
    ])
    assert [m["type"] for m in sent] == ["reply_opened", "reply_committed", "reply_chunk"]
