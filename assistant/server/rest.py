"""The batch endpoints (docs/API.md, "REST"): transcribe a recording, speak a text, reply to a
text. Each borrows a free engine set for as long as it runs; the model work runs in a worker
thread, never on the event loop. A reply a local skill gives (the time, a timer: the same
routing as `ask`, `skills.answer`) needs no engine set and comes at once.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from assistant import __version__
from assistant.audio.devices import SAMPLE_RATE
from assistant.audio.speech_spans import speech_spans
from assistant.errors import ModelError, UserError
from assistant.server.audio_body import BadAudio, decode_audio
from assistant.server.guard import MAX_BODY_BYTES, MAX_TEXT_CHARS, bearer_ok
from assistant.server.pool import PoolFull
from assistant.skills.skills import answer

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def guarded(handler):
    """The token, the body's size, and one clear sentence for whatever goes wrong."""

    async def endpoint(request: Request):
        api = request.app.state.api
        if not bearer_ok(request.headers.get("authorization"), api.token):
            return error(401, "Send the API token as `Authorization: Bearer TOKEN`; it is in "
                              "the api-token file in the settings folder.")
        try:
            return await handler(request, api)
        except ApiError as exc:
            return error(exc.status, exc.message)
        except BadAudio as exc:
            return error(exc.status, exc.message)
        except PoolFull:
            return error(503, "Every engine set is busy; try again in a moment.")
        except ModelError as exc:  # the server's models, not the request
            return error(503, str(exc))
        except UserError as exc:
            return error(400, str(exc))

    endpoint.__name__ = handler.__name__
    return endpoint


async def read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, f"The body is larger than {MAX_BODY_BYTES // 2**20} MiB.")
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, f"The body is larger than {MAX_BODY_BYTES // 2**20} MiB.")
    return bytes(body)


async def read_json(request: Request) -> dict:
    body = await read_body(request)
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise ApiError(400, "The body is not JSON; send e.g. {\"text\": \"hello\"}.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object, e.g. {\"text\": \"hello\"}.")
    return data


def text_field(data: dict) -> str:
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Give a non-empty \"text\" string.")
    if len(text) > MAX_TEXT_CHARS:
        raise ApiError(413, f"\"text\" is longer than {MAX_TEXT_CHARS} characters.")
    return text.strip()


async def health(request: Request) -> JSONResponse:
    api = request.app.state.api
    return JSONResponse({"status": "ok", "version": __version__,
                         "conversations": api.pool.conversations,
                         "max_conversations": api.pool.max_conversations})


@guarded
async def transcribe(request: Request, api) -> JSONResponse:
    body = await read_body(request)
    limit_s = api.settings.api.max_audio_minutes * 60
    samples = await run_in_threadpool(decode_audio, body, limit_s)
    del body

    def work():
        """Only what the endpointer hears as speech is decoded, as `transcribe` does."""
        texts, words = [], []
        with api.pool.borrow() as engines:
            for first, end in speech_spans(engines.endpointer, samples):
                heard = engines.recognizer.transcribe_once(samples[first:end], words=True)
                if heard.text:
                    texts.append(heard.text)
                offset = first / SAMPLE_RATE
                words += [(w, offset) for w in heard.words]
            return " ".join(texts), words, engines.recognizer.engine

    text, words, engine = await run_in_threadpool(work)
    return JSONResponse({
        "text": text, "engine": engine,
        "words": [{"word": w.word, "start_s": round(w.start_s + offset, 3),
                   "end_s": round(w.end_s + offset, 3), "confidence": round(w.confidence, 3)}
                  for w, offset in words]})


@guarded
async def speak(request: Request, api) -> Response:
    data = await read_json(request)
    text = text_field(data)
    voice = data.get("voice")
    if voice is not None and not isinstance(voice, str):
        raise ApiError(400, "\"voice\" must be a string: a voice id or an .onnx path.")

    def work() -> bytes:
        import soundfile

        with api.pool.borrow() as engines:
            try:
                tts = api.voices.get(voice, engines.tts)
            except ModelError as exc:  # the voice asked for: the request's doing
                raise ApiError(400, str(exc)) from None
            audio = speech_of(tts, text)
            out = io.BytesIO()
            soundfile.write(out, audio, tts.sample_rate, format="WAV", subtype="PCM_16")
            return out.getvalue()

    return Response(await run_in_threadpool(work), media_type="audio/wav")


