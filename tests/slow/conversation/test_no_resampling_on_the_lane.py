"""Where the audio is resampled, on the real threads: a voice at 22 050 Hz played by a 48 kHz
speaker with the echo canceller on. The conversation thread resamples nothing (the output does
it on the synthesizer's thread, the echo canceller's reference on the reader's), and the
audio callback's stand-in, the recording speaker's thread, resamples nothing either."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from assistant.audio.sources import WavSource
from assistant.audio.speaker import RecordingSpeaker
from assistant.clock import DEFAULT_CLOCK
from assistant.config import Settings
from assistant.conversation.wiring import Engines, build_conversation
from assistant.events import PlaybackStarted, TurnCompleted
from assistant.llm.history import ChatHistory
from assistant.vad import Endpointer
from conftest import write16
from harness.fakes import LoudnessDetector, ScriptedLlm, ScriptedRecognizer, ToneTts, quiet, tone
from helpers.resampling import ResampleCalls

pytestmark = pytest.mark.slow  # real threads in real time (about 4 s of audio)


class VoiceAt22k(ToneTts):
    sample_rate = 22050

    def synthesize(self, text: str):
        for _word in text.split():
            yield np.full(int(self.sample_rate * 0.15), 0.2, np.float32)


def test_the_conversation_thread_resamples_nothing(tmp_path, monkeypatch):
    calls = ResampleCalls(monkeypatch)
    settings = Settings()
    settings.conversation.echo_cancellation = True
    settings.turn.detector = "silence"
    path = write16(tmp_path / "dialog.wav", np.concatenate([quiet(300), tone(800), quiet(3500)]))
    engines = Engines(settings, recognizer=ScriptedRecognizer(["what time is it"]),
                      endpointer=Endpointer(settings.vad, gate=None,
                                            detector=LoudnessDetector()),
                      llm=ScriptedLlm("It is ten past two in the afternoon."),
                      tts=VoiceAt22k())
    engines.start()
    events, arrived = [], threading.Condition()

    def keep(event):
        with arrived:
            events.append(event)
            arrived.notify_all()

    lane = build_conversation(settings, engines=engines,
                              source=WavSource(path, clock=DEFAULT_CLOCK, realtime=True),
                              speaker=RecordingSpeaker(clock=DEFAULT_CLOCK, sample_rate=48000,
                                                       keep=False),
                              history=ChatHistory("Be brief."), subscribers=(keep,))
    lane.start()
    try:
        with arrived:
            played = arrived.wait_for(
                lambda: any(isinstance(e, TurnCompleted) for e in events), timeout=15)
        assert lane.input_finished.wait(10)
    finally:
        lane.stop()
        engines.close()
    assert played and any(isinstance(e, PlaybackStarted) for e in events)
    threads = {thread for _kind, thread in calls.calls}
    assert "synth" in threads  # the voice was resampled to the speaker's rate...
    assert "reader" in threads  # ...and the played audio to the microphone's, for the echo
    assert "conversation" not in threads, calls.calls
    assert not any(t.startswith("recording") or t.startswith("speaker") for t in threads), \
        calls.calls
