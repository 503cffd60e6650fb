"""One control lane: Stop, typed questions and press/release hammered from another thread while
a replay with barge-ins runs on the real threads (reader, conversation, responder, synth,
speaker, observers), with scripted engines on a clock that runs three times faster than real
time. The turns must stay consistent: one reply at a time, turn ids unique and increasing,
every turn that was heard finished exactly once, no audio of a reply after its Stop.

(The same hammering on the loop as it was, where those calls changed the turns on the
calling thread, broke "no audio after a Stop" in every one of four runs.)
"""

from __future__ import annotations

import random
import threading
import time

import numpy as np
import pytest

from assistant.audio.sources import WavSource
from assistant.audio.speaker import RecordingSpeaker
from assistant.config import Settings
from assistant.conversation.wiring import Engines, build_conversation
from assistant.events import (
    ChunkPlaybackStarted, PlaybackStarted, SpeechStarted, StatusChanged, TurnCompleted,
)
from assistant.llm.history import ChatHistory
from assistant.stt.threaded import ThreadedRecognizer
from assistant.vad import Endpointer
from conftest import write16
from harness.fakes import LoudnessDetector, ScriptedLlm, ScriptedRecognizer, ToneTts

SPEED = 3.0

pytestmark = pytest.mark.slow  # replays in real time (sped up three times)


class ScaledClock:
    """Monotonic time running `speed` times faster than real time (sleeps are shorter)."""

    def __init__(self, speed: float):
        self.speed = speed
        self._origin = time.perf_counter_ns()

    def now_ns(self) -> int:
        return self._origin + int((time.perf_counter_ns() - self._origin) * self.speed)

    def sleep_until(self, t_ns: int) -> None:
        delay = (t_ns - self.now_ns()) / self.speed
        if delay > 0:
            time.sleep(delay / 1e9)


class SlowLlm(ScriptedLlm):
    """Tokens a few milliseconds apart, as a real model writes them."""

    def stream_reply(self, messages, generation=0):
        stream = super().stream_reply(messages, generation)
        tokens = iter(stream)

        class Paced:
            def __iter__(inner):
                for token in tokens:
                    time.sleep(0.003)
                    yield token

            n_tokens = property(lambda inner: stream.n_tokens)
            finish_reason = property(lambda inner: stream.finish_reason)

        return Paced()


def dialog(seconds: float, seed: int) -> np.ndarray:
    """Bursts of loud tone with pauses of every length: some end a turn, some land in the
    middle of a reply (barge-ins), some are the same sentence going on."""
    rng = np.random.default_rng(seed)
    parts, total = [np.zeros(8000, np.int16)], 0.5
    while total < seconds:
        speech, pause = rng.uniform(0.4, 1.2), rng.choice([0.25, 0.5, 0.9, 1.6, 2.5])
        t = np.arange(int(speech * 16000)) / 16000
        parts += [(3000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16),
                  np.zeros(int(pause * 16000), np.int16)]
        total += speech + pause
    return np.concatenate(parts)


def hammer(conversation, stop: threading.Event, seed: int) -> int:
    chance = random.Random(seed)
    calls = 0
    while not stop.is_set():
        roll = chance.random()
        if roll < 0.3:
            conversation.stop_reply()
        elif roll < 0.6:
            conversation.submit_text(f"typed {calls}")
        elif roll < 0.8:
            conversation.press()
            time.sleep(0.002)
            conversation.release()
        calls += 1
        time.sleep(chance.uniform(0.005, 0.03))
    return calls


def problems_in(events) -> list[str]:
    found = []
    done = [e.turn_id for e in events if isinstance(e, TurnCompleted)]
    if len(done) != len(set(done)):
        found.append(f"finished twice: {sorted({t for t in done if done.count(t) > 1})}")
    played = {e.turn_id for e in events if isinstance(e, PlaybackStarted)}
    if played - set(done):
        found.append(f"played but never finished: {sorted(played - set(done))}")
    new_ids = [e.turn_id for e in events if isinstance(e, SpeechStarted)
               or (isinstance(e, StatusChanged) and e.state == "thinking")]
    firsts = list(dict.fromkeys(new_ids))
    if firsts != sorted(firsts) or len(set(firsts)) != len(firsts):
        found.append("turn ids out of order")
    seen, last, stopped = set(), None, {}
    for e in events:
        if isinstance(e, StatusChanged) and e.state == "interrupted":
            stopped.setdefault(e.turn_id, e.t_ns)
        if isinstance(e, ChunkPlaybackStarted):
            if e.turn_id != last and e.turn_id in seen:
                found.append(f"turn {e.turn_id} played again after turn {last}")
            if e.turn_id in stopped and e.t_ns > stopped[e.turn_id]:
                found.append(f"audio of turn {e.turn_id} after it was stopped")
            seen.add(e.turn_id)
            last = e.turn_id
    return found


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_controls_from_another_thread_never_break_the_turns(tmp_path, seed):
    settings = Settings()
    settings.conversation.echo_cancellation = False
    clock = ScaledClock(SPEED)
    path = write16(tmp_path / "dialog.wav", dialog(24, seed))
    engines = Engines(settings, recognizer=ThreadedRecognizer(ScriptedRecognizer(
        [f"question {n}" for n in range(200)])),
        endpointer=Endpointer(settings.vad, gate=None, detector=LoudnessDetector()),
        llm=SlowLlm("Here is an answer. And a second sentence follows."), tts=ToneTts(0.15))
    engines.start()
    events, arrived = [], threading.Condition()

    def keep(event):
        with arrived:
            events.append(event)
            arrived.notify_all()

    lane = build_conversation(settings, engines=engines,
                              source=WavSource(path, clock=clock, realtime=True),
                              speaker=RecordingSpeaker(clock=clock, sample_rate=16000, keep=False),
                              history=ChatHistory("Be brief."), clock=clock, subscribers=(keep,))
    stop = threading.Event()
    counted = []
    lane.start()
    worker = threading.Thread(target=lambda: counted.append(hammer(lane.conversation, stop, seed)))
    worker.start()
    try:
        assert lane.input_finished.wait(60)
    finally:
        stop.set()
        worker.join()
        with arrived:  # the last replies play to their end (asked again as each event comes)
            settled = arrived.wait_for(lane.idle, timeout=30)
        lane.stop()
        engines.close()
    assert settled, "the conversation was still busy 30 s after the input and the controls"
    assert counted[0] > 200  # hundreds of calls while it ran
    assert sum(isinstance(e, TurnCompleted) for e in events) > 50
    assert problems_in(events) == []

