"""Who may use the API: the bearer token, the Origin of a WebSocket, the size of what is sent.

A web page on another site can open a WebSocket to 127.0.0.1 from the user's browser; the
Origin check is what stops it driving the microphone or the model. The token stops any other
program or user on the machine that has not read the user's `api-token`.
"""

from __future__ import annotations

import hmac

MAX_BODY_BYTES = 25 * 1024 * 1024  # a REST body: about 13 minutes of 16 kHz 16-bit audio
MAX_TEXT_CHARS = 4000  # text to speak or to reply to
MAX_FRAME_BYTES = 64 * 1024  # one WebSocket message, binary or text


def bearer_ok(header: str | None, token: str) -> bool:
    """`Authorization: Bearer TOKEN`, compared in constant time."""
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(),
                                                              token.encode())


def token_ok(value: object, token: str) -> bool:
    return isinstance(value, str) and hmac.compare_digest(value.encode(), token.encode())


def own_origins(port: int) -> set[str]:
    """The origins of the server's own page, however the browser named the host."""
    return {f"http://{host}:{port}" for host in ("127.0.0.1", "localhost", "[::1]")}


def origin_ok(origin: str | None, port: int) -> bool:
    """No Origin (a program, not a browser) or the server's own page."""
    return origin is None or origin.rstrip("/") in own_origins(port)
