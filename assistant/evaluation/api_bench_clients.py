"""The clients of `bench --api`: the utterances of a dialog as the endpointer finds them, a
WebSocket client that streams the dialog in real time, and a REST client that records each
utterance whole and asks /v1/transcribe, /v1/reply and /v1/speak in turn. What their V2V
means: assistant/evaluation/api_bench.py."""

from __future__ import annotations

import contextlib
import io
import json
import queue
import threading
import time
from dataclasses import dataclass

import numpy as np

from assistant.errors import UserError
from assistant.evaluation.api_bench_server import Server

RATE = 16000
BLOCK_MS = 20  # the WebSocket client's blocks (docs/API.md: 20 to 40 ms is best)
FRAME_MS = 20  # the REST client's endpointer frames
MATCH_MS = 600  # a turn's end this close to an utterance's end is that utterance's turn
# events whose t_ms is a time at or before they were sent (for the clock mapping); not
# `chunk_playing` or `status`: a chunk that begins inside an audio block is stamped with the
# time of its first sample, up to a block after the block (and the event) went out
STAMPED_BEFORE_SENT = {"speech_started", "speech_ended", "partial", "final", "reply_chunk",
                       "turn"}


# --- the utterances of a file, as the endpointer finds them -------------------------------

@dataclass
class Utterance:
    onset_ms: float
    end_ms: float  # the endpointer's true end (end of the last voiced frame), file timeline
    detected_ms: float  # when the endpointer decided (end + vad.end_silence_ms)


