"""Shared helpers for the responding tests: finding the real default models, a scripted TTS.

The real models are found the way the app finds them (ModelManager); the installed set-up
(`make test`) provides them. For work on a machine without the model store,
VOICE_ASSISTANT_TEST_GGUF may point at a .gguf file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from assistant.config import LlmSettings
from assistant.tts.base import TtsEngine

TEN_WORDS = "The quick brown fox jumps over the lazy sleeping dog today."


def find_default_gguf() -> Path:
    """The default LLM's .gguf, or skip the test saying how to install it."""
    override = os.environ.get("VOICE_ASSISTANT_TEST_GGUF")
    if override:
        return Path(override)
    model_id = LlmSettings().model
    try:
        from assistant.llm import resolve_llm_model

        return resolve_llm_model(model_id)
    except Exception as exc:  # ModelError, or no model manager in this build
        pytest.skip(f"default LLM {model_id} not installed ({exc}); run `make test`, which "
                    "installs it, or set VOICE_ASSISTANT_TEST_GGUF")


def find_piper_voice() -> Path:
    try:
        import piper  # noqa: F401

        from assistant.tts.factory import resolve_piper_voice

        return resolve_piper_voice("")
    except Exception as exc:
        pytest.skip(f"piper or its joe voice is not installed ({exc}); run "
                    "`voice-assistant models install-defaults`")


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0


class ScriptedTts(TtsEngine):
    """A TTS that makes a tone whose length is 0.1 s per word; counts its calls."""

    name = "scripted"

    def __init__(self, sample_rate: int = 16000, pieces: int = 1, voice: str = "v", rate: int = 175):
        super().__init__(voice, rate)
        self.sample_rate = sample_rate
        self.pieces = pieces
        self.calls: list[str] = []

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        self.calls.append(text)
        yield from super().synthesize(text)

    def render_piece(self, text: str) -> Iterator[np.ndarray]:
        n = int(0.1 * self.sample_rate * max(1, len(text.split())))
        tone = (0.3 * np.sin(np.arange(n) * 2 * np.pi * 220 / self.sample_rate)).astype(np.float32)
        yield from np.array_split(tone, self.pieces)
