"""A real HTTP server on 127.0.0.1 for download tests: serves byte strings with Range support and
can misbehave on purpose (cut the body, stall, ignore Range, answer an error status).

    with FileServer() as server:
        url = server.add("/model.gguf", data, cut_at=1000, cut_times=1)
        ...
        assert server.requests_for("/model.gguf")[1]["Range"] == "bytes=1000-"
"""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes
    status: int = 200  # anything but 200 is answered as that error
    cut_at: int | None = None  # send this many body bytes, then close the connection
    cut_times: int = 0  # how many responses are cut (a large number = always)
    stall_after: int | None = None  # send this many body bytes, then go silent
    honour_range: bool = True
    served: int = field(default=0)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_GET(self):
        owner = self.server.owner
        with owner.lock:
            owner.requests.append((self.path, dict(self.headers.items())))
            route = owner.routes.get(self.path)
            if route is not None:
                route.served += 1
        if route is None:
            self._error(404, "Not Found")
            return
        if route.status != 200:
            self._error(route.status, "Error")
            return
        body, start = route.body, 0
        match = re.match(r"bytes=(\d+)-$", self.headers.get("Range", ""))
        if match and route.honour_range:
            start = int(match.group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        chunk = body[start:]
        self.send_header("Content-Length", str(len(chunk)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if route.stall_after is not None:
            self.wfile.write(chunk[: route.stall_after])
            self.wfile.flush()
            owner.stop.wait(30)
            self.close_connection = True
            return
        if route.cut_at is not None and route.cut_times > 0:
            with owner.lock:
                route.cut_times -= 1
            self.wfile.write(chunk[: route.cut_at])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(chunk)

    def _error(self, code: int, reason: str) -> None:
        payload = f"{code} {reason}".encode()
        self.send_response(code, reason)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: "FileServer"


class FileServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes, **behaviour) -> str:
        self.routes[path] = Route(body=body, **behaviour)
        return self.url(path)

    def requests_for(self, path: str) -> list[dict]:
        with self.lock:
            return [headers for p, headers in self.requests if p == path]

    def __enter__(self) -> "FileServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
