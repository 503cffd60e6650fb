"""Speech recognition on a thread of its own.

The listener thread runs the endpointer on every frame; if it also waited for the recognizer,
a slow decoding step (Vosk decodes in batches, and the first batch of a turn is the whole
pre-roll) would delay every endpointing and barge-in decision behind it. Wrapped in a
`ThreadedRecognizer`, `accept` only queues the samples and returns the newest partial the
worker has produced; `finish_async` and `checkpoint_async` queue the final decode and hand its
result to a callback on this thread (the conversation thread never waits for it); `finish`
waits for it (for callers that may wait: `transcribe`, evaluations).
"""

from __future__ import annotations

import queue
import threading

import numpy as np

from assistant.stt.base import Partial, Recognizer, Transcript


class _Pending:
    def __init__(self):
        self.done = threading.Event()
        self.result: Transcript | None = None
        self.error: BaseException | None = None


class ThreadedRecognizer(Recognizer):
    def __init__(self, inner: Recognizer):
        super().__init__(inner.model_path, inner.language)
        self.inner = inner
        self.engine = inner.engine
        self.streaming = inner.streaming
        self.supports_checkpoint = inner.supports_checkpoint
        self.live_partials = inner.live_partials
        self.sample_rate = inner.sample_rate
        self._jobs: queue.Queue = queue.Queue()
        self._partial: Partial | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._finals_queued = 0  # checkpoints and finals asked for and not yet begun
        self._load = inner.load  # what the inner recognizer sees waiting for it

    def start(self) -> None:
        self.inner.start()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="stt", daemon=True)
            self._thread.start()

    def transcribe_once(self, samples: np.ndarray, words: bool = False) -> Transcript:
        """On the caller's thread: only for a recognizer no stream is using (a REST request
        has its engine set to itself)."""
        return self.inner.transcribe_once(samples, words=words)

    def begin(self) -> None:
        super().begin()
        with self._lock:
            self._partial = None
        self._jobs.put(("begin", None))

    def accept(self, samples: np.ndarray) -> Partial | None:
        self._jobs.put(("audio", np.array(samples, dtype=np.int16, copy=True)))
        self._load.frames = self._jobs.qsize()
        with self._lock:
            partial, self._partial = self._partial, None
        return partial

    def finish(self) -> Transcript:
        return self._wait_for("finish")

    def user_speaking(self, speaking: bool) -> None:
        self.inner.user_speaking(speaking)  # at once: the worker may be behind the audio

    def checkpoint(self) -> Transcript:
        return self._wait_for("checkpoint")

    def finish_async(self, done) -> None:
        """Queue the final decode; `done(Transcript | None)` is called on the recognizer's
        thread (None when it failed). `done` must only hand the result over, never block."""
        self._put_final("finish_async", done)

    def checkpoint_async(self, done) -> None:
        """Queue a checkpoint; `done(Transcript | None)` is called on the recognizer's thread
        (None when it failed). `done` must only hand the result over, never block."""
        self._put_final("checkpoint_async", done)

    def _put_final(self, kind: str, payload) -> None:
        with self._lock:
            self._finals_queued += 1
            self._load.finals = self._finals_queued
        self._jobs.put((kind, payload))

    def _wait_for(self, kind: str) -> Transcript:
        pending = _Pending()
        self._put_final(kind, pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.result

    def cancel(self) -> None:
        super().cancel()
        self.inner.cancel()

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(("stop", None))
            self._thread.join(5)
            self._thread = None
        self.inner.close()

    def _work(self) -> None:
        while True:
            kind, payload = self._jobs.get()
            self._load.frames = self._jobs.qsize()
            if kind == "stop":
                return
            if kind in ("finish", "checkpoint", "checkpoint_async", "finish_async"):
                with self._lock:
                    self._finals_queued -= 1
                    self._load.finals = self._finals_queued
                    self._partial = None  # older than the words this will give
            try:
                if kind == "begin":
                    self.inner.begin()
                elif kind == "audio":
                    if not self.inner.cancelled:
                        partial = self.inner.accept(payload)
                        if partial is not None:
                            with self._lock:
                                self._partial = partial
                elif kind == "finish":
                    payload.result = self.inner.finish()
                elif kind == "checkpoint":
                    payload.result = self.inner.checkpoint()
                elif kind == "checkpoint_async":
                    try:
                        result = None if self.inner.cancelled else self.inner.checkpoint()
                    except Exception:
                        result = None
                    payload(result)
                elif kind == "finish_async":
                    self.inner.finish_async(payload)
            except BaseException as exc:  # handed to the waiting caller
                if isinstance(payload, _Pending):
                    payload.error = exc
            finally:
                if isinstance(payload, _Pending):
                    payload.done.set()
