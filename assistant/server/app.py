"""The ASGI app: Starlette routes for REST, the conversation WebSocket and the page, over one
`Api` (token, engine pool, the default conversation's history)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from assistant.clock import DEFAULT_CLOCK
from assistant.server import rest
from assistant.server.conversation_socket import conversation_socket

STATIC = Path(__file__).with_name("static")


# what a timer request to /v1/reply gets from `serve`: nothing there rings between requests
SERVER_NO_TIMERS = ("I can't ring a timer from a single reply: nothing here stays running to "
                    "ring it. Set it in a live conversation, on the assistant's page or its "
                    "WebSocket, or in the app.")


@dataclass
class Api:
    settings: object
    token: str
    pool: object  # EnginePool
    port: int
    # the default conversation's history for /v1/reply, given the LLM it is for: the
    # server's own (made on first use, sized for that LLM), or the app's
    history: Callable[[object], object] = None  # type: ignore[assignment]
    # the local skills /v1/reply answers with: the app's own (its timers are shown and rung
    # by the app), or the server's, which keeps no timers
    skills: Callable[[], object] = None  # type: ignore[assignment]
    voices: object = None
    clock: object = DEFAULT_CLOCK
    # the WebSockets of the live conversations, closed with 1001 when the server shuts down
    open_sockets: set = field(default_factory=set, repr=False)
    _own_history: object = field(default=None, repr=False)
    _history_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        from assistant.server.voices import Voices

        if self.voices is None:
            self.voices = Voices(self.settings)
        if self.history is None:
            self.history = self._server_history
        if self.skills is None:
            from assistant.skills.skills import Skills
            from assistant.skills.timers import TimerBoard

            own = Skills(TimerBoard(self.clock), timers_elsewhere=SERVER_NO_TIMERS)
            self.skills = lambda: own

    def _server_history(self, llm):
        with self._history_lock:  # two first requests at once make one history
            if self._own_history is None:
                self._own_history = llm.new_history()
            return self._own_history


async def close_conversations(api: Api, timeout: float = 3.0) -> None:
    """Shutting down: every live conversation is told 1001 (going away) and given `timeout`
    to finish (its threads stopped, its engines given back) before the server goes."""
    for websocket in list(api.open_sockets):
        try:
            await websocket.close(1001, "the server is shutting down")
        except (RuntimeError, OSError):
            pass  # closed already
    deadline = asyncio.get_running_loop().time() + timeout
    while api.open_sockets and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)


async def http_error(request, exc: HTTPException) -> JSONResponse:
    """Errors outside the endpoints (no such path, a method it does not take) are JSON too,
    one sentence, as docs/API.md says of every error."""
    if exc.status_code == 404:
        message = f"There is no {request.url.path}; the endpoints are listed in docs/API.md."
    elif exc.status_code == 405:
        allowed = exc.headers.get("Allow", "") if exc.headers else ""
        message = (f"{request.url.path} does not take {request.method}"
                   + (f"; use {allowed}." if allowed else "."))
    else:
        message = f"{exc.detail}."
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


async def page(request):
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


def build_app(api: Api) -> Starlette:
    routes = [
        Route("/v1/health", rest.health, methods=["GET"]),
        Route("/v1/transcribe", rest.transcribe, methods=["POST"]),
        Route("/v1/speak", rest.speak, methods=["POST"]),
        Route("/v1/reply", rest.reply, methods=["POST"]),
        WebSocketRoute("/v1/conversation", conversation_socket),
    ]
    if (STATIC / "index.html").exists():
        routes += [Route("/", page, methods=["GET"]),
                   Mount("/static", StaticFiles(directory=STATIC), name="static")]
    # a request must name this machine: a page on a site whose name was made to resolve to
    # 127.0.0.1 (DNS rebinding) sends its own name, and gets 400
    hosts = Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", "[::1]"])
    app = Starlette(routes=routes, middleware=[hosts],
                    exception_handlers={HTTPException: http_error})
    app.state.api = api
    return app
