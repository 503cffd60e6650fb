"""One live conversation for one WebSocket client: the client's audio as the microphone
(`StreamSource`), a speaker without a device whose played blocks go back to the client, and
the same conversation loop as the app (`build_conversation`) on an engine set of its own.

Everything the client should know leaves through `send(item)`: a dict (a JSON event) or bytes
(reply audio, int16 little-endian at `sample_rate`). It is called from the loop's threads
and must only hand the item over (the WebSocket side queues it for its event loop).
"""

from __future__ import annotations

import copy
import time
from typing import Callable

import numpy as np

from assistant.audio.speaker import RecordingSpeaker
from assistant.clock import DEFAULT_CLOCK
from assistant.config import Settings
from assistant.server.event_json import ConversationJson
from assistant.server.stream_source import StreamSource

BLOCK_MS = 20


class LiveConversation:
    def __init__(self, settings: Settings, engines, send: Callable[[object], None],
                 clock=DEFAULT_CLOCK):
        from assistant.conversation.wiring import build_conversation

        self.settings = copy.deepcopy(settings)
        self.send = send
        self.clock = clock
        self.sample_rate = int(engines.tts.sample_rate)
        self.source = StreamSource(clock, frame_ms=self.settings.audio.frame_ms)
        # played in real time and not kept: each block goes to the client as it "plays", so a
        # barge-in stops the audio at once and the turn records what the client was sent
        self.speaker = RecordingSpeaker(clock, block_ms=BLOCK_MS, sample_rate=self.sample_rate,
                                        realtime=True, keep=False)
        self.speaker.add_tap(self._played, sync=True)
        self._json = ConversationJson(clock.now_ns())  # what may be shown, as messages
        # the client's side cancels its own echo (a browser does); the server has no idea
        # when the client's speaker really played each block
        self.lane = build_conversation(self.settings, engines=engines, source=self.source,
                                       speaker=self.speaker, clock=clock,
                                       subscribers=(self._event,), echo_cancellation=False)
        self.started = False

    def start(self) -> None:
        self.source.start()
        self._json.t0_ns = self.clock.now_ns()
        self.lane.start()
        self.started = True

    # --- the client's messages ------------------------------------------------------------

    def audio(self, data: bytes) -> None:
        self.source.feed(data)

    def text(self, text: str) -> None:
        self.lane.conversation.submit_text(text)

    def interrupt(self) -> None:
        self.lane.conversation.stop_reply()

    def end(self) -> None:
        self.source.end()

    def done(self) -> bool:
        """After `end()`: the input is used up and everything it asked for was said."""
        return self.lane.input_finished.is_set() and self.lane.idle()

    def flush(self) -> None:
        """Every event published so far has been sent (on its way to the client)."""
        self.lane.observers.flush()

    # --- what goes back -------------------------------------------------------------------

    def _played(self, samples: np.ndarray, t_ns: int) -> None:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        self.send(pcm)

    def _event(self, event) -> None:
        for message in self._json.feed(event):
            self.send(message)

    def close(self, timeout: float = 1.0) -> float:
        """Stop every thread of the conversation; returns the seconds it took."""
        started = time.monotonic()
        self.source.close()
        if self.started:
            self.lane.stop(timeout)
        else:
            self.speaker.close()
        return time.monotonic() - started
