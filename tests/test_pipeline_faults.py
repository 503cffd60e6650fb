"""The loop survives a failing LLM: the turn ends with a short spoken and visible apology,
and the next turn works. Scripted engines stand in for the models; the pipeline, chunker,
reply workers and recording speaker are the real ones."""

import threading
import time

import numpy as np

from assistant.audio.speaker import RecordingSpeaker
from assistant.config import Settings
from assistant.events import Notice, TurnCompleted
from assistant.llm.history import ChatHistory
from assistant.pipeline import Pipeline
from assistant.replies import APOLOGY
from assistant.session import NullSource
from assistant.tts.chunker import Chunker


class FlakyLlm:
    """Streams a canned reply; the first call dies after three tokens."""

    def __init__(self):
        self.calls = 0

    def start(self):
        pass

    def stream_reply(self, messages, generation=0):
        self.calls += 1
        for n, token in enumerate(["Sure", ",", " the", " answer", " is", " yes", "."]):
            if self.calls == 1 and n == 3:
                raise RuntimeError("llama_decode returned -3")
            yield token

    def cancel(self):
        pass

    def close(self):
        pass


class ToneTts:
    sample_rate = 16000

    def start(self):
        pass

    def synthesize(self, text):
        yield np.full(1600 * max(1, len(text.split())), 0.1, dtype=np.float32)

    def cancel(self):
        pass

    def close(self):
        pass


class SilentListener:
    """No microphone input in this test: typed questions only."""

    endpointer = None
    on_vad = None
    deferred = False

    def start(self):
        pass

    def reset(self):
        pass

    def process(self, frame):
        return []

    def finish(self):
        return []

    def cancel(self):
        pass

    def close(self):
        pass


def test_llm_failure_ends_the_turn_with_an_apology_and_the_next_turn_works():
    events = []
    done = threading.Event()

    def on_event(event):
        events.append(event)
        if isinstance(event, TurnCompleted) and len([e for e in events
                                                     if isinstance(e, TurnCompleted)]) == 2:
            done.set()

    speaker = RecordingSpeaker(realtime=False)
    pipeline = Pipeline(Settings(), source=NullSource(), listener=SilentListener(),
                        llm=FlakyLlm(), make_chunker=Chunker, tts=ToneTts(), speaker=speaker,
                        history=ChatHistory("Be brief."), on_event=on_event)
    pipeline.start(load_models=False)
    try:
        pipeline.submit_text("first question")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(isinstance(e, TurnCompleted) for e in events):
            time.sleep(0.02)
        pipeline.submit_text("second question")
        assert done.wait(10)
    finally:
        pipeline.stop()
    first, second = [e for e in events if isinstance(e, TurnCompleted)]
    assert first.reply_text == APOLOGY and not first.interrupted  # spoken in full
    assert any(isinstance(e, Notice) and e.level == "error" for e in events)  # and shown
    assert second.reply_text == "Sure, the answer is yes."
    assert len(speaker.played_blocks()) > 0
