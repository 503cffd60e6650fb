"""A speculative reply over the real WebSocket, on a real server with real engines: the user
pauses mid-question (a reply starts on the words so far), then goes on; the client is told the
reply was discarded and is sent none of its chunks, and the answer comes as a reply of its own."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.api_server import api_settings, running_api

from conftest import silence, trim
from slow.server.test_conversation_socket import Client, open_conversation

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def api(api_pool):
    # the end-of-turn model is never sure enough, so the pause mid-question does not end the
    # turn: it stays open (up to turn.max_silence_ms, 3 s) while a speculative reply is written
    with running_api(api_settings(turn__threshold=0.99, turn__max_silence_ms=3000),
                     pool=api_pool) as running:
        yield running


def test_a_discarded_speculative_reply_is_never_sent(api, speech):
    first = trim(speech("what is the capital"))
    rest = trim(speech("of france"))
    with open_conversation(api) as (ws, _format):
        client = Client(ws)
        # a pause long enough for the words so far to be decoded on a busy machine and a reply
        # started on them
        client.stream(np.concatenate([silence(0.5), first, silence(1.5), rest, silence(4.0)]))
        [turn] = client.wait_for("turn", timeout=60)
        ws.send(json.dumps({"type": "end"}))
        client.wait_for("end", timeout=30)
    events = client.events
    discarded = {e["generation"] for e in events if e["type"] == "reply_discarded"}
    assert discarded, [e["type"] for e in events]  # the pause did start a reply, then it went
    # every chunk sent belongs to a reply shown: opened (not speculative) or committed before it
    shown: set[int] = set()
    for event in events:
        if event["type"] == "reply_committed" or (
                event["type"] == "reply_opened" and not event["speculative"]):
            shown.add(event["generation"])
        if event["type"] == "reply_chunk":
            assert event["generation"] in shown and event["generation"] not in discarded, event
    # the answer is a reply of its own, opened after the discard (on the words Whisper tiny
    # made of the whole turn, which after a long pause are sometimes only its first part)
    assert max(shown) > max(discarded)
    chunks = [e["text"] for e in events if e["type"] == "reply_chunk"]
    assert chunks and turn["user_text"] and not turn["interrupted"]
    assert " ".join(chunks).split()[:3] == turn["reply_text"].split()[:3]
