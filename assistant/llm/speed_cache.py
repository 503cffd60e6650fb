"""Speed measurements kept between runs: `llm-speed.json` in the app's cache folder.

Each model's entry holds the measurement and the facts it was made under (`speed.
machine_facts`: the model file, the CPU count and name, llama.cpp's version, the threads, the
re-encoding setting). `get` returns it only while those facts still hold, so a new llama.cpp,
another machine or a changed file is measured again. An unreadable file counts as empty and
is rewritten by the next `put`.
"""

from __future__ import annotations

from pathlib import Path

from assistant import paths
from assistant.json_file import Unreadable, read_json, write_json
from assistant.llm.speed import SpeedMeasurement

VERSION = 1


def default_path() -> Path:
    return paths.data_dir() / "cache" / "llm-speed.json"


class SpeedCache:
    """The measurements by model id; safe to create often (it reads the file on each call)."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else default_path()

    def _load(self) -> dict:
        try:
            data = read_json(self.path, "speed cache", default={})
        except Unreadable:
            return {}
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return {}
        models = data.get("models")
        return models if isinstance(models, dict) else {}

    def get(self, model_id: str, facts: dict) -> SpeedMeasurement | None:
        """The measurement of `model_id`, if one was made under `facts`."""
        entry = self._load().get(model_id)
        if not isinstance(entry, dict) or entry.get("facts") != facts:
            return None
        try:
            return SpeedMeasurement.from_dict(entry["measurement"])
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, measurement: SpeedMeasurement, facts: dict) -> None:
        """Keep `measurement` (replacing the model's earlier one); a failure to write is
        logged, never raised: the figure is only measured again next time."""
        models = self._load()
        models[measurement.model_id] = {"facts": facts, "measurement": measurement.to_dict()}
        write_json(self.path, {"version": VERSION, "models": models}, "speed measurement")
