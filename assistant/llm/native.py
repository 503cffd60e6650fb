"""Living with llama.cpp's native side: its log output and its threads.

llama.cpp writes its logs from C to file descriptor 2, past Python's sys.stderr:
`assistant.native_output.captured_stderr` catches them.

Its CPU backend computes with an OpenMP team that belongs to the thread calling it. libgomp
keeps one pool of worker threads per calling thread; once more pool threads exist than CPUs
(the model loaded on one thread, replies generated on another, a new responder thread per
pipeline), every worker stops spinning between steps and sleeps instead, and each token takes
about twice as long (README, "How it stays fast"). `LlamaThread` runs every call of one model
on one long-lived thread, so a single team serves all of them.

That thread and the OpenMP workers it starts run at a lower priority (nice 5): llama.cpp's
workers spin between steps and would otherwise keep the listener waiting for a core, and
the listener is what notices a barge-in. Audio work is small; it goes first.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import Callable


LLAMA_NICENESS = 5


def lower_this_threads_priority(niceness: int = LLAMA_NICENESS) -> None:
    """Linux keeps a nice value per thread, and threads started later inherit it."""
    if not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except OSError:
        pass


class LlamaThread:
    """One daemon thread that runs the jobs given to it, in order, at a lower priority."""

    def __init__(self, name: str = "llama"):
        self.name = name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def call(self, fn: Callable, *args, **kwargs):
        """Run `fn` on the thread and return its result (or raise its exception)."""
        if threading.current_thread() is self._thread:
            return fn(*args, **kwargs)
        done = threading.Event()
        box: dict = {}

        def job():
            try:
                box["value"] = fn(*args, **kwargs)
            except BaseException as exc:  # handed to the caller
                box["error"] = exc
            finally:
                done.set()

        self.submit(job)
        done.wait()
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def submit(self, job: Callable[[], None]) -> None:
        """Queue `job` (it must not raise) without waiting for it."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._thread.start()
        self._jobs.put(job)

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            if thread is not threading.current_thread():
                thread.join(timeout)

    def _work(self) -> None:
        lower_this_threads_priority()
        while True:
            job = self._jobs.get()
            if job is None:
                return
            job()
