"""The default voice: Piper's joe, unless this computer is too slow for it (then espeak-ng).

Only the default is second-guessed: a voice the person named is used as named. Whether the
machine is fast enough is timed once, the first time the voice starts here (`voice_speed`),
and kept; a verdict of "too slow" is said in one line, with how to use the voice anyway.
A voice that fails to load is treated the same way: espeak-ng speaks, and the line says why.

Joe reads English only: text written mostly in another script (Korean, Russian, ...) is
spoken by espeak-ng, which has a voice for it (`espeak.dominant_script`), started the first
time it is needed.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Iterator

import numpy as np

from assistant.clock import DEFAULT_CLOCK, Clock
from assistant.errors import ModelError
from assistant.tts.base import TtsEngine, WrappingTts
from assistant.tts.espeak import dominant_script
from assistant.tts.voice_speed import VoiceSpeedCache, facts, measure

log = logging.getLogger(__name__)

ANYWAY = ("to use it anyway, set the voice to piper-joe-medium "
          "(Settings > Voice, or tts.voice in the settings file)")


class PreferredVoice(WrappingTts):
    """Starts `preferred` (a Piper engine) and keeps it if it is fast enough here; otherwise
    starts `make_fallback()` and says so through `notify`. Everything else is the chosen
    engine's."""

    def __init__(self, preferred, make_fallback: Callable[[], TtsEngine],
                 notify: Callable[[str], None], cache: VoiceSpeedCache | None = None,
                 clock: Clock = DEFAULT_CLOCK):
        super().__init__(preferred.voice, preferred.rate)
        self.preferred = preferred
        self.make_fallback = make_fallback
        self.notify = notify
        self.cache = cache if cache is not None else VoiceSpeedCache()
        self.clock = clock
        self.engine: TtsEngine = preferred  # the one in use (the fallback once started)
        self.speed = None  # the preferred voice's VoiceSpeed, once known
        self._reader: TtsEngine | None = None  # espeak-ng, for text in other scripts
        self._reader_lock = threading.Lock()

    def start(self) -> None:
        if self.engine is not self.preferred:
            return  # started already, on the fallback
        try:
            self.preferred.start()
        except ModelError as exc:
            self._fall_back(f"The Piper voice could not start ({str(exc).rstrip('.')}), so "
                            "the espeak-ng voice speaks.")
            return
        self.speed = self._speed()
        if not self.speed.fast_enough:
            self.preferred.close()
            self._fall_back(f"The Piper voice is too slow on this computer "
                            f"({self.speed.describe()}), so the espeak-ng voice speaks; "
                            f"{ANYWAY}.")
            return
        self.voice, self.rate = self.engine.voice, self.engine.rate

    def _speed(self):
        """Measured the first time on this machine, then read from the cache."""
        known = facts(self.preferred.model_path)
        speed = self.cache.get(known)
        if speed is None:
            speed = measure(self.preferred, self.clock)
            log.info("timed the Piper voice: %s", speed.describe())
            self.cache.put(speed, known)
        return speed

    def _fall_back(self, message: str) -> None:
        fallback = self.make_fallback()
        fallback.start()
        self.engine = fallback
        self.voice, self.rate = fallback.voice, fallback.rate
        self.notify(message)

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        if self.engine is self.preferred and dominant_script(text) is not None:
            reader = self._other_scripts()
            if reader.sample_rate == self.engine.sample_rate:  # the chunk says one rate
                return reader.synthesize(text)
        return self.engine.synthesize(text)

    def _other_scripts(self) -> TtsEngine:
        with self._reader_lock:
            if self._reader is None:
                reader = self.make_fallback()
                reader.start()
                self._reader = reader
            return self._reader

    def render_piece(self, text: str) -> Iterator[np.ndarray]:
        return self.engine.render_piece(text)

    def cancel(self) -> None:
        self.engine.cancel()
        if self._reader is not None:
            self._reader.cancel()

    def close(self) -> None:
        self.engine.close()
        if self._reader is not None:
            self._reader.close()

    def voices(self) -> list[str]:
        return self.engine.voices()
