"""A cheap look at a GGUF file before llama.cpp gets it.

llama.cpp answers a wrong or damaged file with pages of log and a vague exception; checking the
header first gives the person one sentence about what is wrong with which file.
"""

from __future__ import annotations

import struct
from pathlib import Path

from assistant.errors import ModelError

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
_HEADER = struct.Struct("<4sIQQ")  # magic, version, tensor count, metadata key/value count


def check_gguf(path: str | Path) -> Path:
    """Raise ModelError unless `path` looks like a complete GGUF model; return it as a Path."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelError(f"The LLM file {path} does not exist; give an installed model id or "
                         "the path of a .gguf file.")
    if path.is_dir():
        found = sorted(path.glob("*.gguf"))
        if len(found) != 1:
            raise ModelError(f"{path} is a folder without exactly one .gguf file; give the "
                             "path of the .gguf file itself.")
        path = found[0]
    try:
        with open(path, "rb") as fh:
            header = fh.read(_HEADER.size)
    except OSError as exc:
        raise ModelError(f"The LLM file {path} cannot be read ({exc.strerror}).") from None
    if len(header) < _HEADER.size or header[:4] != GGUF_MAGIC:
        raise ModelError(f"{path.name} is not a GGUF model file (llama.cpp needs .gguf; "
                         "convert or download a GGUF build of the model).")
    _, version, n_tensors, n_kv = _HEADER.unpack(header)
    if version not in SUPPORTED_VERSIONS:
        raise ModelError(f"{path.name} is GGUF version {version}, which this llama.cpp cannot "
                         "read; download a current GGUF build of the model.")
    if n_tensors == 0 or n_tensors > 1_000_000 or n_kv > 1_000_000:
        raise ModelError(f"{path.name} has a damaged GGUF header; download it again.")
    return path
