"""The reply side's two threads: the responder (LLM -> chunks) and the synthesizer (chunks ->
audio -> output), so the next chunk is being written while this one is spoken.

They change no turn: everything they produce is reported to the conversation thread
(`report`), which records it and tells the world. Work is dropped as soon as its generation is
no longer current (checked between tokens, chunks and audio pieces).
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from assistant.conversation.responder import PrefillRequest, ReplyEnd, ReplyRequest, Responder
from assistant.conversation.synthesizer import Synthesizer
from assistant.events import Event, Notice, TextChunk

log = logging.getLogger(__name__)


class ReplyWorkers:
    def __init__(self, responder: Responder, synthesizer: Synthesizer, output,
                 report: Callable[[Event], None] = lambda event: None):
        self.responder = responder
        self.synthesizer = synthesizer
        self.output = output  # HeldOutput or WholeReplyOutput
        self.report = report  # the conversation connects its inbox here
        self._requests: queue.Queue = queue.Queue()
        self._chunks: queue.Queue = queue.Queue()
        self._busy = threading.Event()  # set while a request is being answered
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for name, target in (("responder", self._respond_loop), ("synth", self._synth_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 2.0) -> None:
        self._requests.put(None)
        self._chunks.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def submit(self, request: ReplyRequest) -> None:
        if request.fixed_text is not None:
            self._fixed(request)
            return
        self._busy.set()
        self._requests.put(request)

    def _fixed(self, request: ReplyRequest) -> None:
        """A skill's reply needs no LLM: cut and queued for the voice here, at once, even
        while the responder is busy (a prefill, the end of a reply being cancelled)."""
        for event in self.responder.process(request):
            self.report(event)
            if isinstance(event, (TextChunk, ReplyEnd)):
                self._chunks.put(event)

    def prefill(self, request: PrefillRequest) -> None:
        """Queued like a reply; skipped when a reply is waiting behind it."""
        self._requests.put(request)

    def idle(self) -> bool:
        return not self._busy.is_set() and self._requests.empty() and self._chunks.empty()

    # --- responder thread -----------------------------------------------------------------

    def _respond_loop(self) -> None:
        while True:
            request = self._requests.get()
            if request is None:
                return
            if isinstance(request, PrefillRequest):
                if self._requests.empty():  # something newer matters more
                    self.responder.prefill(request)
                continue
            try:
                for event in self.responder.process(request):
                    self.report(event)  # first: the chunk is on record before its audio
                    if isinstance(event, (TextChunk, ReplyEnd)):
                        self._chunks.put(event)
            except Exception:  # reporting failed: keep the thread for the next reply
                log.exception("the responder failed")
            finally:
                if self._requests.empty():
                    self._busy.clear()

    # --- synthesizer thread ---------------------------------------------------------------

    def _synth_loop(self) -> None:
        while True:
            item = self._chunks.get()
            if item is None:
                return
            if not self.responder.is_current(item.generation):
                continue
            if isinstance(item, ReplyEnd):
                self.output.play(self.synthesizer.end_marker(item.turn_id, item.generation))
                continue
            try:
                for audio, ready in self.synthesizer.process(item):
                    self.report(ready)
                    self.output.play(audio)
            except Exception:
                log.exception("speech synthesis failed for %r", item.text[:80])
                self.report(Notice(turn_id=item.turn_id, generation=item.generation,
                                   t_ns=self.synthesizer.clock.now_ns(), level="error",
                                   message="The voice could not speak part of the reply."))
