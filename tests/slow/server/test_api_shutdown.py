"""A graceful shutdown: the live conversations are closed with 1001 (going away), their
threads stopped and their engines given back, before the server goes; `serve` ends on
Ctrl+C with 0 and one line."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.api_server import running_api
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

pytestmark = pytest.mark.slow

VENV_BIN = Path(sys.executable).parent


def close_code(ws) -> int | None:
    try:
        for _ in range(10000):
            ws.recv(timeout=10)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    return None


def test_stopping_the_server_closes_conversations_with_1001(api_pool):
    with running_api(pool=api_pool) as api:
        with connect(api.ws_url, additional_headers=api.headers) as ws:
            assert json.loads(ws.recv(timeout=60))["type"] == "audio_format"
            ws.send(json.dumps({"type": "text", "text": "Tell me a long story about a dragon."}))
            time.sleep(1.0)  # a reply on its way
            api.server.stop()
            assert close_code(ws) == 1001
        assert api.pool.conversations == 0  # its engines were given back


def test_serve_stops_on_ctrl_c_with_0(tmp_path):
    server = subprocess.Popen(
        [str(VENV_BIN / "voice-assistant"), "serve", "--stt-engine", "whisper", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        token = re.search(r"#token=(\S+)", line).group(1)
        with connect(url.replace("http", "ws") + "/v1/conversation",
                     additional_headers={"Authorization": f"Bearer {token}"}) as ws:
            ws.recv(timeout=60)
            server.send_signal(signal.SIGINT)
            assert close_code(ws) == 1001
        _out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(5)
    assert server.returncode == 0, err
    assert err.strip().splitlines()[-1] == "Stopped."
