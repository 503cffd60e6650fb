"""The registry of installed models: `installed.json` in the models folder.

A model counts as installed only once it is listed here; the file is written atomically and
last, after the model's files are in place. Catalog models are stored relative to the models
folder (so the data folder can move); user-added models keep their absolute path.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

REGISTRY_NAME = "installed.json"
FORMAT = 1
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstalledModel:
    """An installed model. `path` is what an engine loads: the .gguf or .onnx file, or the
    Vosk / Whisper folder. `source` is "catalog" (downloaded, lives in the models folder) or
    "user" (added with `models add`, stays where it is)."""

    id: str
    kind: str
    language: str
    path: Path
    source: str
    size: int | None = None
    verification: str = ""  # how it was checked, e.g. "sha256 verified"


class Registry:
    def __init__(self, models_dir: Path):
        self.models_dir = models_dir
        self.path = models_dir / REGISTRY_NAME

    def load(self) -> dict[str, InstalledModel]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            raw = data["models"]
            if not isinstance(raw, dict):
                raise ValueError("models is not a table")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            backup = self.path.with_name(self.path.name + ".bak")
            try:
                os.replace(self.path, backup)
            except OSError:
                pass
            log.warning("model registry %s is unreadable (%s); moved it to %s", self.path, exc, backup)
            return {}
        models: dict[str, InstalledModel] = {}
        for model_id, item in raw.items():
            try:
                path = Path(item["path"])
                if not path.is_absolute():
                    path = self.models_dir / path
                models[model_id] = InstalledModel(
                    id=model_id,
                    kind=str(item["kind"]),
                    language=str(item.get("language", "")),
                    path=path,
                    source=str(item.get("source", "user")),
                    size=item.get("size"),
                    verification=str(item.get("verification", "")),
                )
            except (KeyError, TypeError) as exc:
                log.warning("skipping malformed registry entry %r: %s", model_id, exc)
        return models

    def save(self, models: dict[str, InstalledModel]) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        out = {}
        for model_id, model in models.items():
            path = model.path
            if model.source == "catalog":
                try:
                    path = path.relative_to(self.models_dir)
                except ValueError:
                    pass
            out[model_id] = {
                "kind": model.kind,
                "language": model.language,
                "path": path.as_posix(),
                "source": model.source,
                "size": model.size,
                "verification": model.verification,
            }
        text = json.dumps({"format": FORMAT, "models": out}, indent=2, sort_keys=True) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".installed-", suffix=".json", dir=self.models_dir)
        try:
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the registry holds nothing secret
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
