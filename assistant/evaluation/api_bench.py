"""`voice-assistant bench FILES --api`: the same dialogs three ways, in one run.

1. **in-process**: the bench's streaming replay (`run_replay`), the reference.
2. **WebSocket**: a client streams the file in real time to `/v1/conversation` (docs/API.md)
   and times the first reply audio frame it receives after each turn's end.
3. **REST (batch)**: a client plays the file in real time, finds each utterance's end itself
   (`assistant.vad.Endpointer`, default settings: the server's silence end), then records the
   utterance whole -> POST /v1/transcribe -> POST /v1/reply -> POST /v1/speak, and the reply
   could play once its WAV is in.

The server is `voice-assistant serve --port 0` in a child process with the bench's settings
(a temporary settings folder: its own settings file and token), a fresh one for each dialog
so that REST's /v1/reply (the server's one default conversation) starts each dialog on an
empty history, as the other two paths do. A server of its own process, as a real one is:
the bench's clients never compete for its interpreter lock (with the server on a thread of
the bench, the WebSocket's first chunks came later than in-process in one run of the English
questions and not in another). `--api-in-process` hosts it on a
thread of the bench instead (the three paths then share one engine set, loaded once), and
`--api-url` names one already running (its token from the api-token file; its own
settings, and its history goes on from dialog to dialog). Every path decodes greedily
(`llm.temperature = 0`, the bench's seed), so that the same words get the same reply on
each path and the replies are comparable.

**What V2V is here.** All three are "from the end of the user's speech to the first reply
sample that could be heard", on one clock per path:

- in-process: the turn record's `v2v_ms` (the endpointer's end of speech on the input's
  timeline to the first reply block handed to the speaker), as `voice-assistant bench`.
- WebSocket: on the client's clock (`time.monotonic`). The end of speech is where the same
  endpointer puts it on the file (`endpointer_utterances`) at the time the client sent that
  sample (`stream start + file offset`: each 20 ms block leaves when its last sample would
  have been captured), and the reply's first sound is the arrival of its first binary frame.
  This does not trust any mapping of the server's clock, and it counts what a user waits
  for that the server's own figure leaves out: the microphone audio's way to the server's
  frame timeline (its 20 ms frame grid, any underrun it took as silence) and the reply
  audio's way back. The server's own `turn.metrics.v2v_ms` is kept beside it
  (`server_v2v_ms`), and so is a V2V from the server's `speech_ended` time mapped onto the
  client's clock (`v2v_server_end_ms`); the mapping is the arrival timeline: the
  client's clock minus the server's `t_ms`, smallest over the events stamped no later than
  they are sent (`STAMPED_BEFORE_SENT`: such an event cannot arrive before its time, and the
  quickest of them arrives within a millisecond or so).
  `skew_ms` (the server's end, so mapped, minus the client's) shows how far the server's
  timeline sat behind the audio sent.
- REST: on the client's clock, from the end its own endpointer found (the same sample) to
  the moment the `/v1/speak` WAV had come in whole (the first sample could play then; the
  server writes the WAV only once it is all synthesized).

**Overlaps.** The REST client has no barge-in: it is one batch request after another, and a
reply "plays" (the client waits its length) to its end. The file goes on playing in real
time meanwhile, as a user goes on talking; an utterance that ends while the client is still
busy waits its turn (`queued_ms`, counted in its V2V) and is marked `talked_over` when it
began before the replies to the earlier ones had been fetched and played. The report gives
REST with and without those turns, and judges "REST at least 3x slower" without them: their
wait is the missing barge-in, not what the batch requests cost. The REST reply has the local
skills (/v1/reply answers them first, as `ask` does) and no end-of-turn model (the client's
endpointer ends an utterance after `vad.end_silence_ms` of silence).
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings
from assistant.evaluation.api_bench_clients import (BLOCK_MS, Utterance, endpointer_utterances,
                                                    nearest, run_rest, run_websocket,
                                                    websocket_turns)
from assistant.evaluation.api_bench_report import build_api_report, format_api_report
from assistant.evaluation.api_bench_server import (HOSTING, child_server, external_server,
                                                   thread_server)
from assistant.metrics import summarize

__all__ = ["run_api_bench", "build_api_report", "format_api_report"]


# --- the in-process path ----------------------------------------------------------------------

def in_process_turns(result, utterances: list[Utterance]) -> list[dict]:
    out = []
    for t in result.turns:
        if t.get("source") not in ("voice", "ptt"):
            continue
        index = nearest(utterances, t.get("t_speech_end_ms"))
        out.append({"utterance": index, "end_ms": t.get("t_speech_end_ms"),
                    "user_text": t.get("user_text", ""),
                    "reply_text": t.get("full_reply_text") or t.get("reply_text", ""),
                    "interrupted": t.get("interrupted", False), "v2v_ms": t.get("v2v_ms"),
                    "stages_ms": t.get("stages_ms"),
                    "end_of_turn": (t.get("end_of_turn") or {}).get("by"),
                    "skill": t.get("skill")})
    return out


# --- one run ----------------------------------------------------------------------------------

@dataclass
class DialogRun:
    wav: Path
    round: int
    utterances: list[Utterance]
    paths: dict[str, list[dict]] = field(default_factory=dict)
    replay: object = None  # the in-process ReplayResult
    ws_close_code: int | None = None


def run_api_bench(settings: Settings, files: list[Path], *, api_url: str | None = None,
                  hosting: str = "process", repeat: int = 1, label: str = "", progress=print,
                  block_ms: int = BLOCK_MS, pool=None) -> dict:
    """Each file in-process, over the WebSocket and over REST, one after the other; the
    report of `build_api_report`. `settings` should decode greedily (the caller sets it).

    The server: `api_url` (one already running), else `hosting` "process" (a child `serve`
    for each dialog, so that every dialog's REST replies start on an empty history, as the
    other two paths do) or "thread" (on a thread of this process, from `pool` if given, its
    history emptied for each dialog). `pool`: an EnginePool made with `settings` that the
    in-process path borrows its engines from (and a thread-hosted server serves from)."""
    from assistant.audio.audio_file import load_audio
    from assistant.conversation.replay import run_replay
    from assistant.evaluation.turn_taking import paused_sentences

    hosting = "external" if api_url else hosting
    if hosting not in HOSTING:
        raise ValueError(f"hosting {hosting!r}")
    runs: list[DialogRun] = []
    url = None
    with contextlib.ExitStack() as stack:
        shared = None
        if hosting == "external":
            shared = stack.enter_context(external_server(api_url))
        elif hosting == "thread":
            shared = stack.enter_context(thread_server(settings, progress, pool))
        # the in-process path: a set of the thread-hosted server's pool (or of `pool`),
        # borrowed for each replay and free again for the other two paths, else its own
        pool = shared.pool if shared is not None and shared.pool is not None else pool
        own = None if pool is not None else stack.enter_context(_own_engines(settings, progress))
        progress(f"API server: {HOSTING[hosting]}")
        for round_no in range(repeat):
            for wav in files:
                samples = load_audio(wav)
                run = DialogRun(wav=wav, round=round_no,
                                utterances=endpointer_utterances(samples, _copy(settings.vad)))
                with contextlib.ExitStack() as per_dialog:
                    server = shared or per_dialog.enter_context(child_server(settings, progress))
                    url = server.url
                    with pool.borrow(timeout=120) if pool else contextlib.nullcontext(own) \
                            as engines:
                        result = run_replay(settings, wav, engines=engines, render_out=False)
                    for turn in result.turns:  # as run_bench marks them, for build_report
                        turn.update(file=wav.name, mode="streaming", round=round_no,
                                    paused_dialog=bool(paused_sentences(wav)))
                    run.replay = result
                    run.paths["in_process"] = in_process_turns(result, run.utterances)
                    progress(f"{wav.name} in-process: {_line(run.paths['in_process'])}")
                    ws = run_websocket(server, samples, block_ms=block_ms)
                    run.ws_close_code = ws.close_code
                    run.paths["websocket"] = websocket_turns(ws, run.utterances)
                    progress(f"{wav.name} WebSocket: {_line(run.paths['websocket'])}")
                    if server.history is not None:
                        server.history.reset()
                    rest = run_rest(server, samples, vad_settings=_copy(settings.vad))
                    for record in rest:
                        record["utterance"] = nearest(run.utterances, record["end_ms"])
                    run.paths["rest"] = rest
                    progress(f"{wav.name} REST: {_line(rest)}")
                runs.append(run)
    return build_api_report(runs, label=label, settings=settings, hosting=hosting, url=url)


@contextlib.contextmanager
def _own_engines(settings: Settings, progress):
    """The in-process path's engines when no pool lends them: loaded once for the run."""
    from assistant.conversation.wiring import Engines

    engines = Engines.from_settings(settings, notify=progress)
    engines.start()
    try:
        yield engines
    finally:
        engines.close()


def _copy(vad):
    return dataclasses.replace(vad)


def _line(turns: list[dict]) -> str:
    v = summarize(t.get("v2v_ms") for t in turns)
    return f"{len(turns)} turns, V2V p50 {v['p50']} ms p95 {v['p95']} ms"


