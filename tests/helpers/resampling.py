"""Where audio is resampled: every soxr call (one-shot or streaming) counted with the thread
that made it, and the bytes a piece of code allocates (numpy's arrays included)."""

from __future__ import annotations

import threading
import tracemalloc
from contextlib import contextmanager

import soxr


class ResampleCalls:
    """Patches soxr (with pytest's monkeypatch) so each call is recorded as (kind, thread)."""

    def __init__(self, monkeypatch):
        self.calls: list[tuple[str, str]] = []
        resample, resample_chunk = soxr.resample, soxr.ResampleStream.resample_chunk

        def counted_resample(*args, **kwargs):
            self.calls.append(("resample", threading.current_thread().name))
            return resample(*args, **kwargs)

        def counted_chunk(stream, *args, **kwargs):
            self.calls.append(("resample_chunk", threading.current_thread().name))
            return resample_chunk(stream, *args, **kwargs)

        monkeypatch.setattr(soxr, "resample", counted_resample)
        monkeypatch.setattr(soxr.ResampleStream, "resample_chunk", counted_chunk)

    def __len__(self) -> int:
        return len(self.calls)

    def clear(self) -> None:
        self.calls.clear()

    @contextmanager
    def none_allowed(self, what: str):
        """Fails if anything resamples inside the block."""
        before = len(self.calls)
        yield
        made = self.calls[before:]
        assert not made, f"{what} resampled: {made}"


@contextmanager
def peak_allocation():
    """Yields a list that holds, after the block, the most bytes allocated at once inside it."""
    result: list[int] = []
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        yield result
        _, peak = tracemalloc.get_traced_memory()
        result.append(peak - start)
    finally:
        tracemalloc.stop()
