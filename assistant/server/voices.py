"""The voices `POST /v1/speak` may ask for beside the default one: loaded on first use, a few
kept warm."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict

KEEP = 3


class Voices:
    def __init__(self, settings):
        self.settings = settings
        self._engines: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, voice: str | None, default):
        """The engine for `voice` (None or the configured voice: `default`). ModelError, a
        UserError, for a voice that is not installed."""
        if not voice or voice == self.settings.tts.voice:
            return default
        from assistant.tts.factory import make_tts

        with self._lock:
            if voice in self._engines:
                self._engines.move_to_end(voice)
                return self._engines[voice]
            settings = copy.deepcopy(self.settings.tts)
            settings.voice = voice
            engine = make_tts(settings)
            engine.start()
            self._engines[voice] = engine
            while len(self._engines) > KEEP:
                _, old = self._engines.popitem(last=False)
                old.close()
            return engine

    def close(self) -> None:
        with self._lock:
            engines, self._engines = list(self._engines.values()), OrderedDict()
        for engine in engines:
            engine.close()
