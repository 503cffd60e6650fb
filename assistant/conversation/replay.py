"""Replay a WAV file as if it were spoken into the microphone, and record what the assistant
would have played on the same timeline.

The source paces the file in real time on the clock; the recording speaker "plays" in real
time too and keeps every block with the time it went out, so OUT.wav sample i is what was
output when IN.wav sample i was captured. V2V can then be read off the two files alone.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from assistant.audio.audio_file import audio_file_info
from assistant.clock import DEFAULT_CLOCK, NS_PER_MS, NS_PER_S, Clock
from assistant.config import Settings
from assistant.errors import UserError
from assistant.metrics import STAGE_NAMES, summarize

log = logging.getLogger(__name__)


@dataclass
class ReplayResult:
    turns: list[dict]
    barge_ins: list[dict]  # t_onset_ms, t_silent_ms (input timeline) and latency_ms
    t0_ns: int
    in_rate: int
    in_samples: int
    speaker: object | None  # the RecordingSpeaker that kept what was played (None: not kept)
    out_samples: int
    sequential: bool
    wall_s: float
    notices: list[str] = field(default_factory=list)
    listen_lag_ms: list[float] = field(default_factory=list)  # per frame, capture -> processed
    echo: dict | None = None  # echo level before and after cancellation

    @property
    def out_audio(self) -> np.ndarray | None:
        """The assistant's audio on the input's timeline, whole (for short inputs)."""
        if self.speaker is None:
            return None
        return self.speaker.render(self.t0_ns, self.in_rate, self.out_samples)

    def write_out(self, path: Path) -> None:
        """OUT.wav, written a block at a time (an input of hours is never held whole)."""
        import soundfile

        with soundfile.SoundFile(str(path), "w", samplerate=self.in_rate, channels=1,
                                 subtype="PCM_16") as out:
            for block in self.speaker.render_blocks(self.t0_ns, self.in_rate, self.out_samples):
                out.write(np.clip(block, -1.0, 1.0))

    def summary(self) -> dict:
        summary = summarize_turns(self.turns, self.barge_ins)
        summary["listener_lag_ms"] = summarize(self.listen_lag_ms)
        if self.echo is not None:
            summary["echo"] = self.echo
        return summary

    def to_json(self) -> dict:
        return {"turns": self.turns, "barge_ins": self.barge_ins, "summary": self.summary()}


def summarize_turns(turns: list[dict], barge_ins: list[dict]) -> dict:
    """Counts and p50/p95 of V2V, of each stage and of barge-in latency (from the detected onset
    to silent output, and the part of it from the barge-in decision to silent output)."""
    barge_ins_ms = [b["latency_ms"] for b in barge_ins]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    times = os.times()
    return {
        "turns": len(turns),
        "interrupted": sum(1 for t in turns if t["interrupted"]),
        "barge_ins": len(barge_ins_ms),
        "v2v_ms": summarize(t["v2v_ms"] for t in turns),
        # from the onset of speech to the first partial words on screen (turns that had any)
        "first_words_ms": summarize(t.get("first_words_ms") for t in turns),
        "stages_ms": {name: summarize((t["stages_ms"] or {}).get(name) for t in turns)
                      for name in STAGE_NAMES},
        "barge_in_ms": {**summarize(barge_ins_ms), "values": barge_ins_ms},
        "barge_in_detect_to_silent_ms": summarize(b["detect_to_silent_ms"] for b in barge_ins),
        "playback_gaps_ms": playback_figures(turns),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "cpu_time_s": round(times.user + times.system, 2),
    }


# a seam is an underrun when the speaker waited at least this long for the next chunk (less is
# the rounding of the chunks' lengths to samples at two rates)
UNDERRUN_MS = 1.0


def playback_figures(turns: list[dict]) -> dict:
    """The silence added between the chunks of each reply (`metrics.playback_gaps_ms`), over
    every seam of every turn: p50/p95/max, and how many seams were underruns."""
    gaps = [g for t in turns for g in t.get("playback_gaps_ms") or ()]
    return {**summarize(gaps), "underruns": sum(1 for g in gaps if g >= UNDERRUN_MS)}


def input_info(path: Path) -> tuple[int, int]:
    """(sample rate, frames) of a sound file; a bad file raises UserError in one line."""
    info = audio_file_info(path)
    return info.sample_rate, info.frames


def run_replay(settings: Settings, in_path: Path, *, engines=None, sequential: bool = False,
               echo_gain: float = 0.0, echo_delay_ms: float = 0.0, speed: str = "realtime",
               clock: Clock = DEFAULT_CLOCK, on_event=None, tail_s: float = 30.0,
               render_out: bool = True, conversation_log=None) -> ReplayResult:
    """Run one replay. `engines` (an `Engines`, already started) lets a bench keep the models
    warm across runs; without it they are loaded here and closed at the end."""
    from assistant.audio.echo_sim import EchoPath
    from assistant.audio.sources import WavSource
    from assistant.audio.speaker import RecordingSpeaker
    from assistant.conversation.observers import LogWriter, TurnRecorder
    from assistant.conversation.wiring import Engines, build_conversation

    realtime = speed == "realtime"
    in_rate, in_samples = input_info(in_path)
    own_engines = engines is None
    recorder = TurnRecorder()
    if own_engines:
        engines = Engines.from_settings(settings, notify=recorder.notices.append)
        engines.start()
    speaker = RecordingSpeaker(clock=clock, realtime=realtime, keep=render_out)
    echo = None
    if echo_gain > 0:
        echo = EchoPath(gain=echo_gain, delay_ms=echo_delay_ms,
                        speaker_rate=speaker.sample_rate)
        speaker.add_tap(echo.on_played, sync=True)
    source = WavSource(in_path, clock=clock, realtime=realtime, mix=echo.mix if echo else None)
    subscribers = [recorder, on_event]
    if conversation_log is not None:
        subscribers.append(LogWriter(conversation_log, lambda message, level: None))
    lane = build_conversation(settings, engines=engines, source=source, speaker=speaker,
                              clock=clock, subscribers=tuple(subscribers), sequential=sequential,
                              pace_by_replies=not realtime)
    started = time.monotonic()
    try:
        lane.start()
        t0_ns = source.t0_ns
        speaker.align(t0_ns + speaker.block_ms * NS_PER_MS // 2)
        duration_s = in_samples / in_rate
        # fast replays wait for every reply, so they may take longer than the audio itself
        deadline = time.monotonic() + duration_s * (1 if realtime else 4) + tail_s + 60
        lane.input_finished.wait(max(deadline - time.monotonic(), 0))
        settle_until = time.monotonic() + tail_s
        while time.monotonic() < settle_until and not lane.idle():
            time.sleep(0.05)
        time.sleep(0.1)
    finally:
        lane.stop()
        if own_engines:
            engines.close()
    n_out = 0
    if render_out:
        last_end = max((t + len(s) * NS_PER_S // speaker.sample_rate
                        for t, s in speaker.played_blocks()), default=t0_ns)
        n_out = max(in_samples, int((last_end - t0_ns) * in_rate / NS_PER_S) + 1)
    # times are already on the input's timeline; `reply_text` is what was played,
    # `full_reply_text` what the LLM wrote
    return ReplayResult(turns=recorder.turns, barge_ins=recorder.barge_in_records(t0_ns),
                        t0_ns=t0_ns, in_rate=in_rate, in_samples=in_samples,
                        speaker=speaker if render_out else None, out_samples=n_out,
                        sequential=sequential, wall_s=time.monotonic() - started,
                        notices=recorder.notices, listen_lag_ms=list(recorder.lag_ms),
                        echo=lane.conversation.echo_filter.stats())


def write_outputs(result: ReplayResult, out_path: Path | None, metrics_path: Path | None):
    try:
        if out_path is not None and result.speaker is not None:
            out_path.parent.mkdir(parents=True, exist_ok=True)
            result.write_out(out_path)
        if metrics_path is not None:
            metrics_path.parent.mkdir(parents=True, exist_ok=True)
            metrics_path.write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    except (OSError, RuntimeError) as exc:  # RuntimeError: libsndfile could not write
        raise UserError(f"Could not write the replay's output ({exc}).") from None
