"""The stage harness: the real conversation (turns, listener, endpointer, speculation,
barge-in, reply desk, responder, synthesizer, output gates, playback queue) on scripted
engines and a `ManualClock`, driven frame by frame on the test's own thread.

    stage = Stage(lines=["what time is it"])
    stage.feed(tone(800), quiet(600))      # speech, then a pause the endpointer ends
    assert stage.replies() == [...]

Each 20 ms step: the speaker plays one block, the frame goes into the conversation's inbox,
the reply workers run whatever was asked of them to the end, the inbox is drained through
`Conversation.handle`, and the clock moves on. No thread, no sleep: the same input gives the
same events, in a few milliseconds.
"""

from __future__ import annotations

import numpy as np

from assistant.clock import NS_PER_MS, ManualClock
from assistant.config import Settings
from assistant.conversation.responder import PrefillRequest, ReplyEnd, Responder
from assistant.conversation.stages import NoEchoFilter
from assistant.conversation.synthesizer import Synthesizer
from assistant.conversation.wiring import Engines, assemble
from assistant.events import (
    AudioFrame, BargeIn, ChunkPlaybackStarted, Event, PlaybackStarted, TextChunk, TurnCompleted,
)
from assistant.llm.history import ChatHistory
from assistant.vad import Endpointer
from harness.fakes import FRAME, LoudnessDetector, ScriptedLlm, ScriptedRecognizer, SteppedSpeaker, ToneTts

T0 = 10_000 * NS_PER_MS
WALL0 = 1_796_220_300.0  # the wall clock at T0 (the skills' timers): 2026-12-02 14:05 UTC


class InlineWorkers:
    """The reply workers' interface, run on the harness's thread when it pumps."""

    def __init__(self, responder: Responder, synthesizer: Synthesizer, output, report):
        self.responder, self.synthesizer, self.output = responder, synthesizer, output
        self.report = report
        self._requests: list = []

    def start(self) -> None:
        pass

    def stop(self, timeout: float = 0) -> None:
        pass

    def submit(self, request) -> None:
        self._requests.append(request)

    def prefill(self, request: PrefillRequest) -> None:
        self._requests.append(request)

    def idle(self) -> bool:
        return not self._requests

    def pump(self) -> None:
        while self._requests:
            request = self._requests.pop(0)
            if isinstance(request, PrefillRequest):
                self.responder.prefill(request)
                continue
            for event in self.responder.process(request):
                self.report(event)
                if isinstance(event, ReplyEnd):
                    self.output.play(self.synthesizer.end_marker(event.turn_id, event.generation))
                elif isinstance(event, TextChunk):
                    for audio, ready in self.synthesizer.process(event):
                        self.report(ready)
                        self.output.play(audio)


class GuardedEcho(NoEchoFilter):
    """An echo canceller's verdict, set by the test: is the speech above the echo?"""

    def __init__(self):
        self.user_is_louder = True

    def user_above_echo(self, since_ns: int) -> bool:
        return self.user_is_louder


class Stage:
    def __init__(self, lines: list[str] = ("hello there",), reply: str = "Sure. Here it is.",
                 settings: Settings | None = None, seconds_per_word: float = 0.2, llm=None,
                 turn_detector=None, skills: bool = False, recognizer=None):
        self.settings = settings or Settings()
        self.clock = ManualClock(T0)
        self.events: list[Event] = []
        self.recognizer = recognizer or ScriptedRecognizer(list(lines))
        self.llm = llm or ScriptedLlm(reply)
        self.tts = ToneTts(seconds_per_word)
        self.speaker = SteppedSpeaker(self.clock)
        self.echo = GuardedEcho()
        endpointer = Endpointer(self.settings.vad, gate=None, detector=LoudnessDetector())
        endpointer.start()
        engines = Engines(self.settings, recognizer=self.recognizer, endpointer=endpointer,
                          llm=self.llm, tts=self.tts, turn_detector=turn_detector)
        # the app's own assembly, with workers that run on this thread when it pumps
        self.conversation = assemble(
            self.settings, engines, speaker=self.speaker, history=ChatHistory("Be brief."),
            clock=self.clock, publish=self.events.append, echo_filter=self.echo,
            skills=self._skills() if skills else None, workers=InlineWorkers)
        self.workers = self.conversation.workers
        self.output = self.workers.output
        self.listener = self.conversation.listener
        self.speaker.start()
        self.conversation.set_timeline_origin(T0)
        self._t_audio = T0  # capture time of the next frame

    def _skills(self):
        """The local skills, their timers on the harness's clock; the wall clock reads
        `WALL0` at the start."""
        from assistant.skills.skills import Skills
        from assistant.skills.timers import TimerBoard

        self.board = TimerBoard(self.clock, wall=lambda: WALL0 + (self.clock.now_ns() - T0) / 1e9)
        return Skills(self.board)

    # --- driving ----------------------------------------------------------------------------

    def feed(self, *parts: np.ndarray) -> None:
        """Audio as if spoken, 20 ms at a time."""
        audio = np.concatenate(parts)
        for i in range(0, len(audio) - FRAME + 1, FRAME):
            self.step(AudioFrame(samples=audio[i:i + FRAME], t_ns=self._t_audio))

    def step(self, frame: AudioFrame | None = None) -> None:
        """One 20 ms tick: the clock moves on (a frame is there once its last sample was
        captured), the speaker plays a block, `frame` is heard and answered."""
        self.clock.advance(20 * NS_PER_MS)
        self.speaker.step(self.clock.now_ns())
        if frame is not None:
            self.conversation.inbox.put_frame(self.echo(frame))  # as the lane's reader does
            self._t_audio += 20 * NS_PER_MS
        self.settle()
        self.conversation.tick()  # as the conversation thread does between items
        self.settle()

    def settle(self) -> None:
        """Run the workers and drain the inbox until nothing is left to do."""
        while True:
            self.workers.pump()
            item = self.conversation.inbox.take_nowait()
            if item is None and self.workers.idle():
                return
            if item is not None:
                self.conversation.handle(item)

    def apply_settings(self) -> None:
        """`self.settings` as changed by the test, posted to the running loop (which keeps
        its own copy, as the app's does)."""
        self.conversation.apply_settings(self.settings)
        self.settle()

    def wait(self, ms: int) -> None:
        """Time passes with the microphone silent."""
        self.feed(np.zeros(16 * ms, np.int16))

    def type(self, text: str) -> None:
        self.conversation.submit_text(text)
        self.settle()

    def press(self) -> None:
        self.conversation.press()
        self.settle()

    def release(self) -> None:
        self.conversation.release()
        self.settle()

    def stop(self) -> None:
        self.conversation.stop_reply()
        self.settle()

    # --- what came out ------------------------------------------------------------------------

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    def completed(self) -> list[TurnCompleted]:
        return self.of(TurnCompleted)

    def first_played_ms(self, turn_id: int) -> float | None:
        starts = [e.t_ns for e in self.of(PlaybackStarted) if e.turn_id == turn_id]
        return (starts[0] - T0) / NS_PER_MS if starts else None

    def chunk_starts(self) -> list[tuple[int, int]]:
        """(turn id, ms) of every chunk that began to play."""
        return [(e.turn_id, (e.t_ns - T0) / NS_PER_MS) for e in self.of(ChunkPlaybackStarted)]

    def barge_ins(self) -> list[BargeIn]:
        return self.of(BargeIn)

    def now_ms(self) -> float:
        return (self.clock.now_ns() - T0) / NS_PER_MS
