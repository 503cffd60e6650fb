"""Serving the API: a socket bound to 127.0.0.1 only, and uvicorn on it, in the foreground
(`voice-assistant serve`) or on a thread of the desktop app."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

from assistant.errors import UserError
from assistant.server.guard import MAX_FRAME_BYTES

log = logging.getLogger(__name__)

HOST = "127.0.0.1"  # never anything else: the API is for this machine only
DEFAULT_PORT = 8765


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:`port` (0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise UserError(f"Cannot listen on {HOST}:{port} ({exc.strerror or exc}); another "
                        "program may be using it; pass another --port.") from None
    sock.listen(64)
    sock.setblocking(False)
    return sock


def _graceful_server(config):
    """uvicorn's server, which closes the live conversations itself, with 1001 (going away),
    before uvicorn closes what is left with 1012."""
    import uvicorn

    from assistant.server.app import close_conversations

    class GracefulServer(uvicorn.Server):
        async def shutdown(self, sockets=None) -> None:
            api = getattr(getattr(config.app, "state", None), "api", None)
            if api is not None:
                try:
                    await close_conversations(api)
                except Exception:
                    log.exception("closing the conversations at shutdown failed")
            await super().shutdown(sockets=sockets)

    return GracefulServer(config)


class ApiServer:
    """uvicorn serving `app` on a socket from `bind()`."""

    def __init__(self, app, sock: socket.socket):
        import uvicorn

        self.sock = sock
        self.port = sock.getsockname()[1]
        # websockets: the maintained WebSocket implementation uvicorn uses; a message over
        # 64 KiB closes the connection with 1009 (message too big)
        config = uvicorn.Config(app, ws="websockets-sansio", ws_max_size=MAX_FRAME_BYTES,
                                lifespan="off", log_level="warning", access_log=False,
                                timeout_graceful_shutdown=2)
        self.server = _graceful_server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def run(self) -> None:
        """In the foreground until Ctrl+C."""
        self.server.run(sockets=[self.sock])

    def start_in_thread(self) -> None:

        def serve():
            try:
                asyncio.run(self.server.serve(sockets=[self.sock]))
            except Exception:
                log.exception("the API server stopped")

        self._thread = threading.Thread(target=serve, name="api-server", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            self.sock.close()
        except OSError:
            pass
