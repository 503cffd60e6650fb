"""Is this computer fast enough for a neural voice? Timed once, at first run, and kept.

What a person waits for is the first chunk of a reply (three or four words: the chunker in
`conversation.wiring`), and what keeps the voice from stalling between chunks is synthesis
well ahead of playback while the LLM writes the next chunk on the same cores. So the voice is
timed on a first-chunk-sized phrase (time to its audio) and on a sentence (synthesis time
over the audio's length, the real-time factor), best of a few runs each, so that a burst of
other work on the machine does not decide it.

The figures are kept in `voice-speed.json` in the app's cache folder with the facts they were
measured under (the voice file, the CPU, piper's and onnxruntime's versions), as the LLM's are
(`assistant/llm/speed_cache.py`): a voice is timed again only when one of those changes.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from assistant import paths
from assistant.clock import DEFAULT_CLOCK, NS_PER_MS, NS_PER_S, Clock
from assistant.json_file import Unreadable, read_json, write_json

VERSION = 1

PHRASE = "Sure, I can help."  # the size of a first chunk
SENTENCE = "The small dog walked slowly across the park on Sunday."
RUNS = 2

# Slower than either and the voice is not used by default: a first chunk that takes half a
# second to be heard, or synthesis that needs more than half of the audio's time (it shares
# the cores with the LLM writing the next chunk, which can halve its speed).
FIRST_AUDIO_LIMIT_MS = 500.0
REAL_TIME_FACTOR_LIMIT = 0.5


@dataclass(frozen=True)
class VoiceSpeed:
    first_audio_ms: float  # PHRASE: from the call to its first audio
    real_time_factor: float  # SENTENCE: synthesis time / audio time

    @property
    def fast_enough(self) -> bool:
        return (self.first_audio_ms <= FIRST_AUDIO_LIMIT_MS
                and self.real_time_factor <= REAL_TIME_FACTOR_LIMIT)

    def describe(self) -> str:
        return (f"{self.first_audio_ms:.0f} ms to say a short phrase, "
                f"{self.real_time_factor:.2f} s of work per second of speech")

    @classmethod
    def from_dict(cls, data: dict) -> "VoiceSpeed":
        return cls(first_audio_ms=float(data["first_audio_ms"]),
                   real_time_factor=float(data["real_time_factor"]))


def measure(engine, clock: Clock = DEFAULT_CLOCK, runs: int = RUNS) -> VoiceSpeed:
    """Time a started engine (no cache in front of it): the best of `runs` of each."""
    firsts, factors = [], []
    for _ in range(max(1, runs)):
        start = clock.now_ns()
        first = None
        for _samples in engine.synthesize(PHRASE):
            first = first if first is not None else clock.now_ns()
        firsts.append(((first or clock.now_ns()) - start) / NS_PER_MS)
        start = clock.now_ns()
        n = sum(len(samples) for samples in engine.synthesize(SENTENCE))
        seconds = n / max(engine.sample_rate, 1)
        spent = (clock.now_ns() - start) / NS_PER_S
        factors.append(spent / seconds if seconds else float("inf"))
    return VoiceSpeed(first_audio_ms=round(min(firsts), 1),
                      real_time_factor=round(min(factors), 3))


def facts(model_path: Path | str) -> dict:
    """What a measurement of the voice at `model_path` depends on."""
    path = Path(model_path)
    try:
        size = path.stat().st_size
    except OSError:
        size = -1
    from assistant.llm.speed import processor_name

    return {"voice": path.name, "voice_bytes": size, "cpus": os.cpu_count() or 1,
            "processor": processor_name(), "piper": _version("piper-tts"),
            "onnxruntime": _version("onnxruntime")}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def default_path() -> Path:
    return paths.data_dir() / "cache" / "voice-speed.json"


class VoiceSpeedCache:
    """Measurements by voice file name; reads the file on each call (cheap, rare)."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else default_path()

    def _load(self) -> dict:
        try:
            data = read_json(self.path, "voice speed cache", default={})
        except Unreadable:
            return {}
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return {}
        voices = data.get("voices")
        return voices if isinstance(voices, dict) else {}

    def get(self, facts: dict) -> VoiceSpeed | None:
        entry = self._load().get(facts.get("voice", ""))
        if not isinstance(entry, dict) or entry.get("facts") != facts:
            return None
        try:
            return VoiceSpeed.from_dict(entry["speed"])
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, speed: VoiceSpeed, facts: dict) -> None:
        """Keep it; a failure to write is logged, never raised (it is timed again next time)."""
        voices = self._load()
        voices[facts.get("voice", "")] = {"facts": facts, "speed": asdict(speed)}
        write_json(self.path, {"version": VERSION, "voices": voices}, "voice speed measurement")
