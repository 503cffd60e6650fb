"""The REST half of the local API, on a real uvicorn server with real engines: access,
bad input, transcribe, speak, reply (whole and streamed), and 127.0.0.1 only."""

from __future__ import annotations

import io
import json
import socket
import subprocess

import httpx
import numpy as np
import pytest
import soundfile
from helpers.api_server import running_api

from conftest import silence, trim

pytestmark = pytest.mark.slow  # a real server on the real engines


@pytest.fixture(scope="module")
def api(api_pool):
    with running_api(pool=api_pool) as running:
        yield running


def wav_bytes(samples: np.ndarray, rate: int = 16000, fmt: str = "WAV", channels: int = 1):
    data = samples.astype(np.float32) / 32768
    if channels > 1:
        data = np.stack([data] * channels, axis=1)
    out = io.BytesIO()
    soundfile.write(out, data, rate, format=fmt, subtype="PCM_16")
    return out.getvalue()


def test_health_needs_no_token_and_everything_else_does(api):
    health = httpx.get(api.url + "/v1/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert health.json()["max_conversations"] == 4
    for path, body in (("/v1/transcribe", b"RIFF"), ("/v1/speak", b'{"text": "hi"}'),
                       ("/v1/reply", b'{"text": "hi"}')):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": api.token}):
            response = httpx.post(api.url + path, content=body, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert "api-token" in response.json()["error"]


def test_transcribe_takes_any_rate_and_channel_count(api, speech):
    words = trim(speech("what is the capital of france"))
    import soxr

    at_44k = (soxr.resample(words.astype(np.float32), 16000, 44100)).astype(np.int16)
    stereo = wav_bytes(np.concatenate([silence(0.8), at_44k, silence(0.8)]), rate=44100,
                       channels=2)
    response = httpx.post(api.url + "/v1/transcribe", content=stereo, headers=api.headers,
                          timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["engine"] == "whisper"
    assert "capital" in body["text"].lower() and "france" in body["text"].lower()
    assert body["words"] and all(w["end_s"] >= w["start_s"] >= 0 for w in body["words"])
    flac = wav_bytes(np.concatenate([silence(0.3), words, silence(0.3)]), fmt="FLAC")
    again = httpx.post(api.url + "/v1/transcribe", content=flac, headers=api.headers,
                       timeout=60)
    assert "france" in again.json()["text"].lower()


@pytest.mark.parametrize("body,status,says", [
    (b"", 400, "empty"),
    (b"this is not audio at all" * 10, 415, "WAV or FLAC"),
    (b"RIFF\x10\x00\x00\x00WAVEfmt ", 415, "WAV or FLAC"),
])
def test_bad_audio_gets_one_clear_sentence(api, body, status, says):
    response = httpx.post(api.url + "/v1/transcribe", content=body, headers=api.headers)
    assert response.status_code == status
    message = response.json()["error"]
    assert says in message and "\n" not in message and "Traceback" not in message


def test_words_come_at_their_place_in_the_recording(api, speech):
    words = trim(speech("what is the capital of france"))
    body = wav_bytes(np.concatenate([silence(5.0), words, silence(1.0)]))
    response = httpx.post(api.url + "/v1/transcribe", content=body, headers=api.headers,
                          timeout=60)
    said = response.json()
    assert "france" in said["text"].lower()
    assert 4.5 <= said["words"][0]["start_s"] <= 5.5, said["words"][0]  # not at 0


def _fixture(real_audio, name: str) -> bytes:
    audio, rate = soundfile.read(str(real_audio(name)), dtype="float32", always_2d=True)
    return wav_bytes((audio.mean(axis=1) * 32767).astype(np.int16), rate=rate)


def test_no_words_from_silence_noise_or_music(api, real_audio):
    """Only what the speech detector hears is decoded: Whisper made "you you you" of
    twenty minutes of silence (ten is the most a request may hold)."""
    rng = np.random.default_rng(3)
    bodies = {
        "nine minutes of silence": _long_flac(9 * 60),
        "white noise": wav_bytes(rng.normal(0, 2000, 16000 * 10).astype(np.int16)),
        "recorded room noise": _fixture(real_audio, "alsa-noise.wav"),
        "a ringtone melody": _fixture(real_audio, "freedesktop-phone-incoming-call.oga"),
        "a bell": _fixture(real_audio, "freedesktop-bell.oga"),
    }
    for what, body in bodies.items():
        response = httpx.post(api.url + "/v1/transcribe", content=body, headers=api.headers,
                              timeout=120)
        assert response.status_code == 200, (what, response.text)
        assert response.json()["text"] == "", (what, response.json()["text"])
        assert response.json()["words"] == []


def _long_flac(seconds: int) -> bytes:
    out = io.BytesIO()
    with soundfile.SoundFile(out, "w", 16000, 1, format="FLAC", subtype="PCM_16") as sound:
        for _ in range(seconds // 60):
            sound.write(np.zeros(16000 * 60, np.int16))
    return out.getvalue()


def test_a_recording_over_the_time_limit_is_refused_from_its_header(api):
    body = _long_flac(3 * 3600)  # three hours: a few hundred kilobytes
    response = httpx.post(api.url + "/v1/transcribe", content=body, headers=api.headers,
                          timeout=60)
    assert response.status_code == 413
    message = response.json()["error"]
    assert "limit is 10 min" in message and "\n" not in message
    assert httpx.get(api.url + "/v1/health").status_code == 200


def test_a_body_over_the_limit_is_refused_with_413(api):
    from assistant.server.guard import MAX_BODY_BYTES

    big = b"\0" * (MAX_BODY_BYTES + 1)
    response = httpx.post(api.url + "/v1/transcribe", content=big, headers=api.headers,
                          timeout=60)
    assert response.status_code == 413

    def chunks():  # no Content-Length: refused while it streams in
        for _ in range(MAX_BODY_BYTES // 2**20 + 2):
            yield b"\0" * 2**20

    response = httpx.post(api.url + "/v1/transcribe", content=chunks(), headers=api.headers,
                          timeout=60)
    assert response.status_code == 413
    assert httpx.get(api.url + "/v1/health").status_code == 200


def test_speak_returns_a_wav_of_the_whole_text(api):
    response = httpx.post(api.url + "/v1/speak", headers=api.headers, timeout=60,
                          json={"text": "Hello there. This is the second sentence."})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    audio, rate = soundfile.read(io.BytesIO(response.content))
    assert len(audio) / rate > 1.5  # both sentences
    assert np.abs(audio).max() > 0.05


@pytest.mark.parametrize("body,status", [
    (b"{not json", 400), (b"[1, 2]", 400), (b'{"text": ""}', 400), (b'{"text": 5}', 400),
    (b'{"text": "hi", "voice": 7}', 400),
    (json.dumps({"text": "x" * 5000}).encode(), 413),
])
def test_speak_and_reply_refuse_bad_json_clearly(api, body, status):
    for path in ("/v1/speak", "/v1/reply"):
        if path == "/v1/reply" and b"voice" in body:
            continue
        response = httpx.post(api.url + path, content=body, headers=api.headers)
        assert response.status_code == status, (path, body, response.text)
        assert response.json()["error"].endswith(".")


def test_speak_with_a_voice_that_is_not_installed(api):
    response = httpx.post(api.url + "/v1/speak", headers=api.headers, timeout=30,
                          json={"text": "hello", "voice": "/nowhere/voice.onnx"})
    assert response.status_code == 400
    assert "voice" in response.json()["error"].lower()


def test_reply_continues_the_default_conversation(api):
    history = api.api.history(None) if api.api._own_history is not None else None
    before = len(history.turns) if history is not None else 0
    first = httpx.post(api.url + "/v1/reply", headers=api.headers, timeout=60,
                       json={"text": "What is the capital of France?"})
    assert first.status_code == 200, first.text
    assert "paris" in first.json()["text"].lower()
    second = httpx.post(api.url + "/v1/reply", headers=api.headers, timeout=60,
                        json={"text": "And of Italy?"})
    assert second.json()["text"]
    history = api.api.history(None)
    assert len(history.turns) == before + 4
    assert history.turns[-4].text == "What is the capital of France?"
    assert history.turns[-1].text == second.json()["text"]


def test_reply_streamed_as_server_sent_events(api):
    events = []
    with httpx.stream("POST", api.url + "/v1/reply?stream=true", headers=api.headers,
                      json={"text": "Tell me about cats."}, timeout=60) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])["text"]))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "done" and kinds.count("token") >= 3
    assert all(text for k, text in events if k == "token")  # no empty piece before done
    written = "".join(text for k, text in events if k == "token").strip()
    assert events[-1][1] and written.startswith(events[-1][1][:20])


def test_a_client_that_leaves_mid_stream_frees_the_engines(api):
    import time

    with httpx.stream("POST", api.url + "/v1/reply?stream=true", headers=api.headers,
                      json={"text": "Tell me a long story about a dragon."}, timeout=60) as r:
        for line in r.iter_lines():
            if line.startswith("event: token"):
                break
    deadline = time.monotonic() + 1.0
    while api.pool.in_use and time.monotonic() < deadline:
        time.sleep(0.02)
    assert api.pool.in_use == 0


def test_no_such_path_and_a_wrong_method_are_json_errors(api):
    missing = httpx.get(api.url + "/v1/nothing-here", headers=api.headers)
    assert missing.status_code == 404
    assert "docs/API.md" in missing.json()["error"]
    wrong = httpx.get(api.url + "/v1/reply", headers=api.headers)
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "/v1/reply does not take GET; use POST."


def test_a_request_that_names_another_host_is_refused(api):
    # DNS rebinding: a site's name made to resolve to 127.0.0.1
    for path in ("/v1/health", "/"):
        response = httpx.get(api.url + path, headers={"Host": f"evil.example:{api.server.port}"})
        assert response.status_code == 400
    assert httpx.get(api.url + "/v1/health", headers={"Host": "localhost"}).status_code == 200


def test_it_listens_on_127_0_0_1_only(api):
    host, port = api.server.sock.getsockname()
    assert host == "127.0.0.1"
    other = [a for a in subprocess.run(["hostname", "-I"], capture_output=True, text=True)
             .stdout.split() if ":" not in a and not a.startswith("127.")]
    for address in other:  # the machine's other addresses reach nothing
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=1).close()


def test_reply_tells_the_time_in_a_city_itself_plain_and_streamed(api):
    """A local skill answers, not the LLM (which once said "12:34 PM in the Gregorian
    calendar")."""
    response = httpx.post(api.url + "/v1/reply", headers=api.headers, timeout=30,
                          json={"text": "What time is it in Tokyo?"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["skill"] == "time" and answer["text"].startswith("In Tokyo it's ")
    with httpx.stream("POST", api.url + "/v1/reply?stream=true", headers=api.headers,
                      json={"text": "What time is it in London?"}, timeout=30) as streamed:
        lines = [line for line in streamed.iter_lines() if line.startswith("data: ")]
    done = json.loads(lines[-1][6:])
    assert done["skill"] == "time" and done["text"].startswith("In London it's ")
