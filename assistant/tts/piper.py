"""Piper neural voices (the optional `piper` extra; default voice: joe, US English, medium).

piper-tts 1.x: `PiperVoice.load(onnx)` reads `<onnx>.json` next to it; `voice.synthesize(text)`
yields one `AudioChunk` per sentence, so a multi-sentence chunk starts playing after its first
sentence. Speaking rate maps to `length_scale` (longer phonemes = slower speech).

Odd text: sanitized first (a NUL makes piper refuse the text, a lone surrogate cannot be
encoded), and cut with `split_for_synthesis` so that text with no sentence ends (5,000
characters of it) is not one enormous inference. A voice speaks its own language only: text
in another script comes out as that voice's reading of it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

import numpy as np

from assistant.errors import ModelError, first_line
from assistant.tts.base import TtsEngine

log = logging.getLogger(__name__)

NATURAL_RATE = 175  # words per minute that length_scale 1.0 stands for in our settings


class PiperEngine(TtsEngine):
    name = "piper"

    def __init__(self, model_path: str | Path, rate: int = NATURAL_RATE, volume: float = 0.8):
        super().__init__(voice=Path(model_path).stem, rate=rate)
        self.model_path = Path(model_path)
        self.volume = volume
        self._voice = None
        self._syn_config = None

    def start(self) -> None:
        if self._voice is not None:
            return
        try:
            from piper import PiperVoice, SynthesisConfig
        except ImportError:
            raise ModelError("The piper voice needs the piper extra: "
                             "pip install 'voice-assistant[piper]'.") from None
        config_path = Path(f"{self.model_path}.json")
        if not self.model_path.is_file() or not config_path.is_file():
            raise ModelError(f"The piper voice {self.model_path} (and its .onnx.json) is missing; "
                             "download it with `voice-assistant models download piper-joe-medium`.")
        try:
            voice = PiperVoice.load(self.model_path, config_path=config_path)
        except Exception as exc:
            raise ModelError(f"The piper voice {self.model_path.name} could not be loaded "
                             f"({first_line(exc)[:160]}); download it again.") from None
        base_scale = voice.config.length_scale or 1.0
        self._syn_config = SynthesisConfig(
            length_scale=base_scale * NATURAL_RATE / max(self.rate, 1), volume=self.volume)
        self.sample_rate = voice.config.sample_rate
        self._voice = voice
        for _ in self.synthesize("Ready."):  # warm-up: onnxruntime's first run is slow
            pass

    def render_piece(self, text: str) -> Iterator[np.ndarray]:
        if self._voice is None:
            raise RuntimeError("PiperEngine.start() was not called")
        for chunk in self._voice.synthesize(text, syn_config=self._syn_config):
            yield np.asarray(chunk.audio_float_array, dtype=np.float32)

    def voices(self) -> list[str]:
        return [self.voice]

    def close(self) -> None:
        self._voice = None
