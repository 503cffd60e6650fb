"""What the slow Whisper tests share: one final-only recognizer per module."""

from __future__ import annotations

import pytest

from assistant.stt.whisper import WhisperRecognizer


@pytest.fixture(scope="module")
def recognizer(whisper_model):
    """Final-only (no live partials; tests/unit/stt/test_whisper_live.py covers those)."""
    recognizer = WhisperRecognizer(whisper_model, "en", live_partials=False)
    recognizer.start()
    yield recognizer
    recognizer.close()
