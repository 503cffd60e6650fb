"""The web page's handling of the conversation's messages (assistant/server/static/app.js),
run in Node on a stub DOM (page_messages.js): a speculative reply that is discarded never
shows on the page. The page in a real browser, with real audio, is
tests/slow/server/test_api_browser.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.server.event_json import event_message
from harness.stage import T0
from unit.server.test_event_json import sent_for
from unit.test_shown_events import ANSWER, discarded_speculation, shows_discarded_words

NODE = shutil.which("node")
HERE = Path(__file__).parent
APP_JS = HERE.parents[2] / "assistant" / "server" / "static" / "app.js"

pytestmark = pytest.mark.skipif(NODE is None, reason="node is needed to run the page's script")


def page_after(messages: list[dict]) -> dict:
    """What the page shows after these messages: {turns: [{turn_id, user, reply}],
    shownChunks: [{turn_id, generation, text}], discarded: [generation...]}."""
    done = subprocess.run([NODE, str(HERE / "page_messages.js"), str(APP_JS)],
                          input=json.dumps(messages, default=str), capture_output=True,
                          text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def test_the_page_shows_the_answer_and_nothing_of_the_discarded_reply():
    page = page_after(sent_for(discarded_speculation().events))
    [turn] = page["turns"]
    assert turn["reply"].strip() == ANSWER and turn["user"] == "what time is it in tokyo"
    assert not any(shows_discarded_words(chunk["text"]) for chunk in page["shownChunks"])
    assert len(page["discarded"]) == 1


def test_the_page_alone_ignores_chunks_of_a_reply_it_was_not_told_to_show():
    # every event as a message, without the server's ShownEvents: the discarded reply's
    # chunks do reach the page, which shows only the reply opened or committed for the turn
    stage = discarded_speculation()
    raw = [m for m in (event_message(e, T0) for e in stage.events) if m is not None]
    assert any(m["type"] == "reply_chunk" and shows_discarded_words(m["text"]) for m in raw)
    page = page_after(raw)
    assert not shows_discarded_words(json.dumps(page["turns"]))
    assert not any(shows_discarded_words(chunk["text"]) for chunk in page["shownChunks"])
    assert page["turns"][-1]["reply"].strip() == ANSWER
