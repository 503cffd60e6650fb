"""Piper neural voices (the default engine; default voice: joe, US English, medium, installed
as a model by `models install-defaults`).

piper-tts 1.3+: the voice is loaded with this app's session options (`_load`: its
`<onnx>.json` beside it, one onnxruntime thread); `voice.synthesize(text)` yields one
`AudioChunk` per sentence, so a multi-sentence chunk starts playing after its first sentence. Speaking rate maps to `length_scale` (longer phonemes = slower speech).

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

# One thread for onnxruntime: the voice shares two cores with the LLM writing the next chunk,
# and there one thread gave the first audio sooner than onnxruntime's default of one per core
# (a four-word phrase on this machine with other work running, medians of two probes of 5
# and 8 runs: 160 and 216 ms on one thread, 351 and 368 ms on the default)
THREADS = 1


class PiperEngine(TtsEngine):
    name = "piper"
    # its time to the first audio grows by about 35 ms a word (one thread, this 2-core
    # machine): two words, not espeak-ng's four, keep the first chunk near 70 ms
    first_chunk_max_words = 2

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
            from piper import SynthesisConfig
        except ImportError:
            raise ModelError("The piper voice needs piper-tts, which is not installed; "
                             "reinstall the app (pip install -e .).") from None
        config_path = Path(f"{self.model_path}.json")
        if not self.model_path.is_file() or not config_path.is_file():
            raise ModelError(f"The piper voice {self.model_path} (and its .onnx.json) is missing; "
                             "download it with `voice-assistant models download piper-joe-medium`.")
        try:
            voice = _load(self.model_path, config_path)
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


def _load(model_path: Path, config_path: Path):
    """`PiperVoice.load`, with the session options this app wants (threads, quiet logs)."""
    import json

    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    from assistant.offline import disable_onnxruntime_telemetry

    disable_onnxruntime_telemetry()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(model_path), sess_options=options,
                                           providers=["CPUExecutionProvider"])
    config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
    return PiperVoice(session=session, config=config)
