"""What native libraries write to file descriptor 2 (llama.cpp, Kaldi, CTranslate2), past
Python's sys.stderr: caught while a model loads, so a bad model gives the person our one
line instead of a page of C++ log."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import Callable, Iterator


@contextlib.contextmanager
def captured_stderr(keep: Callable[[str], bool] = lambda line: False) -> Iterator[list[str]]:
    """Send file descriptor 2 to a temporary file for the duration. Yields a list that
    receives the captured text; the lines `keep` accepts (output of other threads meanwhile,
    not the library's log) are written back to stderr afterwards."""
    captured: list[str] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (a windowed app, closed): nothing to catch
        yield captured
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace")
            captured.append(text)
            kept = [line for line in text.splitlines(True) if keep(line)]
            if kept:
                sys.stderr.write("".join(kept))
