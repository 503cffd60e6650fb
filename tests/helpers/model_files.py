"""Builders for tiny fake models, archives, wheels and catalogs used by the model manager tests.

The fake models have the right layout and magic bytes but no real weights; they exercise the
manager's checks, not the engines.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tarfile
import zipfile
from pathlib import Path

import tomli_w



def fst_header(fst_type: str = "vector", states: int = 1, arcs: int = 0) -> bytes:
    """An OpenFst file header (what the model store's Vosk check reads)."""
    def string(text: str) -> bytes:
        return struct.pack("<i", len(text)) + text.encode()

    return (struct.pack("<i", 0x7EB2FDD6) + string(fst_type) + string("standard")
            + struct.pack("<iiQqqq", 2, 0, 0, 0, states, arcs))


VOSK_FILES = {
    "am/final.mdl": b"\x00B<TransitionModel> fake acoustic model",
    "conf/mfcc.conf": b"--use-energy=false\n",
    "conf/model.conf": b"--min-active=200\n",
    "graph/HCLr.fst": fst_header() + b"fst",
    "graph/Gr.fst": fst_header() + b"fst",
    "graph/phones/word_boundary.int": b"1 nonword\n",
    "ivector/final.ie": b"ivector",
}
WHISPER_FILES = {
    "config.json": b'{"alignment_heads": []}',
    "model.bin": b"ctranslate2" + bytes(range(256)) * 8,
    "vocabulary.txt": b"a\nb\n",
}
PIPER_FILES = {
    "en_US-test-medium.onnx": b"onnx" + bytes(100),
    "en_US-test-medium.onnx.json": b'{"audio": {"sample_rate": 22050}}',
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gguf_bytes(size: int = 200_000) -> bytes:
    """A structurally whole GGUF (version 3, one F32 tensor, no metadata) of exactly `size`
    bytes (at least 68): deterministic filler as the tensor's data. No real weights."""
    name = b"t"
    info = struct.pack("<Q", len(name)) + name + struct.pack("<IQIQ", 1, 1, 0, 0)
    header = b"GGUF" + struct.pack("<IQQ", 3, 1, 0) + info
    start = -(-len(header) // 32) * 32
    n = max(1, (size - start) // 4)
    info = struct.pack("<Q", len(name)) + name + struct.pack("<IQIQ", 1, n, 0, 0)
    header = (b"GGUF" + struct.pack("<IQQ", 3, 1, 0) + info).ljust(start, b"\0")
    filler = hashlib.sha256(b"seed").digest() * (size // 32 + 1)
    return (header + filler)[:max(size, start + 4)]


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def zip_bytes(files: dict[str, bytes], prefix: str = "", compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(prefix + name, data)
    return buffer.getvalue()


def zip_with_symlink(name: str, target: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        info = zipfile.ZipInfo(name)
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, target)
    return buffer.getvalue()


def tar_gz_bytes(files: dict[str, bytes], prefix: str = "", links: dict[str, str] | None = None,
                 hardlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(prefix + name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
        for name, target in (hardlinks or {}).items():
            info = tarfile.TarInfo(prefix + name)
            info.type = tarfile.LNKTYPE
            info.linkname = target
            tf.addfile(info)
    return buffer.getvalue()


def tree_sha256(files: dict[str, bytes]) -> str:
    """The catalog's folder hash, computed independently of the code under test."""
    manifest = "".join(f"{sha256(files[name])}  {name}\n" for name in sorted(files))
    return sha256(manifest.encode())


def write_wheel(folder: Path, dist: str, version: str, files: dict[str, bytes]) -> Path:
    """A minimal valid wheel that `pip download --no-index --find-links folder` accepts."""
    folder.mkdir(parents=True, exist_ok=True)
    module = dist.replace("-", "_")
    info_dir = f"{module}-{version}.dist-info"
    contents = {f"{module}/__init__.py": b""}
    contents.update({f"{module}/{name}": data for name, data in files.items()})
    contents[f"{info_dir}/METADATA"] = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode()
    contents[f"{info_dir}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = "".join(f"{name},,\n" for name in contents) + f"{info_dir}/RECORD,,\n"
    contents[f"{info_dir}/RECORD"] = record.encode()
    path = folder / f"{module}-{version}-py3-none-any.whl"
    path.write_bytes(zip_bytes(contents))
    return path


def entry(model_id: str, kind: str, **fields) -> dict:
    base = {
        "id": model_id,
        "kind": kind,
        "language": "en",
        "license": "MIT",
        "description": f"test model {model_id}",
    }
    base.update(fields)
    return base


def write_catalog(path: Path, entries: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        tomli_w.dump({"models": entries}, fh)
    return path


def leftovers(models_dir: Path) -> list[str]:
    """Everything in the models folder except the registry and the downloads folder."""
    if not models_dir.exists():
        return []
    return sorted(name for name in os.listdir(models_dir) if name not in ("installed.json", ".downloads"))
