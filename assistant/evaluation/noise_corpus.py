"""The audio for `assistant.evaluation.noise_eval`: a corpus of sounds that are not speech, and speech
mixed into stretches of it at given signal-to-noise ratios.

The corpus is cut from real recordings shipped by Debian packages (music, chimes, keyboard
clicks, noise; see tests/fixtures/MANIFEST) and concatenated with varying gaps and levels over
a faint noise floor. The speech is espeak-ng utterances and the real human recordings in the
fixtures.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.audio.devices import SAMPLE_RATE
from assistant.audio.sources import load_audio

DEFAULT_FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "audio"

# Every clip is a real recording from a Debian package (tests/fixtures/MANIFEST).
MUSIC = ["tuxtype-tuxi-excerpt.ogg", "oxygen-sys-log-in.ogg", "oxygen-sys-log-in-long.ogg"]
CHIMES = ["freedesktop-alarm-clock-elapsed.oga", "freedesktop-bell.oga",
          "freedesktop-complete.oga", "freedesktop-message-new-instant.oga",
          "freedesktop-phone-incoming-call.oga", "oxygen-im-phone-ring.ogg"]
NOISE = ["alsa-noise.wav", "freedesktop-trash-empty.oga", "freedesktop-camera-shutter.oga"]
KEYS = ["12", "1e", "20", "24", "31", "39"]  # bucklespring scan codes: e a d j n space
KEY_CLIPS = [f"bucklespring-{key}-{edge}.wav" for key in KEYS for edge in (0, 1)]

SPEECH_FIXTURES = ["alsa-front-center.wav", "alsa-front-left.wav", "alsa-rear-right.wav"]
SPEECH_TEXTS = [
    ("What time is it in Tokyo?", "en-us"),
    ("Turn the music down a little.", "en-us+f3"),
    ("Remind me to call my sister tomorrow.", "en-gb"),
    ("How long do I boil an egg?", "en-us+m3"),
    ("Yes.", "en-us"),
    ("Stop.", "en-gb+f2"),
]
SNRS_DB = (20, 10, 5, 0, -5)
SPEECH_DBFS = -26.0  # level of the speech in every trial (RMS over its loud part)
FLOOR_DBFS = -62.0  # the room: a faint noise under everything


@dataclass
class Segment:
    start_s: float
    end_s: float
    kind: str
    name: str


# --- the noise corpus ---------------------------------------------------------------------------


def _rms_dbfs(x: np.ndarray) -> float:
    if len(x) == 0:
        return -120.0
    rms = math.sqrt(float(np.mean(np.square(x, dtype=np.float64))))
    return 20 * math.log10(rms) if rms > 0 else -120.0


def _active_dbfs(x: np.ndarray, frame: int = 320) -> float:
    """The level of the loud part: RMS over the 20 ms frames within 20 dB of the loudest."""
    n = len(x) // frame
    if n == 0:
        return _rms_dbfs(x)
    levels = np.array([_rms_dbfs(x[i * frame:(i + 1) * frame]) for i in range(n)])
    loud = levels >= levels.max() - 20
    return _rms_dbfs(np.concatenate([x[i * frame:(i + 1) * frame] for i in np.flatnonzero(loud)]))


def _float(path: Path) -> np.ndarray:
    return load_audio(path).astype(np.float32) / 32768.0


def _fade(x: np.ndarray, seconds: float = 0.05) -> np.ndarray:
    n = min(len(x) // 2, int(seconds * SAMPLE_RATE))
    if n:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        x = x.copy()
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def _at_level(x: np.ndarray, dbfs: float) -> np.ndarray:
    return x * np.float32(10 ** ((dbfs - _active_dbfs(x)) / 20))


def _typing(keys: dict[str, np.ndarray], rng: np.random.Generator, seconds: float) -> np.ndarray:
    """A burst of typing: key down and key up clicks at a typist's irregular pace."""
    out = np.zeros(int(seconds * SAMPLE_RATE) + SAMPLE_RATE, np.float32)
    t = 0.0
    while t < seconds:
        key = KEYS[int(rng.integers(len(KEYS)))] if rng.random() > 0.18 else "39"
        gain = float(rng.uniform(0.5, 1.0))
        for edge, delay in ((0, 0.0), (1, float(rng.uniform(0.06, 0.14)))):
            clip = keys[f"{key}-{edge}"] * gain
            start = int((t + delay) * SAMPLE_RATE)
            end = min(len(out), start + len(clip))
            out[start:end] += clip[:end - start]
        t += float(rng.uniform(0.09, 0.32))
        if rng.random() < 0.08:  # a pause to think
            t += float(rng.uniform(0.4, 1.2))
    return out[: int(seconds * SAMPLE_RATE)]


