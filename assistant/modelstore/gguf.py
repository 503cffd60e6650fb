"""A look at a GGUF file before llama.cpp gets it: the one check the model store and the LLM
engine share.

llama.cpp answers a wrong or damaged file with pages of log and a vague exception; checking
first gives the person one sentence about what is wrong with which file.

- `check_gguf(path)`: the header (magic, version, plausible counts). Cheap; the engine runs it
  before every load.
- `check_gguf(path, complete=True)`: also walks the metadata and the tensor table and checks
  that the file holds every tensor's data: a download cut short, or the first kilobytes of a
  model copied by mistake, are refused when the model is added, not when it is first used.
  Tensor sizes come from the type table of the `gguf` package (llama.cpp's own Python
  library), so new quantization types are known as soon as it knows them.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from assistant.errors import ModelError

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
_HEADER = struct.Struct("<4sIQQ")  # magic, version, tensor count, metadata key/value count
MAX_COUNT = 1_000_000
MAX_STRING = 1 << 30
# metadata value types (GGUF spec): fixed sizes; 8 = string, 9 = array
_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY, _UINT32 = 8, 9, 4


class _Truncated(Exception):
    pass


def check_gguf(path: str | Path, complete: bool = False) -> Path:
    """Raise ModelError unless `path` is a GGUF model (with `complete`, a whole one); return
    the file's path (a folder holding exactly one .gguf stands for it)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelError(f"The LLM file {path} does not exist; give an installed model id or "
                         "the path of a .gguf file.")
    if path.is_dir():
        found = sorted(p for p in path.glob("*.gguf") if p.is_file())
        if len(found) != 1:
            raise ModelError(f"{path} is a folder without exactly one .gguf file; give the "
                             "path of the .gguf file itself.")
        path = found[0]
    try:
        with open(path, "rb") as fh:
            n_tensors = _check_header(fh, path)
            if complete:
                _check_complete(fh, path, n_tensors)
    except OSError as exc:
        raise ModelError(f"The LLM file {path} cannot be read ({exc.strerror or exc}).") from None
    return path


def _check_header(fh: BinaryIO, path: Path) -> int:
    header = fh.read(_HEADER.size)
    if len(header) < _HEADER.size or header[:4] != GGUF_MAGIC:
        raise ModelError(f"{path.name} is not a GGUF model file (llama.cpp needs .gguf; "
                         "convert or download a GGUF build of the model).")
    _, version, n_tensors, n_kv = _HEADER.unpack(header)
    if version not in SUPPORTED_VERSIONS:
        raise ModelError(f"{path.name} is GGUF version {version}, which this llama.cpp cannot "
                         "read; download a current GGUF build of the model.")
    if n_tensors == 0 or n_tensors > MAX_COUNT or n_kv > MAX_COUNT:
        raise ModelError(f"{path.name} has a damaged GGUF header; download it again.")
    return n_tensors


def _check_complete(fh: BinaryIO, path: Path, n_tensors: int) -> None:
    size = path.stat().st_size
    fh.seek(16)
    (n_kv,) = struct.unpack("<Q", fh.read(8))
    try:
        alignment = _skip_metadata(fh, n_kv)
        tensors = [_tensor_info(fh) for _ in range(n_tensors)]
    except _Truncated:
        raise ModelError(f"{path.name} is cut short: its GGUF header ends early ({size:,} "
                         "bytes in all); download it again.") from None
    except ValueError as exc:
        raise ModelError(f"{path.name} has a damaged GGUF header ({exc}); download it "
                         "again.") from None
    start = -(-fh.tell() // alignment) * alignment
    end = max(start + offset + _tensor_bytes(path, dims, kind) for dims, kind, offset in tensors)
    if end > size:
        raise ModelError(f"{path.name} is cut short: its tensors need {end:,} bytes but the "
                         f"file has {size:,}; download it again.")


def _read(fh: BinaryIO, n: int) -> bytes:
    data = fh.read(n)
    if len(data) < n:
        raise _Truncated()
    return data


def _u32(fh: BinaryIO) -> int:
    return struct.unpack("<I", _read(fh, 4))[0]


def _u64(fh: BinaryIO) -> int:
    return struct.unpack("<Q", _read(fh, 8))[0]


def _string(fh: BinaryIO) -> bytes:
    n = _u64(fh)
    if n > MAX_STRING:
        raise ValueError("a string longer than the file")
    return _read(fh, n)


def _skip_value(fh: BinaryIO, kind: int) -> None:
    if kind in _FIXED:
        _read(fh, _FIXED[kind])
    elif kind == _STRING:
        _string(fh)
    elif kind == _ARRAY:
        item, count = _u32(fh), _u64(fh)
        if count > MAX_STRING:
            raise ValueError("an array longer than the file")
        if item in _FIXED:
            _read(fh, _FIXED[item] * count)
        else:
            for _ in range(count):
                _skip_value(fh, item)
    else:
        raise ValueError(f"unknown metadata type {kind}")


def _skip_metadata(fh: BinaryIO, n_kv: int) -> int:
    """Walk the key/value metadata; returns the tensor data alignment it sets."""
    alignment = DEFAULT_ALIGNMENT
    for _ in range(n_kv):
        key = _string(fh)
        kind = _u32(fh)
        if key == b"general.alignment" and kind == _UINT32:
            alignment = _u32(fh)
            if alignment == 0 or alignment & (alignment - 1):
                raise ValueError(f"alignment {alignment} is not a power of two")
            continue
        _skip_value(fh, kind)
    return alignment


def _tensor_info(fh: BinaryIO) -> tuple[list[int], int, int]:
    _string(fh)  # name
    n_dims = _u32(fh)
    if n_dims > 8:
        raise ValueError(f"a tensor with {n_dims} dimensions")
    dims = [_u64(fh) for _ in range(n_dims)]
    kind = _u32(fh)
    offset = _u64(fh)
    return dims, kind, offset


def _tensor_bytes(path: Path, dims: list[int], kind: int) -> int:
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    try:
        block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
    except (ValueError, KeyError):
        raise ModelError(f"{path.name} uses a tensor type ({kind}) this app does not know; "
                         "update the app or choose another GGUF build.") from None
    elements = 1
    for d in dims:
        elements *= d
    return -(-elements // block) * type_size
