"""What a usable model of each kind looks like on disk, and how to hash one.

Every check raises `ModelError` with one sentence naming the missing piece, so the same code
serves `models add`, `resolve()` and the last check before an install is committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from assistant.errors import ModelError
from assistant.modelstore.gguf import GGUF_MAGIC, check_gguf

KINDS = ("stt-vosk", "stt-whisper", "llm-gguf", "tts-piper", "turn-detector")

# How a kind is named in messages ("LLM model 'x' is not installed").
KIND_LABELS = {
    "stt-vosk": "Vosk speech",
    "stt-whisper": "Whisper speech",
    "llm-gguf": "LLM",
    "tts-piper": "Piper voice",
    "turn-detector": "End-of-turn",
}

_CHUNK = 1 << 20


def primary_language(language: str | None) -> str:
    """"en_US", "en-us", "EN" -> "en" (English when none is given)."""
    return (language or "en").lower().replace("_", "-").split("-")[0]


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


# --- checks per kind --------------------------------------------------------------------------


def check_gguf_file(path: Path, complete: bool = False) -> Path:
    if not path.is_file():
        raise ModelError(f"{path} is not a file; an LLM model is a single .gguf file.")
    return check_gguf(path, complete=complete)


def check_vosk(path: Path, complete: bool = False) -> Path:
    if not path.is_dir():
        raise ModelError(f"{path} is not a folder; a Vosk model is a folder with am/, conf/ and graph/.")
    missing = []
    if not (path / "am" / "final.mdl").is_file():
        missing.append("am/final.mdl")
    if not (path / "conf").is_dir():
        missing.append("conf/")
    graph = path / "graph"
    if not ((graph / "HCLG.fst").is_file() or ((graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file())):
        missing.append("graph/HCLG.fst (or graph/HCLr.fst with graph/Gr.fst)")
    if missing:
        raise ModelError(
            f"{path} is not a complete Vosk model: missing {', '.join(missing)}; "
            "unpack the whole model folder from alphacephei.com/vosk/models."
        )
    if complete:
        from assistant.modelstore.vosk_check import check_complete

        check_complete(path)
    return path


def check_whisper(path: Path, complete: bool = False) -> Path:
    if not path.is_dir():
        raise ModelError(
            f"{path} is not a folder; a Whisper model is a CTranslate2 folder with config.json and model.bin."
        )
    missing = [name for name in ("config.json", "model.bin") if not (path / name).is_file()]
    if missing:
        raise ModelError(
            f"{path} is not a faster-whisper (CTranslate2) model: missing {', '.join(missing)}."
        )
    if complete:
        _check_json(path / "config.json", "the Whisper model's settings")
    return path


def piper_voice_file(path: Path, complete: bool = False) -> Path:
    """The .onnx file of a Piper voice given as the file itself or the folder holding it."""
    if path.is_dir():
        voices = sorted(p for p in path.glob("*.onnx") if p.is_file())
        if len(voices) != 1:
            found = "no" if not voices else f"{len(voices)}"
            raise ModelError(
                f"{path} holds {found} .onnx voices; a Piper voice folder holds exactly one "
                ".onnx file with its .onnx.json beside it."
            )
        path = voices[0]
    if not path.is_file() or path.suffix != ".onnx":
        raise ModelError(f"{path} is not a Piper voice; expected a .onnx file with its .onnx.json.")
    config = path.with_name(path.name + ".json")
    if not config.is_file():
        raise ModelError(f"Piper voice {path} has no {config.name} beside it; download both files.")
    if complete:
        _check_json(config, "the Piper voice's settings")
    return path


def _check_json(path: Path, what: str) -> None:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{path} ({what}) is damaged ({exc}); download the model again.") from None


def check_turn_detector(path: Path, complete: bool = False) -> Path:
    """An end-of-turn model: one ONNX file (given as the file or the folder holding it) whose
    graph takes Whisper features, `input_features` [batch, 80, 800]."""
    if path.is_dir():
        found = sorted(p for p in path.glob("*.onnx") if p.is_file())
        if len(found) != 1:
            raise ModelError(f"{path} should hold exactly one .onnx end-of-turn model, found "
                             f"{len(found)}.")
        path = found[0]
    if not path.is_file() or path.suffix != ".onnx":
        raise ModelError(f"{path} is not an end-of-turn model; expected a Smart Turn .onnx file.")
    if complete:
        from assistant.turn_detection.smart_turn import check_graph

        check_graph(path)
    return path


CHECKS = {
    "llm-gguf": check_gguf_file,
    "stt-vosk": check_vosk,
    "stt-whisper": check_whisper,
    "tts-piper": piper_voice_file,
    "turn-detector": check_turn_detector,
}


def check(kind: str, path: Path, complete: bool = False) -> Path:
    """Validate `path` as a model of `kind`; return the path an engine loads. `complete`
    looks beyond the layout (whole files, readable settings; a Vosk model is loaded once in
    a child process): for a model being added or installed, not on every start."""
    if kind not in CHECKS:
        raise ModelError(f"Unknown model kind {kind!r}; known kinds: {', '.join(KINDS)}.")
    return CHECKS[kind](Path(path), complete=complete)


def model_entry(kind: str, folder: Path) -> Path:
    """The path an engine loads inside an installed model folder (checked whole)."""
    if kind == "llm-gguf":
        ggufs = sorted(p for p in folder.rglob("*.gguf") if p.is_file())
        if len(ggufs) != 1:
            raise ModelError(f"{folder} should hold exactly one .gguf file, found {len(ggufs)}.")
        return check_gguf_file(ggufs[0], complete=True)
    return check(kind, folder, complete=True)


def detect_kind(path: Path) -> str:
    """Which kind of model `path` is; ModelError with what was expected if none fits."""
    path = Path(path)
    if path.is_dir():
        if (path / "am").exists() or (path / "graph").exists():
            check_vosk(path)
            return "stt-vosk"
        if (path / "model.bin").exists() or (path / "config.json").exists():
            check_whisper(path)
            return "stt-whisper"
        if any(path.glob("*.onnx")):
            piper_voice_file(path)
            return "tts-piper"
    elif path.is_file():
        if path.suffix.lower() == ".gguf":
            check_gguf_file(path)
            return "llm-gguf"
        if path.suffix == ".onnx":
            if not path.with_name(path.name + ".json").is_file():  # a voice has its settings
                try:
                    check_turn_detector(path, complete=True)
                    return "turn-detector"
                except ModelError:
                    pass  # not Smart Turn either: say what a voice lacks
            piper_voice_file(path)
            return "tts-piper"
        try:
            with open(path, "rb") as fh:
                if fh.read(4) == GGUF_MAGIC:
                    return "llm-gguf"
        except OSError:
            pass
    elif not path.exists():
        raise ModelError(f"{path} does not exist.")
    raise ModelError(
        f"{path} is not a model this app can use; add a Vosk model folder (am/, conf/, graph/), "
        "a faster-whisper folder (config.json, model.bin), a Piper .onnx voice, a Smart Turn "
        ".onnx model or a .gguf file."
    )


def guess_language(kind: str, name: str) -> str:
    """A best guess from the usual file names; "" when the name says nothing."""
    name = name.lower() if kind != "tts-piper" else name
    if kind == "stt-vosk":
        match = re.match(r"vosk-model-(?:small-)?([a-z]{2,3})(?:[-_.]|$)", name)
        return match.group(1) if match else ""
    if kind == "tts-piper":
        match = re.match(r"([a-z]{2,3})_[A-Z]{2}-", name)
        return match.group(1) if match else ""
    if kind == "stt-whisper":
        return "en" if re.search(r"[.-]en(?:$|[-_.])", name) else ""
    return ""


# --- sizes and hashes -------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_files(folder: Path) -> list[tuple[str, Path]]:
    """Regular files under `folder` as (relative POSIX path, path), sorted by relative path."""
    found = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                found.append((path.relative_to(folder).as_posix(), path))
    return sorted(found)


def tree_sha256(folder: Path) -> str:
    """Hash of a folder model: sha256 of the manifest `<file sha256>  <relative path>\\n` for every
    file, sorted by path (the output of `sha256sum` run in the folder over the sorted file list)."""
    manifest = "".join(f"{file_sha256(path)}  {rel}\n" for rel, path in tree_files(folder))
    return hashlib.sha256(manifest.encode("utf-8")).hexdigest()


def model_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for _rel, p in tree_files(path))


def model_sha256(path: Path) -> str:
    return file_sha256(path) if path.is_file() else tree_sha256(path)
