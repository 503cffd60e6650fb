"""`/v1/conversation`: one live conversation per WebSocket (docs/API.md, "WebSocket").

In: binary frames of 16 kHz mono int16 little-endian PCM, as if from the microphone, and JSON
text frames (`auth`, `text`, `interrupt`, `end`). Out: `audio_format` first, then the loop's
events as JSON and the reply's audio as binary frames while it plays. The events are the ones
a client may show, as `LiveConversation` makes them (`event_json.ConversationJson`): nothing
of a speculative reply that was discarded.
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from assistant.errors import UserError
from assistant.server.guard import MAX_TEXT_CHARS, bearer_ok, origin_ok, token_ok
from assistant.server.live import LiveConversation
from assistant.server.pool import PoolFull
from assistant.server.stream_source import MAX_AHEAD_S

log = logging.getLogger(__name__)

AUTH_TIMEOUT_S = 10.0
MAX_PENDING = 2000  # messages queued for a client that does not read (about 40 s of audio)

UNAUTHORIZED = 4401  # the token is missing or wrong
TRY_AGAIN_LATER = 1013  # every conversation slot is taken
POLICY = 1008
INTERNAL_ERROR = 1011


async def conversation_socket(websocket: WebSocket) -> None:
    api = websocket.app.state.api
    if not origin_ok(websocket.headers.get("origin"), api.port):
        await websocket.send_denial_response(PlainTextResponse(
            "This page's origin may not use the voice assistant; open the assistant's own "
            "page instead.", status_code=403))
        return
    header = websocket.headers.get("authorization")
    if header is not None and not bearer_ok(header, api.token):
        await websocket.send_denial_response(PlainTextResponse(
            "The API token is wrong; it is in the api-token file in the settings folder.",
            status_code=401))
        return
    await websocket.accept()
    if header is None and not await _first_message_authorizes(websocket, api.token):
        return
    try:
        engines = await run_in_threadpool(api.pool.take_for_conversation)
    except PoolFull as exc:
        await websocket.close(TRY_AGAIN_LATER, f"{exc}; try again later")
        return
    except UserError as exc:  # a model that is missing or broken: the server's log says which
        log.error("no engines for a conversation: %s", exc)
        await websocket.close(INTERNAL_ERROR, _reason(str(exc)))
        return
    api.open_sockets.add(websocket)
    try:
        await _converse(websocket, api, engines)
    except Exception:  # a bug, not the client's doing: this conversation ends, the server not
        log.exception("a conversation failed")
        if websocket.client_state == WebSocketState.CONNECTED:
            await websocket.close(INTERNAL_ERROR, "the conversation failed; see the server's log")
    finally:
        api.open_sockets.discard(websocket)
        api.pool.give_back_conversation(engines)


async def _first_message_authorizes(websocket: WebSocket, token: str) -> bool:
    reason = "send {\"type\": \"auth\", \"token\": ...} first"
    try:
        message = await asyncio.wait_for(websocket.receive(), AUTH_TIMEOUT_S)
    except asyncio.TimeoutError:
        message = {}
    text = message.get("text")
    if text is not None:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("type") == "auth":
            if token_ok(data.get("token"), token):
                return True
            reason = "the token is wrong"
    if message.get("type") != "websocket.disconnect":
        await websocket.close(UNAUTHORIZED, f"unauthorized: {reason}")
    return False


def _reason(text: str) -> str:
    """A close reason fits in 123 bytes."""
    data = text.encode("utf-8")
    return text if len(data) <= 123 else data[:120].decode("utf-8", "ignore") + "..."


class _Outbox:
    """What the loop's threads send, queued for the event loop; too many unsent: the client
    is not reading and is let go."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: asyncio.Queue = asyncio.Queue()
        self.overflowed = False

    def send(self, item) -> None:
        try:
            self.loop.call_soon_threadsafe(self._put, item)
        except RuntimeError:  # the event loop is closing
            pass

    def _put(self, item) -> None:
        if self.queue.qsize() >= MAX_PENDING:
            self.overflowed = True
            return
        self.queue.put_nowait(item)


async def _converse(websocket: WebSocket, api, engines) -> None:
    outbox = _Outbox(asyncio.get_running_loop())
    live = LiveConversation(api.settings, engines, outbox.send)
    await websocket.send_text(json.dumps({
        "type": "audio_format", "sample_rate": live.sample_rate, "channels": 1,
        "encoding": "pcm_s16le", "input_sample_rate": 16000, "input_frame_ms": 20}))
    await run_in_threadpool(live.start)
    sender = asyncio.create_task(_send_all(websocket, outbox))
    finishing: asyncio.Task | None = None
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("bytes")
            if data is not None:
                live.audio(data)
                if live.source.ahead_s >= MAX_AHEAD_S and not await run_in_threadpool(
                        live.source.wait_for_room, 60.0):
                    break  # sent far ahead and not consumed for a minute: something is stuck
                continue
            reply = _control(live, message.get("text") or "")
            if reply == "end" and finishing is None:
                finishing = asyncio.create_task(_finish(websocket, live, outbox))
            elif reply is not None and reply != "end":
                outbox.send({"type": "error", "message": reply})
            if sender.done():
                break
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for task in (sender, finishing):
            if task is not None:
                task.cancel()
        took = await run_in_threadpool(live.close)
        log.info("conversation closed in %.2f s", took)


def _control(live: LiveConversation, text: str) -> str | None:
    """Apply one JSON control; None, "end", or an error message for the client."""
    try:
        data = json.loads(text)
    except ValueError:
        return "A text message must be JSON, e.g. {\"type\": \"text\", \"text\": \"hello\"}."
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return "A message must be a JSON object with a \"type\"."
    kind = data["type"]
    if kind == "text":
        words = data.get("text")
        if not isinstance(words, str) or not words.strip():
            return "\"text\" needs a non-empty \"text\" string."
        if len(words) > MAX_TEXT_CHARS:
            return f"\"text\" is longer than {MAX_TEXT_CHARS} characters."
        live.text(words.strip())
        return None
    if kind == "interrupt":
        live.interrupt()
        return None
    if kind == "end":
        live.end()
        return "end"
    if kind == "auth":
        return None  # already authorized
    return f"Unknown message type {kind[:40]!r}; use text, interrupt or end."


async def _send_all(websocket: WebSocket, outbox: _Outbox) -> None:
    try:
        while True:
            item = await outbox.queue.get()
            try:
                if outbox.overflowed:
                    await websocket.close(POLICY, "the client is not reading what is sent")
                    return
                if isinstance(item, bytes):
                    await websocket.send_bytes(item)
                else:
                    await websocket.send_text(json.dumps(item, ensure_ascii=False, default=str))
            finally:
                outbox.queue.task_done()
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass


async def _finish(websocket: WebSocket, live: LiveConversation, outbox: _Outbox) -> None:
    """After the client's `end`: once everything asked for was said, say `end` and close."""
    while not live.done():
        await asyncio.sleep(0.05)
    await run_in_threadpool(live.flush)  # the last events are in the outbox
    live.send({"type": "end"})
    await run_in_threadpool(live.flush)
    try:  # everything, `end` included, sent before the close
        await asyncio.wait_for(outbox.queue.join(), timeout=2.0)
    except asyncio.TimeoutError:
        pass
    if websocket.client_state == WebSocketState.CONNECTED:
        await websocket.close(1000, "the conversation is over")
