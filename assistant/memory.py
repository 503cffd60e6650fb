"""Keeping a long-running process's memory flat (Linux/glibc only; elsewhere a no-op).

Audio, recognition and the LLM allocate and free from several threads; glibc gives each
thread its own arena and keeps freed pages, so RSS creeps up over a long session although
nothing leaks. Fewer arenas and a trim after each turn hand that memory back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_ARENA_MAX = -8

_libc = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _libc.malloc_trim  # glibc only
    except (OSError, AttributeError):
        _libc = None


def limit_arenas(count: int = 2) -> None:
    if _libc is not None:
        _libc.mallopt(M_ARENA_MAX, count)


def release_free_memory() -> None:
    if _libc is not None:
        _libc.malloc_trim(0)
