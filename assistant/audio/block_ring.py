"""Blocks handed from the audio thread to another thread without a lock or an allocation.

The audio thread (`push`) copies each block into a preallocated ring of samples and appends
(time, where, how many) to a deque; the reading thread (`pop`) takes those in order and copies
the samples out. One thread pushes, one thread pops. Nothing ever waits: a reader that falls
more than the ring behind gets None for what was written over in the meantime (it is told,
never handed samples of a later block).
"""

from __future__ import annotations

import collections

import numpy as np


class BlockRing:
    def __init__(self, capacity: int, max_blocks: int = 4096):
        """Room for `capacity` samples of float32 mono (a block longer than an eighth of it
        keeps only its end) and for at most `max_blocks` entries not yet popped (older ones
        are forgotten)."""
        self._ring = np.zeros(max(8, int(capacity)), dtype=np.float32)
        # a block the writer may be copying while a reader checks: never longer than this
        self._margin = len(self._ring) // 8
        self._written = 0  # samples ever pushed; only `push` changes it
        self._entries: collections.deque[tuple[int, int, int]] = collections.deque(
            maxlen=max_blocks)

    @property
    def capacity(self) -> int:
        return len(self._ring)

    def push(self, samples: np.ndarray, t_ns: int) -> None:
        """On the audio thread: keep a copy of `samples` (mono), stamped `t_ns`."""
        samples = np.ravel(samples)  # a view of a contiguous block, not a copy
        n = len(samples)
        if n > self._margin:
            samples, n = samples[n - self._margin:], self._margin
        size = len(self._ring)
        start = self._written
        at = start % size
        first = min(n, size - at)
        self._ring[at:at + first] = samples[:first]
        if first < n:
            self._ring[:n - first] = samples[first:]
        self._written = start + n
        self._entries.append((t_ns, start, n))

    def pop(self) -> tuple[int, np.ndarray | None] | None:
        """On the reading thread: the oldest block not yet popped as (t_ns, its samples), with
        None for samples the writer has since overwritten; None when there is no block."""
        try:
            t_ns, start, n = self._entries.popleft()
        except IndexError:
            return None
        size = len(self._ring)
        at = start % size
        first = min(n, size - at)
        out = np.empty(n, dtype=np.float32)
        out[:first] = self._ring[at:at + first]
        if first < n:
            out[first:] = self._ring[:n - first]
        # read after the copy: a block being written (at most `_margin` long) that reaches
        # past start + size is covering these samples
        if self._written + self._margin > start + size:
            return t_ns, None
        return t_ns, out

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """On the reading thread: forget every block not yet popped."""
        self._entries.clear()
