"""The threads around a `Conversation`: a reader that takes frames from the source, and the
conversation thread that works through the inbox. Plus the reply workers and the observers.

    reader thread:        source.read() -> echo canceller -> inbox (frames; held back when
                          they pile up)
    conversation thread:  inbox -> Conversation.handle (controls, reports, frames)
    responder, synth:     reply requests -> LLM -> chunks -> audio -> output (see workers.py)
    speaker reporter:     what played -> inbox (reports)
    observers thread:     published events -> the window, metrics, the conversation log

Start order is output first, then processing, then input; stop order is the reverse.
"""

from __future__ import annotations

import logging
import threading

from assistant.conversation.conversation import Conversation
from assistant.conversation.inbox import EndOfInput, InputFailed
from assistant.conversation.observers import Observers
from assistant.conversation.stages import AudioSource
from assistant.errors import UserError
from assistant.events import StatusChanged

log = logging.getLogger(__name__)


class Lane:
    def __init__(self, conversation: Conversation, source: AudioSource, observers: Observers,
                 pace_by_replies: bool = False):
        self.conversation = conversation
        self.source = source
        self.observers = observers
        # fast replays: no frame is taken while a reply is on its way, so that utterances
        # become turns one after another instead of interrupting each other
        self.pace_by_replies = pace_by_replies
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def input_finished(self) -> threading.Event:
        return self.conversation.input_finished

    def start(self) -> None:
        c = self.conversation
        self.observers.start()
        c.speaker.start()
        c.workers.start()
        self.source.start()
        c.set_timeline_origin(self.source.t0_ns or c.clock.now_ns())
        for name, target in (("conversation", self._run), ("reader", self._read)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        c.publish(StatusChanged(t_ns=c.clock.now_ns(), state="listening"))
        if c.rings is not None:
            c.rings.announce()  # the timers still set (a restart, new models)

    def stop(self, timeout: float = 3.0) -> None:
        """Input first, then processing, then output; the observers see every event."""
        c = self.conversation
        self._stop.set()
        self.source.close()
        c.inbox.close()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        c.floor.bump()
        c.speaker.generation = c.floor.generation
        c.replies.llm.cancel()
        c.workers.stop(timeout)
        c.listener.cancel()
        c.speaker.close()
        self.observers.stop(timeout)

    def idle(self) -> bool:
        return self.conversation.idle()

    def _run(self) -> None:
        c = self.conversation
        while not self._stop.is_set():
            frames = not (self.pace_by_replies and c.holding_frames)
            item = c.inbox.get(timeout=0.05, frames=frames)
            if item is not None:
                c.handle(item)
            c.tick()  # overdue words are given up on, due timers ring when the floor is free

    def _read(self) -> None:
        inbox = self.conversation.inbox
        while not self._stop.is_set():
            try:
                frame = self.source.read(timeout=0.05)
            except UserError as exc:  # a replayed file that turns out damaged part-way
                inbox.put_frame(InputFailed(str(exc)))
                return
            except Exception:
                log.exception("reading the audio source failed")
                inbox.put_frame(InputFailed("The audio input failed; see the log."))
                return
            if frame is not None:
                # the echo canceller runs here, where the frame arrives: its reference's
                # resampling and AEC3 stay off the conversation thread
                if not inbox.put_frame(self.conversation.echo_filter(frame)):
                    return
            elif self.source.finished:
                if not self._stop.is_set():
                    inbox.put_frame(EndOfInput())
                return
