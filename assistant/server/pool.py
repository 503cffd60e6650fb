"""The engine sets the server runs on. A set (recognizer, endpointer, LLM, TTS, end-of-turn
model: `Engines`) holds the state of one stream of speech, so each live conversation takes
one for its lifetime; a REST request borrows a free one for as long as it runs. Sets are
loaded on demand, kept warm when given back, and capped: `max_conversations` at once, plus
one more that batch requests can always get. A set costs about 300 MiB with the default
models; sets beyond the first are closed after `idle_s` unused.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

from assistant.config import Settings

log = logging.getLogger(__name__)


class PoolFull(Exception):
    """No engine set is free and no more may be loaded."""


class EnginePool:
    def __init__(self, settings: Settings, max_conversations: int = 4, make_engines=None,
                 idle_s: float = 300.0):
        self.settings = settings
        self.max_conversations = max_conversations
        self.max_sets = max_conversations + 1
        self._make = make_engines or self._load
        self._lock = threading.Condition()
        self._free: list = []
        self._busy: set[int] = set()  # ids of the sets in use
        self._sets: list = []
        self._loading = 0
        self.conversations = 0
        self._load_lock = threading.Lock()  # one set loads at a time: loading is CPU bound
        self.idle_s = idle_s
        self._idle_since: dict[int, float] = {}
        self._trimmer: threading.Timer | None = None

    def _load(self):
        from assistant.conversation.wiring import Engines

        engines = Engines.from_settings(self.settings, notify=log.info)
        engines.start()
        return engines

    def warm(self) -> None:
        """Load one set now, so the first request does not wait for it."""
        with self.borrow():
            pass

    @property
    def in_use(self) -> int:
        with self._lock:
            return len(self._busy)

    def take_for_conversation(self):
        """A set for a new conversation, or PoolFull when `max_conversations` are running."""
        with self._lock:
            if self.conversations >= self.max_conversations:
                raise PoolFull(f"{self.max_conversations} conversations are already running")
            self.conversations += 1
        try:
            return self._acquire(timeout=None)
        except BaseException:
            with self._lock:
                self.conversations -= 1
            raise

    def give_back_conversation(self, engines) -> None:
        with self._lock:
            self.conversations -= 1
        self._release(engines)

    @contextmanager
    def borrow(self, timeout: float | None = 30.0):
        engines = self._acquire(timeout)
        try:
            yield engines
        finally:
            self._release(engines)

    def _acquire(self, timeout: float | None):
        with self._lock:
            while not self._free and len(self._sets) + self._loading >= self.max_sets:
                if not self._lock.wait(timeout):
                    raise PoolFull("every engine set is busy")
            if self._free:
                engines = self._free.pop()
                self._busy.add(id(engines))
                return engines
            self._loading += 1
        try:
            with self._load_lock:
                engines = self._make()
        finally:
            with self._lock:
                self._loading -= 1
                self._lock.notify_all()
        with self._lock:
            self._sets.append(engines)
            self._busy.add(id(engines))
        return engines

    def _release(self, engines) -> None:
        with self._lock:
            self._busy.discard(id(engines))
            self._free.append(engines)
            self._idle_since[id(engines)] = time.monotonic()
            self._lock.notify_all()
            if len(self._sets) > 1 and self._trimmer is None:
                self._trimmer = threading.Timer(self.idle_s, self.trim)
                self._trimmer.daemon = True
                self._trimmer.start()

    def trim(self) -> int:
        """Close the free sets idle for `idle_s`, keeping one set; returns how many went."""
        now, closing = time.monotonic(), []
        with self._lock:
            self._trimmer = None
            for engines in list(self._free):
                if len(self._sets) - len(closing) <= 1:
                    break
                if now - self._idle_since.get(id(engines), now) >= self.idle_s:
                    closing.append(engines)
            for engines in closing:
                self._free.remove(engines)
                self._sets.remove(engines)
                self._idle_since.pop(id(engines), None)
            if len(self._sets) > 1 and self._free:
                self._trimmer = threading.Timer(self.idle_s / 4, self.trim)
                self._trimmer.daemon = True
                self._trimmer.start()
        for engines in closing:
            engines.close()
        return len(closing)

    def close(self) -> None:
        with self._lock:
            if self._trimmer is not None:
                self._trimmer.cancel()
                self._trimmer = None
            sets, self._sets, self._free = self._sets, [], []
            self._busy.clear()
        for engines in sets:
            engines.close()
