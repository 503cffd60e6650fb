"""llama.cpp writes its logs from C to file descriptor 2, past Python's sys.stderr."""

from __future__ import annotations

import contextlib
import os
import tempfile


@contextlib.contextmanager
def captured_stderr():
    """Send file descriptor 2 to a temporary file: llama.cpp writes its failure logs there
    from C, past Python's sys.stderr. Yields a list that receives the captured text."""
    captured: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as sink:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (a windowed app): nothing to hide
            yield captured
            return
        try:
            os.dup2(sink.fileno(), 2)
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read().decode("utf-8", errors="replace"))
