"""Nothing leaves the machine: `replay`, `ask` and the desktop app run under strace, and every
socket they open must be local (AF_UNIX, or an IP socket talking to loopback only), with no
DNS lookup at all (a query to port 53 anywhere, or through nscd/systemd-resolved).

ONNX Runtime's 1DS telemetry (on by default in its PyPI wheels on Linux) first looks up
mobile.events.data.microsoft.com about 10 s into a session, so the runs last longer than that.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import silence, write16

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")]

TRACED = "trace=socket,connect,sendto,sendmsg,sendmmsg,bind"
SOCKET = re.compile(r"^(\d+)\s+socket\((AF_\w+),.*\)\s+=\s+(-?\d+)")
ADDRESSED = re.compile(r"^(\d+)\s+(connect|sendto|sendmsg|sendmmsg|bind)\((\d+),.*")
LOCAL_IP = re.compile(r'inet_addr\("127\.|inet_pton\(AF_INET6, "::1"|inet_pton\(AF_INET6, "::ffff:127\.')
DNS_PORT = re.compile(r"htons\(53\)")
RESOLVER_SOCKETS = ("/var/run/nscd/socket", "/run/nscd/socket", "/run/systemd/resolve/")


def network_use(trace: str) -> list[str]:
    """The lines of an `strace -f` log that show the network being used: a socket family
    other than AF_UNIX/AF_INET/AF_INET6, an IP address that is not loopback, or any DNS."""
    families: dict[tuple[str, str], str] = {}  # (pid, fd) -> family
    found = []
    for line in trace.splitlines():
        if (match := SOCKET.match(line)) is not None:
            pid, family, fd = match.groups()
            families[(pid, fd)] = family
            if family not in ("AF_UNIX", "AF_LOCAL", "AF_INET", "AF_INET6"):
                found.append(line)
            continue
        if (match := ADDRESSED.match(line)) is None:
            continue
        if DNS_PORT.search(line) or any(path in line for path in RESOLVER_SOCKETS):
            found.append(line)
        elif ("AF_INET" in line or families.get((match[1], match[3])) in ("AF_INET", "AF_INET6")) \
                and "sa_family=AF_UNIX" not in line and not LOCAL_IP.search(line) \
                and ("sa_family" in line or match[2] in ("connect", "bind")):
            found.append(line)
    return found


def test_the_detector_sees_a_dns_lookup_and_a_remote_address(tmp_path):
    log = tmp_path / "trace.log"
    script = ("import socket\n"
              "try:\n    socket.getaddrinfo('mobile.events.data.microsoft.com', 443)\n"
              "except OSError:\n    pass\n"
              "s = socket.socket(); s.settimeout(0.2)\n"
              "try:\n    s.connect(('192.0.2.1', 443))\n"
              "except OSError:\n    pass\n"
              "t = socket.socket(); t.bind(('127.0.0.1', 0)); t.listen(1)\n"
              "u = socket.create_connection(t.getsockname())\n")
    subprocess.run(["strace", "-f", "-e", TRACED, "-o", str(log), sys.executable, "-c", script],
                   check=True, capture_output=True, timeout=60)
    found = network_use(log.read_text())
    assert any("htons(53)" in line or "nscd" in line for line in found)
    assert any("192.0.2.1" in line for line in found)
    assert not any('"127.0.0.1"' in line for line in found)


@pytest.fixture(scope="module")
def dialog(speech, tmp_path_factory) -> Path:
    """About 16 s of questions and pauses, longer than telemetry's first send."""
    parts = [silence(0.5)]
    for text in ("What is the capital of France?", "Tell me something about the sea.",
                 "Thank you, that is all."):
        parts += [speech(text), silence(4.0)]
    return write16(tmp_path_factory.mktemp("dialog") / "dialog.wav", np.concatenate(parts))


def traced(tmp_path: Path, *args, timeout: float = 240) -> tuple[subprocess.CompletedProcess, str]:
    log = tmp_path / "trace.log"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               VOICE_ASSISTANT_CONFIG_DIR=str(tmp_path / "config"))
    env.pop("ORT_DISABLE_TELEMETRY", None)  # the app must switch it off itself
    result = subprocess.run(
        ["strace", "-f", "-qq", "-e", TRACED, "-o", str(log), sys.executable, "-m",
         "assistant.cli", *map(str, args)],
        env=env, capture_output=True, text=True, timeout=timeout)
    return result, log.read_text()


def test_replay_stays_on_the_machine(tmp_path, dialog, real_models):
    result, trace = traced(tmp_path, "replay", dialog, "--out", tmp_path / "out.wav")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "turns" in result.stderr
    assert network_use(trace) == []


def test_ask_stays_on_the_machine(tmp_path, real_models):
    result, trace = traced(tmp_path, "ask", "--no-speak", "What is the capital of France?")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()
    assert network_use(trace) == []


def test_the_desktop_app_stays_on_the_machine(tmp_path, dialog, real_models):
    shot = tmp_path / "window.png"
    result, trace = traced(tmp_path, "--replay", dialog, "--quit-after", 18,
                           "--screenshot", shot)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.is_file()
    assert network_use(trace) == []


def test_portaudio_looking_for_a_speaker_stays_on_the_machine(tmp_path):
    # PortAudio enumerates ALSA (and a sound server through its plugin) whether or not a
    # device turns up: either way it may only use local sockets
    result, trace = traced(tmp_path, "say", "Hello.")
    assert result.returncode in (0, 2), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert network_use(trace) == []