def endpointer_utterances(samples: np.ndarray, vad_settings=None) -> list[Utterance]:
    """The utterances `assistant.vad.Endpointer` (default settings unless given) finds in the
    file, frame by frame as a live input: onset, end of speech, and when the end is decided."""
    from assistant.events import AudioFrame, SpeechEnded, SpeechStarted
    from assistant.vad import Endpointer

    endpointer = Endpointer(vad_settings)
    endpointer.start()
    n = RATE * FRAME_MS // 1000
    found, onset = [], None
    try:
        for k in range(0, len(samples) // n):
            frame = AudioFrame(samples=samples[k * n:(k + 1) * n], t_ns=k * FRAME_MS * 1_000_000)
            for event in endpointer.process(frame):
                if isinstance(event, SpeechStarted):
                    onset = event.t_onset_ns / 1e6
                elif isinstance(event, SpeechEnded) and onset is not None:
                    found.append(Utterance(onset, event.t_true_end_ns / 1e6, event.t_ns / 1e6))
                    onset = None
        if onset is not None:  # still speaking at the end of the file
            end = endpointer.last_voiced_end_ns / 1e6
            found.append(Utterance(onset, end, len(samples) * 1000 / RATE))
    finally:
        endpointer.close()
    return found


def nearest(utterances: list[Utterance], end_ms: float | None) -> int | None:
    """The index of the utterance whose end is nearest `end_ms` (None: none within MATCH_MS)."""
    if end_ms is None or not utterances:
        return None
    index = min(range(len(utterances)), key=lambda i: abs(utterances[i].end_ms - end_ms))
    return index if abs(utterances[index].end_ms - end_ms) <= MATCH_MS else None


def wav_bytes(samples: np.ndarray, rate: int = RATE) -> bytes:
    import soundfile

    out = io.BytesIO()
    soundfile.write(out, np.asarray(samples, np.int16), rate, format="WAV", subtype="PCM_16")
    return out.getvalue()


def sleep_until(t: float) -> None:
    delay = t - time.monotonic()
    if delay > 0:
        time.sleep(delay)


# --- the WebSocket path ----------------------------------------------------------------------

@dataclass
class WsRun:
    stream_t0: float  # client clock of the file's sample 0
    events: list[dict]  # JSON events, each with "_at" (client clock of its arrival)
    audio: list[tuple[float, int]]  # (arrival, bytes) of each binary frame
    offset_s: float | None  # client clock minus the server's t_ms, from the arrival timeline
    close_code: int | None
    sample_rate: int


def run_websocket(server: Server, samples: np.ndarray, block_ms: int = BLOCK_MS,
                  tail_s: float = 90.0) -> WsRun:
    """Stream `samples` to /v1/conversation in real time, then `end`; collect what comes back."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    events: list[dict] = []
    audio: list[tuple[float, int]] = []
    ended = threading.Event()
    with connect(server.ws_url, additional_headers=server.headers, max_size=2**22,
                 open_timeout=60, close_timeout=5) as ws:
        first = json.loads(ws.recv(timeout=120))
        if first.get("type") != "audio_format":
            raise UserError(f"The server's first WebSocket message was {first!r}.")

        def read():
            try:
                for message in ws:
                    at = time.monotonic()
                    if isinstance(message, bytes):
                        audio.append((at, len(message)))
                    else:
                        event = json.loads(message)
                        event["_at"] = at
                        events.append(event)
                        if event.get("type") == "end":
                            ended.set()
            except ConnectionClosed:
                pass
            ended.set()

        reader = threading.Thread(target=read, name="bench-ws-reader", daemon=True)
        reader.start()
        block = RATE * block_ms // 1000
        stream_t0 = time.monotonic()
        for i in range(0, len(samples), block):
            piece = samples[i:i + block]
            sleep_until(stream_t0 + (i + len(piece)) / RATE)  # when its last sample is captured
            ws.send(np.asarray(piece, "<i2").tobytes())
        ws.send(json.dumps({"type": "end"}))
        ended.wait(tail_s)
        with contextlib.suppress(Exception):
            ws.close()
        reader.join(5)
        close_code = ws.close_code
    stamped = [e["_at"] - e["t_ms"] / 1000 for e in events
               if e.get("t_ms") is not None and e.get("type") in STAMPED_BEFORE_SENT]
    return WsRun(stream_t0=stream_t0, events=events, audio=audio,
                 offset_s=min(stamped) if stamped else None, close_code=close_code,
                 sample_rate=int(first.get("sample_rate") or 0))


def websocket_turns(run: WsRun, utterances: list[Utterance]) -> list[dict]:
    """One record per spoken turn the server finished (see the module's docstring for V2V)."""
    out = []
    started = {e["turn_id"]: e for e in run.events if e.get("type") == "reply_started"}
    arrivals = [at for at, _ in run.audio]

    def client(t_ms):  # a server time on the client's clock
        return None if t_ms is None or run.offset_s is None else run.offset_s + t_ms / 1000

    for event in run.events:
        if event.get("type") != "turn":
            continue
        m = event.get("metrics") or {}
        if m.get("source") not in ("voice", "ptt"):
            continue
        server_end = client(m.get("t_speech_end_ms"))
        index = (nearest(utterances, (server_end - run.stream_t0) * 1000)
                 if server_end is not None else None)
        end = (run.stream_t0 + utterances[index].end_ms / 1000) if index is not None else None
        first = None
        if server_end is not None and arrivals:
            after = min(t for t in (server_end, end) if t is not None)
            begun = started.get(event.get("turn_id"))
            if begun is not None and begun.get("t_ms") is not None:  # not an earlier reply
                after = max(after, client(begun["t_ms"]) - 0.03)
            first = next((at for at in arrivals if at >= after), None)
            if m.get("t_first_audio_ms") is None:
                first = None  # the reply never played (cut off before its first sound)
        out.append({
            "utterance": index,
            "end_ms": None if index is None else utterances[index].end_ms,
            "user_text": m.get("user_text") or event.get("user_text", ""),
            "reply_text": m.get("full_reply_text") or event.get("reply_text", ""),
            "interrupted": bool(event.get("interrupted")),
            # no utterance of the endpointer explains the turn (split, merged): the server's end
            "v2v_ms": _ms(first, end if end is not None else server_end),
            "v2v_server_end_ms": _ms(first, server_end),
            "server_v2v_ms": m.get("v2v_ms"),
            "server_stages_ms": m.get("stages_ms"),
            "skew_ms": _ms(server_end, end),
            # the reply's first block from the server's speaker to the client
            "audio_transport_ms": _ms(first, client(m.get("t_first_audio_ms"))),
            "end_of_turn": (m.get("end_of_turn") or {}).get("by"),
            "skill": m.get("skill"),
        })
    return out


def _ms(later: float | None, earlier: float | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier) * 1000, 1)


# --- the REST path ----------------------------------------------------------------------------

@dataclass
class _Spoken:
    onset_ms: float
    end_ms: float
    detected_ms: float
    detected_at: float  # client clock
    audio: np.ndarray


def run_rest(server: Server, samples: np.ndarray, vad_settings=None,
             timeout_s: float = 120.0) -> list[dict]:
    """Play `samples` in real time with the client's own endpointer on it; each utterance,
    once its end is decided, goes through transcribe -> reply -> speak, one after another."""
    import httpx

    from assistant.config import VadSettings
    from assistant.events import AudioFrame, SpeechEnded, SpeechStarted
    from assistant.vad import Endpointer

    vad_settings = vad_settings or VadSettings()
    spoken: queue.Queue = queue.Queue()
    n = RATE * FRAME_MS // 1000
    preroll = RATE * vad_settings.preroll_ms // 1000
    state = {"t0": None, "error": None}

    def capture():  # the microphone and the client's endpointer, in real time
        endpointer = Endpointer(vad_settings)
        try:
            endpointer.start()
            onset = None
            t0 = state["t0"] = time.monotonic()
            for k in range(len(samples) // n):
                sleep_until(t0 + (k + 1) * FRAME_MS / 1000)
                frame = AudioFrame(samples=samples[k * n:(k + 1) * n],
                                   t_ns=k * FRAME_MS * 1_000_000)
                for event in endpointer.process(frame):
                    if isinstance(event, SpeechStarted):
                        onset = event.t_onset_ns / 1e6
                    elif isinstance(event, SpeechEnded) and onset is not None:
                        start = max(int(onset * RATE / 1000) - preroll, 0)
                        stop = (k + 1) * n  # everything recorded up to the decision
                        spoken.put(_Spoken(onset, event.t_true_end_ns / 1e6, event.t_ns / 1e6,
                                           time.monotonic(), samples[start:stop].copy()))
                        onset = None
            if onset is not None:  # the file ended mid-utterance
                start = max(int(onset * RATE / 1000) - preroll, 0)
                spoken.put(_Spoken(onset, endpointer.last_voiced_end_ns / 1e6,
                                   len(samples) * 1000 / RATE, time.monotonic(),
                                   samples[start:].copy()))
        except Exception as exc:  # reported by the caller
            state["error"] = exc
        finally:
            endpointer.close()
            spoken.put(None)

    capturer = threading.Thread(target=capture, name="bench-rest-mic", daemon=True)
    capturer.start()
    records: list[dict] = []
    busy_until = 0.0  # the previous reply is "playing" until then
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=timeout_s) as http:
        while (item := spoken.get()) is not None:
            sleep_until(busy_until)  # one thing at a time: the reply before plays to its end
            t0 = state["t0"]
            onset_at = t0 + item.onset_ms / 1000
            record = {"onset_ms": item.onset_ms, "end_ms": item.end_ms,
                      # begun before the replies to earlier utterances were fetched and
                      # played: a stream would have barged in; this client only queues it
                      "talked_over": bool(records) and onset_at < busy_until,
                      "endpointing_ms": round(item.detected_ms - item.end_ms, 1)}
            taken = time.monotonic()
            record["queued_ms"] = round((taken - item.detected_at) * 1000, 1)
            heard = _post(http, "/v1/transcribe", content=wav_bytes(item.audio))
            t_text = time.monotonic()
            text = heard.get("text", "").strip()
            record.update(user_text=text, transcribe_ms=round((t_text - taken) * 1000, 1))
            if not text:
                record.update(reply_text="", v2v_ms=None)
                records.append(record)
                continue
            answer = _post(http, "/v1/reply", json={"text": text}).get("text", "")
            t_reply = time.monotonic()
            record.update(reply_text=answer, reply_ms=round((t_reply - t_text) * 1000, 1))
            if not answer.strip():
                record["v2v_ms"] = None
                records.append(record)
                continue
            response = http.post("/v1/speak", json={"text": answer})
            t_audio = time.monotonic()
            _check(response)
            played_s = _wav_seconds(response.content)
            busy_until = t_audio + played_s
            record.update(speak_ms=round((t_audio - t_reply) * 1000, 1),
                          reply_audio_s=round(played_s, 2),
                          v2v_ms=round((t_audio - (t0 + item.end_ms / 1000)) * 1000, 1))
            records.append(record)
        sleep_until(busy_until)
    capturer.join(5)
    if state["error"] is not None:
        raise state["error"]
    return records


def _post(http, path: str, **kwargs) -> dict:
    response = http.post(path, **kwargs)
    _check(response)
    return response.json()


def _check(response) -> None:
    if response.status_code != 200:
        try:
            message = response.json().get("error", response.text)
        except ValueError:
            message = response.text
        raise UserError(f"{response.request.method} {response.request.url.path} answered "
                        f"{response.status_code}: {message}")


def _wav_seconds(data: bytes) -> float:
    import soundfile

    info = soundfile.info(io.BytesIO(data))
    return info.frames / info.samplerate if info.samplerate else 0.0


