"""The WebSocket half of the local API on a real server with real engines: a conversation
streamed as if from the microphone, typed turns, barge-in, and what a hostile or careless
client cannot do (no token, another site's page, oversized frames, garbage, too many
connections, leaving mid-reply)."""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time

import numpy as np
import pytest
from helpers.api_server import running_api
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from conftest import silence, trim

FRAME = 320  # 20 ms at 16 kHz

pytestmark = pytest.mark.slow  # a real server on the real engines


@pytest.fixture(scope="module")
def api(api_pool):
    with running_api(pool=api_pool) as running:
        yield running


@contextlib.contextmanager
def open_conversation(api, **kwargs):
    headers = kwargs.pop("headers", api.headers)
    with connect(api.ws_url, additional_headers=headers, max_size=2**22, **kwargs) as ws:
        first = json.loads(ws.recv(timeout=30))
        assert first["type"] == "audio_format" and first["input_sample_rate"] == 16000
        yield ws, first


class Client:
    """Sends audio in real time on one thread and collects what comes back on another."""

    def __init__(self, ws):
        self.ws = ws
        self.events: list[dict] = []
        self.audio: list[tuple[float, int]] = []  # (arrival, samples)
        self.order: list = []  # every message as it came: the event, or the audio's samples
        self.closed = threading.Event()
        self.close_code = None
        self._arrived = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        try:
            for message in self.ws:
                with self._arrived:
                    if isinstance(message, bytes):
                        self.audio.append((time.monotonic(), len(message) // 2))
                        self.order.append(len(message) // 2)
                    else:
                        event = json.loads(message) | {"_at": time.monotonic(),
                                                       "_seq": len(self.order)}
                        self.events.append(event)
                        self.order.append(event)
                    self._arrived.notify_all()
        except ConnectionClosed:
            pass
        with self._arrived:
            self.close_code = self.ws.close_code
            self.closed.set()
            self._arrived.notify_all()

    def stream(self, samples: np.ndarray, block: int = 2 * FRAME):
        start = time.monotonic()
        for i in range(0, len(samples), block):
            due = start + (i + block) / 16000
            time.sleep(max(0.0, due - time.monotonic()))  # as fast as a microphone
            self.ws.send(samples[i:i + block].astype("<i2").tobytes())

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]

    def wait_until(self, found, timeout: float = 30):
        """`found()` once it is true (it is asked again as each message arrives)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: found() or self.closed.is_set(), timeout) \
                and found()

    def wait_for(self, kind: str, n: int = 1, timeout: float = 30) -> list[dict]:
        self.wait_until(lambda: len(self.of(kind)) >= n, timeout)
        found = self.of(kind)
        assert len(found) >= n, (kind, [e["type"] for e in self.events])
        return found

    def first_after(self, kind: str, event: dict) -> dict | None:
        return next((e for e in self.of(kind) if e["_seq"] > event["_seq"]), None)

    def audio_blocks(self, after: dict, before: dict | None = None) -> int:
        """Audio messages that came after the event `after` (and before `before`)."""
        end = before["_seq"] if before is not None else len(self.order)
        return sum(isinstance(m, int) for m in self.order[after["_seq"] + 1:end])

    def wait_for_audio(self, after: dict, blocks: int, timeout: float = 30) -> None:
        assert self.wait_until(lambda: self.audio_blocks(after) >= blocks, timeout), \
            f"{self.audio_blocks(after)} blocks of audio after {after['type']}, not {blocks}"


def test_a_spoken_question_is_answered_in_words_and_audio(api, speech):
    question = trim(speech("what is the capital of france"))
    with open_conversation(api) as (ws, audio_format):
        answered(Client(ws), question, audio_format)


def answered(client, question, audio_format):
    ws = client.ws
    client.stream(np.concatenate([silence(0.5), question, silence(1.5)]))
    [final] = client.wait_for("final")
    assert "france" in final["text"].lower()
    [turn] = client.wait_for("turn", timeout=40)
    assert "paris" in turn["reply_text"].lower() or turn["reply_text"]
    assert turn["metrics"]["v2v_ms"] is not None and turn["metrics"]["v2v_ms"] < 3000
    kinds = [e["type"] for e in client.events]
    for kind in ("speech_started", "speech_ended", "final", "reply_chunk", "reply_started"):
        assert kind in kinds
    # the reply's audio came back: about as long as it played, at the announced rate
    samples = sum(n for _, n in client.audio)
    assert samples / audio_format["sample_rate"] > 0.5
    # and it came in real time, not in one burst
    first, last = client.audio[0][0], client.audio[-1][0]
    assert last - first > 0.5 * samples / audio_format["sample_rate"]
    ws.send(json.dumps({"type": "end"}))
    client.wait_for("end", timeout=20)
    assert client.closed.wait(5) and client.close_code == 1000


def test_typed_turns_interrupts_and_barge_in(api, speech):
    with open_conversation(api) as (ws, _format):
        typed_turns_and_barge_in(Client(ws), speech)


def typed_turns_and_barge_in(client, speech):
    ws = client.ws
    keep_quiet = threading.Event()

    def silence_feed():  # a live microphone in a quiet room
        while not keep_quiet.is_set():
            ws.send(np.zeros(2 * FRAME, "<i2").tobytes())
            time.sleep(0.04)

    feeder = threading.Thread(target=silence_feed, daemon=True)
    feeder.start()
    ws.send(json.dumps({"type": "text", "text": "Tell me a long story about a brave cat."}))
    started = client.wait_for("reply_started", timeout=30)[0]
    client.wait_for_audio(after=started, blocks=40)  # 0.8 s of the story heard
    ws.send(json.dumps({"type": "interrupt"}))
    [turn] = client.wait_for("turn", timeout=10)
    assert turn["interrupted"]
    # the user talks over the next reply: a barge-in, and the reply's audio stops at once
    ws.send(json.dumps({"type": "text", "text": "Tell me another long story, about a dog."}))
    assert client.wait_until(lambda: client.first_after("reply_chunk", turn), timeout=30)
    # no audio after the stop until the next reply was written (at most the one block the
    # speaker had in hand as the stop came, and which the turn's record overtook)
    assert client.audio_blocks(after=turn, before=client.first_after("reply_chunk", turn)) <= 1
    second = client.wait_for("reply_started", n=2, timeout=30)[1]
    client.wait_for_audio(after=second, blocks=50)  # 1 s of the dog story heard
    keep_quiet.set()
    feeder.join()
    words = trim(speech("wait, what time is it in london"))
    client.stream(np.concatenate([words, silence(1.5)]))
    barge = client.wait_for("barge_in", n=2, timeout=10)[-1]  # the first: the interrupt
    turns = client.wait_for("turn", n=2, timeout=20)
    assert turns[1]["interrupted"]
    # at most the answer to the interruption plays after it: nothing of the dog story
    assert all(e["turn_id"] != turns[1]["turn_id"]
               for e in client.events if e["type"] == "reply_chunk" and e["_at"] > barge["_at"])
    # no audio from the cut-off to the answer to the interruption (if one has begun)
    answer = [e["_at"] for e in client.of("reply_started") if e["_at"] > barge["_at"]]
    resumed = answer[0] - 0.2 if answer else float("inf")
    assert not [at for at, _ in client.audio if barge["_at"] + 0.1 < at < resumed]


def test_without_the_token_the_conversation_is_refused(api):
    with pytest.raises(InvalidStatus) as refused:
        connect(api.ws_url, additional_headers={"Authorization": "Bearer wrong"})
    assert refused.value.response.status_code == 401
    # no header: the first message must authorize (a browser cannot send headers)
    for first in ("hello", json.dumps({"type": "auth", "token": "wrong"}),
                  json.dumps({"type": "text", "text": "hi"}), b"\0\0\0\0"):
        with connect(api.ws_url) as ws:
            ws.send(first)
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=5)
            assert ws.close_code == 4401
    with connect(api.ws_url) as ws:
        ws.send(json.dumps({"type": "auth", "token": api.token}))
        assert json.loads(ws.recv(timeout=30))["type"] == "audio_format"


def test_another_sites_page_may_not_connect(api):
    for origin in ("http://evil.example", "http://127.0.0.1:1", "null",
                   api.url.replace("127.0.0.1", "127.0.0.2")):
        with pytest.raises(InvalidStatus) as refused:
            connect(api.ws_url, additional_headers=api.headers, origin=origin)
        assert refused.value.response.status_code == 403
    with open_conversation(api, origin=api.url):  # the server's own page may
        pass


def test_an_oversized_frame_closes_with_1009(api):
    with open_conversation(api) as (ws, _format):
        ws.send(b"\0" * (64 * 1024 + 2))
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv(timeout=5)
        assert ws.close_code == 1009


def test_garbage_never_crashes_the_server(api):
    with open_conversation(api) as (ws, _format):
        fuzz(Client(ws))


def fuzz(client):
    ws, rng = client.ws, random.Random(7)
    junk = ["", "{", "null", "[]", "42", '{"type": 5}', '{"type": "text"}',
            '{"type": "text", "text": ""}', '{"type": "text", "text": 12}',
            '{"type": "launch"}', '{"type": "x' + "y" * 5000 + '"}', "\ud7ff" * 100,
            json.dumps({"type": "text", "text": "a" * 4001})]
    junk += ["".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(1, 300)))
             for _ in range(30)]
    for text in junk:
        ws.send(text)
    for _ in range(30):  # random bytes are audio: odd lengths too
        ws.send(rng.randbytes(rng.randrange(1, 4000)))
    client.wait_until(lambda: len(client.of("error")) >= len(junk) - 1, timeout=30)
    errors = client.of("error")
    assert len(errors) >= len(junk) - 1
    assert all(e["message"] and "Traceback" not in e["message"] for e in errors)
    assert not client.closed.is_set()
    ws.send(json.dumps({"type": "text", "text": "What is two plus two?"}))
    client.wait_for("turn", timeout=40)


def test_four_conversations_at_once_and_a_fifth_refused(api):
    with contextlib.ExitStack() as four:
        for _ in range(4):
            four.enter_context(open_conversation(api))
        assert api.pool.conversations == 4
        with connect(api.ws_url, additional_headers=api.headers) as fifth:
            with pytest.raises(ConnectionClosed):
                fifth.recv(timeout=30)
            assert fifth.close_code == 1013
            assert "try again" in fifth.close_reason
    deadline = time.monotonic() + 3
    while api.pool.conversations and time.monotonic() < deadline:
        time.sleep(0.02)
    with open_conversation(api):  # a slot is free again
        pass


def test_a_client_that_leaves_mid_reply_frees_everything_within_a_second(api):
    def conversation_threads():
        names = ("conversation", "reader", "responder", "synth", "recording-speaker",
                 "observers", "speaker-reports")
        return [t for t in threading.enumerate() if t.name.startswith(names)]

    time.sleep(0.5)
    baseline = len(conversation_threads())
    with open_conversation(api) as (ws, _format):
        client = Client(ws)
        ws.send(json.dumps({"type": "text", "text": "Tell me a long story about the sea."}))
        client.wait_for("reply_started", timeout=30)
        assert len(conversation_threads()) > baseline
    left = time.monotonic()
    while time.monotonic() - left < 1.0 and (api.pool.conversations or api.pool.in_use
                                             or len(conversation_threads()) > baseline):
        time.sleep(0.02)
    assert api.pool.conversations == 0 and api.pool.in_use == 0
    assert len(conversation_threads()) == baseline, [t.name for t in conversation_threads()]


def test_a_conversation_whose_models_fail_to_load_is_closed_with_the_reason(api, monkeypatch):
    from assistant.errors import ModelError

    def broken():
        raise ModelError("LLM model 'nowhere' is not installed; run voice-assistant models "
                         "download ID.")

    monkeypatch.setattr(api.pool, "take_for_conversation", broken)
    with connect(api.ws_url, additional_headers=api.headers) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1011 and "not installed" in ws.close_reason
    import httpx

    assert httpx.get(api.url + "/v1/health").status_code == 200


def test_a_typed_question_for_the_time_in_a_city_is_the_skill_s(api):
    with open_conversation(api) as (ws, _):
        client = Client(ws)
        ws.send(json.dumps({"type": "text", "text": "What time is it in Tokyo?"}))
        [turn] = client.wait_for("turn", timeout=30)
    assert turn["reply_text"].startswith("In Tokyo it's ")
