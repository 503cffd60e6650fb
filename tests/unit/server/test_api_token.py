"""The API token file: made on first use with mode 0600, kept, replaced on request, and a
`serve` that cannot listen says so in one line."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys

from assistant.server.api_token import api_token


def test_the_token_is_made_once_private_and_replaced_on_request(tmp_path):
    path = tmp_path / "config" / "api-token"
    first = api_token(path=path)
    assert len(first) >= 40 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert api_token(path=path) == first
    path.chmod(0o644)
    assert api_token(path=path) == first and stat.S_IMODE(path.stat().st_mode) == 0o600
    new = api_token(new=True, path=path)
    assert new != first and api_token(path=path) == new


def test_serve_on_a_port_in_use_fails_in_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, VOICE_ASSISTANT_CONFIG_DIR=str(tmp_path)))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--port" in done.stderr, done.stderr
