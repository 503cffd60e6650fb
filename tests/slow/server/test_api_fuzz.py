"""Bad input to the local API, bounded in count and time, against a real server on
127.0.0.1: random bytes, huge and empty frames, malformed JSON, wrong types, messages out of
order. The server stays up, its memory stays bounded, and every bad message gets an error (a
JSON error event, a JSON error response, or a close code). (A client that stops reading is
let go by the outbox's bound, MAX_PENDING; that takes 40 s of replies, too long for here.)"""

from __future__ import annotations

import json
import random

import httpx
import pytest
from helpers.api_server import running_api
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

pytestmark = pytest.mark.slow

CASES = 25  # random cases of each kind; a fixed seed, so a failure is seen again
RSS_GROWTH_MB = 200


@pytest.fixture(scope="module")
def api(api_pool):
    with running_api(pool=api_pool) as running:
        # the engine sets loaded first, so that what is measured is what bad input costs
        with connect(running.ws_url, additional_headers=running.headers) as ws:
            ws.recv(timeout=60)
        httpx.post(running.url + "/v1/speak", json={"text": "ready"}, headers=running.headers,
                   timeout=60)
        yield running


def rss_mb() -> float:
    with open("/proc/self/status") as status:  # the server runs in this process
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def junk_texts(rng: random.Random) -> list[str]:
    """Text frames that are not a valid control message."""
    printable = [chr(rng.randrange(32, 0x2FFF)) for _ in range(200)]
    made = ["", "{", "}", "null", "[]", "42", '"text"', "{'type': 'text'}", '{"type": 5}',
            '{"type": null}', '{"type": ["text"]}', '{"type": "text"}', '{"type": "text", "text": 7}',
            '{"type": "text", "text": ""}', '{"type": "text", "text": "   "}',
            '{"type": "dance"}', '{"text": "hello"}', json.dumps({"type": "x" * 5000}),
            json.dumps({"type": "text", "text": "a" * 4001})]
    made += ["".join(rng.choices(printable, k=rng.randrange(1, 300))) for _ in range(CASES)]
    made += [json.dumps({"type": rng.choice(["text", "interrupt", "end", "auth", "zzz"]),
                         "text": rng.choice([None, 1, [], {}, "", "x"])})[:-rng.randrange(1, 5)]
             for _ in range(CASES)]  # cut short: never valid JSON
    return made


def test_bad_websocket_messages_each_get_an_error_and_the_server_stays_up(api):
    rng = random.Random(7)
    before = rss_mb()
    with connect(api.ws_url, additional_headers=api.headers, max_size=2**22) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "audio_format"
        for text in junk_texts(rng):
            ws.send(text)
            reply = json.loads(ws.recv(timeout=10))
            while reply["type"] != "error":  # status and the like may come between
                reply = json.loads(ws.recv(timeout=10))
            assert reply["message"] and "\n" not in reply["message"], (text[:80], reply)
        # random bytes, odd lengths and empty frames are audio: taken, never an error
        for _ in range(CASES):
            ws.send(rng.randbytes(rng.choice([0, 1, 3, 319, 640, 4001])))
        ws.send("{}")  # the conversation still answers
        reply = json.loads(ws.recv(timeout=10))
        while reply["type"] != "error":
            reply = json.loads(ws.recv(timeout=10))
    assert rss_mb() - before < RSS_GROWTH_MB
    assert httpx.get(api.url + "/v1/health").status_code == 200


def test_a_frame_over_the_size_limit_closes_with_1009(api):
    for huge in ("x" * (70 * 1024), b"\0" * (70 * 1024)):
        with connect(api.ws_url, additional_headers=api.headers, max_size=2**22) as ws:
            ws.recv(timeout=30)
            ws.send(huge)
            with pytest.raises(ConnectionClosed) as closed:
                for _ in range(100):
                    ws.recv(timeout=10)
            assert closed.value.rcvd.code == 1009
    assert httpx.get(api.url + "/v1/health").status_code == 200


def test_messages_out_of_order(api):
    """`end` first, then more; text and interrupt after `end`; auth again: nothing raises,
    the conversation ends with 1000."""
    with connect(api.ws_url, additional_headers=api.headers, max_size=2**22) as ws:
        ws.recv(timeout=30)
        for message in ({"type": "interrupt"}, {"type": "auth", "token": "wrong"},
                        {"type": "end"}, {"type": "end"}, {"type": "text", "text": "hi"},
                        {"type": "interrupt"}):
            ws.send(json.dumps(message))
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(1000):
                ws.recv(timeout=30)
        assert closed.value.rcvd.code == 1000
    assert httpx.get(api.url + "/v1/health").status_code == 200


@pytest.mark.parametrize("path", ["/v1/transcribe", "/v1/speak", "/v1/reply"])
def test_bad_rest_bodies_get_json_errors(api, path):
    rng = random.Random(11)
    bodies = [b"", b"{", b"null", b"[]", b'{"text": 5}', b'{"text": ""}', b'{"txt": "a"}',
              json.dumps({"text": "a" * 5000}).encode()]
    bodies += [rng.randbytes(rng.randrange(1, 5000)) for _ in range(CASES)]
    before = rss_mb()
    for body in bodies:
        response = httpx.post(api.url + path, content=body, headers=api.headers, timeout=60)
        if response.status_code == 200:
            continue  # e.g. random bytes that happen to be... nothing here should be
        assert 400 <= response.status_code < 500, (body[:40], response.status_code)
        assert response.json()["error"], (body[:40], response.text)
    assert rss_mb() - before < RSS_GROWTH_MB
    assert httpx.get(api.url + "/v1/health").status_code == 200
