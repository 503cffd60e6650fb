"""The real threads with a recognizer whose final decode hangs: the conversation thread goes on
handling Stop, typed questions and barge-in, because it never waits for a decode."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from assistant.audio.sources import WavSource
from assistant.audio.speaker import RecordingSpeaker
from assistant.clock import DEFAULT_CLOCK
from assistant.config import Settings
from assistant.conversation.wiring import Engines, build_conversation
from assistant.events import BargeIn, PlaybackStarted, ReplyCutOff, SpeechEnded
from assistant.llm.history import ChatHistory
from assistant.stt.threaded import ThreadedRecognizer
from assistant.vad import Endpointer
from conftest import write16
from harness.fakes import LoudnessDetector, ScriptedLlm, ScriptedRecognizer, ToneTts, quiet, tone

pytestmark = pytest.mark.slow  # real threads in real time (about 6 s of audio)


class HangingRecognizer(ScriptedRecognizer):
    """Its final decode blocks until the test lets it go (a decoder that hung)."""

    def __init__(self, lines):
        super().__init__(lines)
        self.release = threading.Event()
        self.hanging = threading.Event()

    def checkpoint(self):
        self.hanging.set()
        self.release.wait(60)
        return super().checkpoint()

    def finish(self):
        self.hanging.set()
        self.release.wait(60)
        return super().finish()


def test_stop_typed_text_and_barge_in_work_while_a_decode_hangs(tmp_path):
    settings = Settings()
    settings.conversation.echo_cancellation = False
    settings.turn.detector = "silence"
    # 0.3 s quiet, a 0.8 s utterance whose words never come, 1.7 s quiet, then 1 s of speech
    # over the typed question's reply, then quiet
    audio = np.concatenate([quiet(300), tone(800), quiet(1700), tone(1000), quiet(2500)])
    path = write16(tmp_path / "dialog.wav", audio)
    inner = HangingRecognizer(["what time is it", "stop that"])
    engines = Engines(settings, recognizer=ThreadedRecognizer(inner),
                      endpointer=Endpointer(settings.vad, gate=None,
                                            detector=LoudnessDetector()),
                      llm=ScriptedLlm("One two three four five six seven eight nine ten."),
                      tts=ToneTts(0.25))
    engines.start()
    events, arrived = [], threading.Condition()

    def keep(event):
        with arrived:
            events.append(event)
            arrived.notify_all()

    def wait_for(test, timeout=10.0):
        with arrived:
            return arrived.wait_for(lambda: test(list(events)), timeout)

    lane = build_conversation(settings, engines=engines,
                              source=WavSource(path, clock=DEFAULT_CLOCK, realtime=True),
                              speaker=RecordingSpeaker(clock=DEFAULT_CLOCK, sample_rate=16000,
                                                       keep=False),
                              history=ChatHistory("Be brief."), subscribers=(keep,))
    lane.start()
    try:
        assert wait_for(lambda ev: any(isinstance(e, SpeechEnded) for e in ev))
        assert inner.hanging.wait(5), "the final decode never began"
        # the decode hangs: a typed question is answered anyway
        lane.conversation.submit_text("count to ten")
        assert wait_for(lambda ev: any(isinstance(e, PlaybackStarted) for e in ev))
        # and the speech over its reply cuts it off
        assert wait_for(lambda ev: any(isinstance(e, BargeIn) for e in ev)), \
            "no barge-in while the recognizer hung"
        # once that speech is over (its words never come either), a second typed question,
        # stopped by the Stop button
        assert wait_for(lambda ev: sum(isinstance(e, SpeechEnded) for e in ev) >= 2)
        lane.conversation.submit_text("count again")
        assert wait_for(lambda ev: sum(isinstance(e, PlaybackStarted) for e in ev) >= 2)
        lane.conversation.stop_reply()
        assert wait_for(lambda ev: any(isinstance(e, ReplyCutOff) and e.reason == "stop"
                                       for e in ev))
        assert engines.llm.asked == ["count to ten", "count again"]
    finally:
        inner.release.set()
        lane.stop()
        engines.close()
