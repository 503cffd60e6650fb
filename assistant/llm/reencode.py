"""Weights this CPU runs slowly, re-encoded once into a format it runs fast.

llama.cpp's CPU kernels differ a lot between quantisation types. Its Q8_0 (and Q4_0) matrix
code is repacked for AVX2/AVX-512 and NEON; Q4_1 and the Q5 types are not, so the same weights
as Q8_0 evaluate a prompt and generate tokens faster (the default LLM, SmolLM2-135M, is
shipped as Q4_1; the figures are in the README, "How it stays fast").

Re-encoding a 4- or 5-bit block into Q8_0 keeps every weight to within 1/254 of the block's
largest one, far below the 4-bit step itself, so the model answers as before
(tests/test_llm_reencode.py checks that the copy ranks the same next token first at every
step of the original's replies). The copy is twice the size
of a Q4_1 file and lives in the app's cache folder, keyed by the source's path, size and
modification time; it is made the first time the model is loaded (one pass over the
weights) and reused after that. Any failure leaves the original file in use.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
from pathlib import Path

from assistant import paths
from assistant.native_output import captured_stderr

log = logging.getLogger(__name__)

# llama.cpp's `general.file_type` values (enum llama_ftype) worth re-encoding, and the target
SLOW_FILE_TYPES = {3: "Q4_1", 8: "Q5_0", 9: "Q5_1"}
TARGET_FILE_TYPE = 7  # LLAMA_FTYPE_MOSTLY_Q8_0
TARGET_NAME = "Q8_0"
MAX_SOURCE_BYTES = 4 * 1024**3  # a bigger model would double a large file: leave it alone
KEEP_COPIES = 3  # the most recently used copies kept in the cache; older ones are deleted


def cache_folder() -> Path:
    return paths.data_dir() / "cache" / "llm"


def cached_copy(source: Path) -> Path:
    """Where the re-encoded copy of `source` lives (whether or not it exists yet)."""
    source = Path(source).resolve()
    stat = source.stat()
    key = f"{source}|{stat.st_size}|{stat.st_mtime_ns}".encode("utf-8", "surrogateescape")
    digest = hashlib.sha256(key).hexdigest()[:12]
    return cache_folder() / f"{source.stem}-{digest}.{TARGET_NAME}.gguf"


def file_type(metadata: dict) -> int | None:
    """The GGUF's `general.file_type` as llama-cpp-python reports it (a string), or None."""
    try:
        return int(metadata.get("general.file_type", ""))
    except (TypeError, ValueError):
        return None


def worth_reencoding(source: Path, metadata: dict) -> bool:
    return (file_type(metadata) in SLOW_FILE_TYPES
            and Path(source).stat().st_size <= MAX_SOURCE_BYTES)


def reencode(source: Path, threads: int = 0) -> Path | None:
    """Write the Q8_0 copy of `source` into the cache (atomically) and return its path; None
    when llama.cpp could not do it (the caller keeps the original)."""
    import llama_cpp

    target = cached_copy(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = TARGET_FILE_TYPE
    params.allow_requantize = True
    params.nthread = threads
    try:
        with captured_stderr():  # llama.cpp lists every tensor it converts
            status = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(),
                                                    ctypes.byref(params))
        if status != 0 or not partial.is_file():
            log.warning("could not re-encode %s (llama.cpp status %s); using it as it is",
                        source.name, status)
            return None
        os.replace(partial, target)
    except OSError as exc:
        log.warning("could not write the re-encoded copy of %s (%s); using it as it is",
                    source.name, exc)
        return None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    _forget_unused_copies(target)
    return target


def mark_used(copy: Path) -> None:
    """Remember that `copy` was loaded now (the cache keeps the most recently used)."""
    with contextlib.suppress(OSError):
        os.utime(copy)


def _forget_unused_copies(keep: Path) -> None:
    """A copy made from an earlier version of the same file is never used again; of the
    others, only the `KEEP_COPIES` most recently used stay."""
    stem = keep.name.rsplit("-", 1)[0]
    others = []
    for old in keep.parent.glob(f"*.{TARGET_NAME}.gguf"):
        if old == keep:
            continue
        if old.name.rsplit("-", 1)[0] == stem:
            with contextlib.suppress(OSError):
                old.unlink()
            continue
        with contextlib.suppress(OSError):
            others.append((old.stat().st_mtime_ns, old))
    others.sort(reverse=True)
    for _, old in others[KEEP_COPIES - 1:]:
        with contextlib.suppress(OSError):
            old.unlink()

