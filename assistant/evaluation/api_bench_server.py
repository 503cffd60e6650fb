"""The bench's API server (`bench --api`): a `voice-assistant serve` child process with the
bench's settings (the default), a thread of the bench's own process, or one already running.
See assistant/evaluation/api_bench.py."""

from __future__ import annotations

import contextlib
import queue
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.errors import UserError


class BenchHistory:
    """The default conversation's history for /v1/reply on the bench's own server: a fresh
    one for each dialog (`reset()`), as the in-process and WebSocket paths start fresh."""

    def __init__(self):
        self._history = None
        self._lock = threading.Lock()

    def __call__(self, llm):
        with self._lock:
            if self._history is None:
                self._history = llm.new_history()
            return self._history

    def reset(self) -> None:
        with self._lock:
            self._history = None


@dataclass
class Server:
    url: str
    token: str
    hosting: str  # "process" (a child `serve`), "thread" (this process) or "external"
    pool: object = None  # the thread-hosted server's EnginePool (the in-process path borrows)
    history: BenchHistory | None = None  # the thread-hosted server's /v1/reply history

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1) + "/v1/conversation"


HOSTING = {"process": "a `voice-assistant serve` child process, started for each dialog, "
                      "with the bench's settings",
           "thread": "a thread of the bench's own process (the client shares its interpreter)",
           "external": "already running: its own settings"}


def _wait_healthy(url: str, seconds: float, alive=lambda: True) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url + "/v1/health", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline or not alive():
                raise UserError(f"The bench's API server at {url} did not start.") from None
            time.sleep(0.05)


@contextlib.contextmanager
def child_server(settings: Settings, progress=print, timeout_s: float = 300.0):
    """`voice-assistant serve --port 0` in a child process with `settings` (a settings file
    and a token of its own in a temporary settings folder: the user's are not touched);
    stopped at the end. A server of its own process, as a real one is: a client on a thread
    of the server's process would share its interpreter lock with the LLM's thread."""
    import os
    import re
    import subprocess
    import sys
    import tempfile

    from assistant.config import save_settings

    with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        folder = Path(folder)
        save_settings(settings, folder / "settings.toml")
        env = dict(os.environ, VOICE_ASSISTANT_CONFIG_DIR=str(folder))
        log_path = folder / "serve.log"
        with open(log_path, "w") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "assistant.cli", "serve", "--port", "0",
                 "--max-conversations", "1"],
                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True,
                env=env)
        try:
            lines: queue.Queue = queue.Queue()
            threading.Thread(target=lambda: [lines.put(x) for x in child.stdout] + [lines.put("")],
                             name="bench-serve-out", daemon=True).start()
            url = None
            deadline = time.monotonic() + timeout_s
            while url is None and time.monotonic() < deadline:
                try:
                    line = lines.get(timeout=1)
                except queue.Empty:
                    continue
                if not line:
                    break  # the child ended
                found = re.search(r"http://127\.0\.0\.1:\d+", line)
                url = found.group(0) if found else None
            if url is None:
                tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                raise UserError("`voice-assistant serve` did not start for the bench: "
                                + (" / ".join(tail) or "no output"))
            _wait_healthy(url, 15, alive=lambda: child.poll() is None)
            token = (folder / "api-token").read_text(encoding="ascii").strip()
            yield Server(url=url, token=token, hosting="process")
        finally:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait(5)


@contextlib.contextmanager
def thread_server(settings: Settings, progress=print, pool=None):
    """The API server on a thread of this process, on a free port of 127.0.0.1, with
    `settings`, its engines loaded before it is used; a token of its own (the api-token file
    is not touched). `pool`: an EnginePool to serve from (kept open), else one of its own."""
    from assistant.server.app import Api, build_app
    from assistant.server.host import ApiServer, bind
    from assistant.server.pool import EnginePool

    own_pool = pool is None
    pool = pool or EnginePool(settings, max_conversations=2)
    history = BenchHistory()
    server = api = None
    try:
        progress("loading the server's engines...")
        pool.warm()
        sock = bind(0)
        token = secrets.token_urlsafe(24)
        api = Api(settings=settings, token=token, pool=pool, port=sock.getsockname()[1],
                  history=history)
        server = ApiServer(build_app(api), sock)
        server.start_in_thread()
        _wait_healthy(server.url, 15)
        yield Server(url=server.url, token=token, hosting="thread", pool=pool, history=history)
    finally:
        if server is not None:
            server.stop()
        if api is not None:
            api.voices.close()
        if own_pool:
            pool.close()


@contextlib.contextmanager
def external_server(url: str):
    """A server already running at `url`, with the token of the api-token file."""
    import httpx

    from assistant.server.api_token import token_file

    url = url.rstrip("/")
    if not url.startswith("http://"):
        raise UserError(f"--api-url takes http://127.0.0.1:PORT, not {url!r}.")
    path = token_file()
    try:
        token = path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise UserError(f"Cannot read the API token {path} ({exc.strerror or exc}); start "
                        "`voice-assistant serve` first.") from None
    try:
        httpx.get(url + "/v1/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        raise UserError(f"No API server answers at {url} ({exc}); start `voice-assistant "
                        "serve` or leave out --api-url.") from None
    yield Server(url=url, token=token, hosting="external")


