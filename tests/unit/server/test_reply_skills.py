"""The local skills through the API, on scripted engines: POST /v1/reply (plain and streamed)
answers the time in a named city itself, with no engine set borrowed and no LLM asked;
timers go to the app's skills when the app serves the API and are refused, saying so, by
`serve`; a typed question on the WebSocket gets the skill's answer from the loop."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from assistant.clock import DEFAULT_CLOCK
from assistant.config import Settings
from assistant.llm.history import ChatHistory
from assistant.server.app import SERVER_NO_TIMERS, Api, build_app
from assistant.server.pool import EnginePool
from assistant.skills.quantities import say_clock
from assistant.skills.skills import Skills
from assistant.skills.timers import TimerBoard

TOKEN = "test-token-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
TOKYO = "What time is it in Tokyo?"


def tokyo_now() -> set[str]:
    """What the skill may say, read around the request (the minute may turn meanwhile)."""
    now = time.time()
    return {f"In Tokyo it's {say_clock(datetime.fromtimestamp(t, ZoneInfo('Asia/Tokyo')))}."
            for t in (now - 60, now, now + 60)}


class Made:
    """The engine sets the pool made, on scripted engines."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.sets = []

    def __call__(self):
        from assistant.conversation.wiring import Engines
        from assistant.stt.threaded import ThreadedRecognizer
        from assistant.vad import Endpointer
        from harness.fakes import LoudnessDetector, ScriptedLlm, ScriptedRecognizer, ToneTts

        settings = self.settings

        class Llm(ScriptedLlm):
            def new_history(self):
                return ChatHistory(settings.llm.system_prompt)

        engines = Engines(self.settings, recognizer=ThreadedRecognizer(ScriptedRecognizer([])),
                          endpointer=Endpointer(self.settings.vad, gate=None,
                                                detector=LoudnessDetector()),
                          llm=Llm("The model says hello."), tts=ToneTts(0.02))
        engines.start()
        self.sets.append(engines)
        return engines


@pytest.fixture
def served():
    """`serve`'s API (its own skills) on scripted engines: (client, api, made)."""
    settings = Settings()
    settings.conversation.echo_cancellation = False
    made = Made(settings)
    pool = EnginePool(settings, make_engines=made)
    api = Api(settings=settings, token=TOKEN, pool=pool, port=8765)
    with TestClient(build_app(api), base_url="http://127.0.0.1") as client:
        yield client, api, made
    pool.close()


def reply(client, text: str) -> dict:
    response = client.post("/v1/reply", headers=HEADERS, json={"text": text})
    assert response.status_code == 200, response.text
    return response.json()


def streamed(client, text: str) -> list[tuple[str, dict]]:
    events, kind = [], None
    with client.stream("POST", "/v1/reply?stream=true", headers=HEADERS,
                       json={"text": text}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
    return events


def test_reply_tells_the_time_in_a_city_without_an_engine_or_the_llm(served):
    client, api, made = served
    answer = reply(client, TOKYO)
    assert answer["skill"] == "time" and answer["text"] in tokyo_now()
    assert made.sets == []  # no engine set was even loaded
    assert reply(client, "What time is it in Atlantis?")["text"] == (
        "I don't know the time zone of Atlantis.")


def test_the_streamed_reply_is_the_skill_s_too(served):
    client, api, made = served
    events = streamed(client, TOKYO)
    assert [kind for kind, _ in events] == ["token", "done"]
    assert events[0][1]["text"] == events[1][1]["text"] and events[1][1]["text"] in tokyo_now()
    assert events[1][1]["skill"] == "time" and made.sets == []


def test_what_no_skill_takes_goes_to_the_llm(served):
    client, api, made = served
    assert reply(client, "Tell me about cats.") == {"text": "The model says hello.",
                                                     "skill": None}
    assert made.sets[0].llm.asked == ["Tell me about cats."]
    events = streamed(client, "And dogs?")
    assert [k for k, _ in events].count("token") >= 2 and events[-1][1]["skill"] is None


def test_serve_sets_no_timer_and_says_so(served):
    client, api, made = served
    for text in ("Set a timer for ten minutes", "How much time is left?"):
        assert reply(client, text) == {"text": SERVER_NO_TIMERS, "skill": "timer"}
    assert api.skills().board.active() == [] and made.sets == []


def test_in_the_app_a_timer_asked_of_the_api_is_the_app_s(served):
    client, api, made = served
    app_skills = Skills(TimerBoard(DEFAULT_CLOCK))
    api.skills = lambda: app_skills  # as the session hands its own over
    answer = reply(client, "Set a timer for ten minutes")
    assert answer == {"text": "OK, a 10 minute timer, starting now.", "skill": "timer"}
    assert [t.seconds for t in app_skills.board.active()] == [600]
    assert reply(client, "Say that again")["text"] == answer["text"]
    assert reply(client, "Cancel the timer")["text"] == "OK, I've cancelled the 10 minute timer."
    assert app_skills.board.active() == []


def test_with_local_skills_off_the_llm_answers(served):
    client, api, made = served
    api.settings.conversation.local_skills = False
    assert reply(client, TOKYO) == {"text": "The model says hello.", "skill": None}


def test_a_question_typed_on_the_websocket_gets_the_skill_s_answer(served):
    client, api, made = served
    turns, timers = [], []
    with client.websocket_connect("ws://127.0.0.1/v1/conversation", headers=HEADERS) as ws:
        assert ws.receive_json()["type"] == "audio_format"
        for text in (TOKYO, "Set a timer for ten minutes"):
            ws.send_text(json.dumps({"type": "text", "text": text}))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                message = ws.receive()
                if "text" not in message or message["text"] is None:
                    continue  # the reply's audio
                event = json.loads(message["text"])
                if event["type"] == "timers":
                    timers.append(event["timers"])
                if event["type"] == "turn":
                    turns.append(event)
                    break
        ws.send_text(json.dumps({"type": "end"}))
    assert turns[0]["user_text"] == TOKYO and turns[0]["reply_text"] in tokyo_now()
    assert re.match(r"OK, a 10 minute timer", turns[1]["reply_text"])
    assert timers and [t["name"] for t in timers[-1]] == ["10 minute timer"]
    assert made.sets[0].llm.asked == []  # neither went to the LLM