def speech_of(tts, text: str) -> np.ndarray:
    """The whole text spoken, sentence by sentence, as the loop's chunker cuts a reply."""
    from assistant.conversation.wiring import make_chunker

    chunker = make_chunker()
    pieces = [p for p in chunker.feed(text + " ") + chunker.flush() if p.strip()]
    audio = [np.asarray(part, np.float32) for piece in pieces for part in tts.synthesize(piece)]
    return np.concatenate(audio) if audio else np.zeros(0, np.float32)


@guarded
async def reply(request: Request, api) -> Response:
    data = await read_json(request)
    text = text_field(data)
    stream = request.query_params.get("stream", "").lower() in ("1", "true", "yes")
    skill = await run_in_threadpool(
        answer, api.skills(), text, api.settings.conversation.local_skills)
    if skill is not None:  # the time, a timer...: at once, with no engine set to wait for
        if stream:
            return _event_stream(_said(skill.text, skill.skill))
        return JSONResponse({"text": skill.text, "skill": skill.skill})
    if stream:
        return _event_stream(_reply_events(api, text))
    answer_text = ""
    for kind, piece in await run_in_threadpool(lambda: list(_reply_tokens(api, text))):
        if kind == "done":
            answer_text = piece
    return JSONResponse({"text": answer_text, "skill": None})


def _event_stream(events) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})


def _event(kind: str, text: str, skill: str | None = None) -> str:
    data = {"text": text} if kind != "done" else {"text": text, "skill": skill}
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _said(text: str, skill: str):
    """A skill's reply as server-sent events: one `token` with its words, then `done`."""
    yield _event("token", text)
    yield _event("done", text, skill)


async def _reply_events(api, text: str):
    """Server-sent events: `token` pieces as written, then `done` with the whole reply. The
    reply is made on a worker thread; a client that goes away stops it at its next token."""
    loop = asyncio.get_running_loop()
    pieces: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in _reply_tokens(api, text, stop):
                loop.call_soon_threadsafe(pieces.put_nowait, item)
        except Exception:
            log.exception("a streamed reply failed")
            loop.call_soon_threadsafe(pieces.put_nowait,
                                      ("error", "The reply failed; see the server's log."))
        finally:
            loop.call_soon_threadsafe(pieces.put_nowait, None)

    worker = asyncio.ensure_future(run_in_threadpool(produce))
    try:
        while (item := await pieces.get()) is not None:
            kind, piece = item
            yield _event(kind, piece)
    finally:
        stop.set()  # the client left (or everything was sent): the worker ends at once
        worker.add_done_callback(_worker_done)  # its end is seen, even after the client's


def _worker_done(worker: asyncio.Future) -> None:
    if not worker.cancelled() and worker.exception() is not None:
        log.error("a streamed reply's worker failed: %s", worker.exception())


def _reply_tokens(api, text: str, stop: threading.Event | None = None):
    """("token", piece)... then ("done", reply): the loop's responder on the default
    conversation's history; the exchange is added once the reply is whole."""
    from assistant.conversation.responder import ReplyRequest, Responder
    from assistant.conversation.wiring import make_chunker
    from assistant.events import LlmFinished, LlmToken, Notice

    with api.pool.borrow() as engines:
        history = api.history(engines.llm)
        responder = Responder(engines.llm, make_chunker, api.clock, lambda generation: True)
        request = ReplyRequest(turn_id=0, generation=0, messages=history.messages_for(text),
                               max_sentences=api.settings.conversation.max_reply_sentences)
        said, complete = "", False
        try:
            for event in responder.process(request):
                if stop is not None and stop.is_set():
                    return
                if isinstance(event, LlmToken) and event.text:  # none empty before "done"
                    yield "token", event.text
                elif isinstance(event, LlmFinished):
                    said = event.text
                elif isinstance(event, Notice) and event.level == "error":
                    log.error("reply failed: %s", event.message)
            complete = True
        finally:
            if not complete:  # the client went away mid-reply
                engines.llm.cancel()
        history.add_exchange(text, said)
        skills = api.skills()
        if skills is not None:  # "say that again" repeats it
            skills.heard(said)
        yield "done", said
