"""The desktop app serving the local API from its own conversation (Settings: api.enabled):
a reply over REST continues what was said in the window, a WebSocket conversation works
beside the app's, and switching the setting off stops the server."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from PySide6.QtCore import Qt

from assistant.config import Settings

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_app_serves_its_own_conversation(open_window, qtbot, real_models, monkeypatch,
                                             tmp_path):
    from websockets.sync.client import connect

    from assistant.audio.speaker import RecordingSpeaker
    from assistant.conversation.session import NullSource, Session

    monkeypatch.setenv("VOICE_ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))
    settings = Settings()
    settings.stt.engine = "whisper"
    settings.llm.max_tokens = 40
    settings.api.enabled = True
    settings.api.port = free_port()
    window = open_window(settings, session_factory=lambda s, on_event: Session(
        s, on_event=on_event, make_source=lambda s: NullSource(),
        make_speaker=lambda s: RecordingSpeaker(realtime=True)))
    session = window.controller.session
    url = f"http://127.0.0.1:{settings.api.port}"
    qtbot.waitUntil(lambda: any(url in text for _, text in window.banner.messages()),
                    timeout=10_000)
    token = (tmp_path / "config" / "api-token").read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(url + "/v1/health").json()["status"] == "ok"

    qtbot.keyClicks(window.input, "What is the capital of France?")
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(session.history.turns) == 2, timeout=60_000)  # heard in full
    reply = httpx.post(url + "/v1/reply", json={"text": "And of Spain?"}, headers=headers,
                       timeout=60)
    assert reply.status_code == 200 and reply.json()["text"]
    said = [turn.text for turn in session.history.turns]
    assert said[-4] == "What is the capital of France?"  # the window's exchange, then ...
    assert said[-2:] == ["And of Spain?", reply.json()["text"]]  # ... the API's, after it

    with connect(url.replace("http", "ws") + "/v1/conversation",
                 additional_headers=headers) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "audio_format"
        ws.send(json.dumps({"type": "text", "text": "Say hello."}))
        for _ in range(5000):  # events and reply audio, until the turn is over
            message = ws.recv(timeout=60)
            if isinstance(message, str) and json.loads(message)["type"] == "turn":
                break
        else:
            pytest.fail("the WebSocket conversation never finished its turn")

    off = settings.copy()
    off.api.enabled = False
    window.controller.apply(off)
    qtbot.waitUntil(lambda: session.api is None, timeout=10_000)
    with pytest.raises(httpx.HTTPError):
        httpx.get(url + "/v1/health", timeout=2)