def build_noise_corpus(fixtures: Path = DEFAULT_FIXTURES, minutes: float = 5.0,
                       seed: int = 7) -> tuple[np.ndarray, list[Segment]]:
    """`minutes` of non-speech at 16 kHz (int16) and what plays when."""
    rng = np.random.default_rng(seed)
    clips = {name: _float(fixtures / name) for name in MUSIC + CHIMES + NOISE}
    keys = {name[len("bucklespring-"):-len(".wav")]: _float(fixtures / name) for name in KEY_CLIPS}
    total = int(minutes * 60 * SAMPLE_RATE)
    out = np.zeros(total + 30 * SAMPLE_RATE, np.float32)
    segments: list[Segment] = []
    kinds = ["music", "typing", "chime", "noise"]
    weights = np.array([0.35, 0.25, 0.25, 0.15])
    t = float(rng.uniform(0.5, 2.0))
    while t * SAMPLE_RATE < total:
        kind = kinds[int(rng.choice(len(kinds), p=weights))]
        if kind == "music":
            name = MUSIC[int(rng.integers(len(MUSIC)))]
            source = clips[name]
            length = min(len(source), int(rng.uniform(5, 20) * SAMPLE_RATE))
            offset = int(rng.integers(0, len(source) - length + 1))
            piece = _fade(source[offset:offset + length], 0.3)
            level = rng.uniform(-38, -16)
        elif kind == "typing":
            name = "bucklespring keys"
            piece = _typing(keys, rng, float(rng.uniform(2, 10)))
            level = rng.uniform(-40, -20)
        else:
            pool = CHIMES if kind == "chime" else NOISE
            name = pool[int(rng.integers(len(pool)))]
            piece = _fade(clips[name], 0.01)
            level = rng.uniform(-36, -12) if kind == "chime" else rng.uniform(-40, -20)
        piece = _at_level(piece, float(level))
        start = int(t * SAMPLE_RATE)
        out[start:start + len(piece)] += piece
        segments.append(Segment(round(t, 3), round(t + len(piece) / SAMPLE_RATE, 3), kind, name))
        # the next sound: after a gap, or now and then on top of the tail of this one
        gap = float(rng.uniform(0.3, 6.0)) if rng.random() > 0.15 else -float(rng.uniform(0, 1.5))
        t = max(t + 0.2, t + len(piece) / SAMPLE_RATE + gap)
    out = out[:total]
    floor_amp = 10 ** (FLOOR_DBFS / 20) * math.sqrt(3)
    out += rng.uniform(-floor_amp, floor_amp, total).astype(np.float32)
    samples = np.clip(np.rint(out * 32768.0), -32768, 32767).astype(np.int16)
    return samples, [s for s in segments if s.start_s * SAMPLE_RATE < total]


def write_wav(path: Path, samples: np.ndarray) -> Path:
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), samples, SAMPLE_RATE, subtype="PCM_16")
    return path


# --- speech in the same noise -------------------------------------------------------------------


def espeak_utterances() -> list[tuple[str, np.ndarray]]:
    if not shutil.which("espeak-ng"):
        return []
    out = []
    with tempfile.TemporaryDirectory(prefix="va-noise-eval-") as tmp:
        for i, (text, voice) in enumerate(SPEECH_TEXTS):
            path = Path(tmp) / f"{i}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True,
                           capture_output=True, timeout=30)
            out.append((f"espeak {voice}: {text}", _trim(_float(path))))
    return out


def real_utterances(fixtures: Path = DEFAULT_FIXTURES) -> list[tuple[str, np.ndarray]]:
    return [(name, _trim(_float(fixtures / name))) for name in SPEECH_FIXTURES]


def _trim(x: np.ndarray, threshold: float = 0.003) -> np.ndarray:
    loud = np.flatnonzero(np.abs(x) > threshold)
    return x[loud[0]:loud[-1] + 1] if len(loud) else x[:0]


@dataclass
class Trial:
    name: str
    snr_db: int
    path: Path
    speech_start_s: float
    speech_end_s: float


def build_trials(noise: np.ndarray, segments: list[Segment], utterances, directory: Path,
                 snrs=SNRS_DB, seed: int = 11) -> list[Trial]:
    """One WAV per utterance and SNR: 1.5 s of noise, the utterance over the noise, 1.5 s more.
    The noise stretch is taken where something is sounding (not in a quiet gap)."""
    rng = np.random.default_rng(seed)
    loud = [s for s in segments if s.end_s - s.start_s >= 1.0 and s.kind != "chime"]
    noise_f = noise.astype(np.float32) / 32768.0
    trials = []
    for index, (name, speech) in enumerate(utterances):
        speech = _at_level(speech, SPEECH_DBFS)
        pre, post = int(1.5 * SAMPLE_RATE), int(1.5 * SAMPLE_RATE)
        n = pre + len(speech) + post
        for snr in snrs:
            segment = loud[int(rng.integers(len(loud)))]
            begin = int(segment.start_s * SAMPLE_RATE)
            begin = min(begin, len(noise_f) - n)
            bed = noise_f[begin:begin + n].copy()
            under = bed[pre:pre + len(speech)]
            level = _rms_dbfs(under)
            if level > -100:
                bed *= np.float32(10 ** ((SPEECH_DBFS - snr - level) / 20))
            bed[pre:pre + len(speech)] += speech
            samples = np.clip(np.rint(bed * 32768.0), -32768, 32767).astype(np.int16)
            path = write_wav(directory / f"trial-{index}-{snr}.wav", samples)
            trials.append(Trial(name, snr, path, pre / SAMPLE_RATE,
                                (pre + len(speech)) / SAMPLE_RATE))
    return trials
