"""The conversation log: one JSON line per finished turn, flushed and fsynced per turn.

Appending whole lines with a single write and syncing after each one means a process killed
mid-turn loses at most that turn; a torn last line (power loss during the write) is skipped
when reading.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)


class ConversationLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, record: dict) -> None:
        record = {"logged_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **record}
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                self._heal_torn_tail(fd)
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)

    def _heal_torn_tail(self, fd: int) -> None:
        """If a previous write was cut off, start on a fresh line so this record stays whole."""
        size = os.fstat(fd).st_size
        if size == 0:
            return
        with open(self.path, "rb") as fh:
            fh.seek(size - 1)
            if fh.read(1) != b"\n":
                os.write(fd, b"\n")

    def read(self) -> list[dict]:
        """Every whole record; a torn or corrupt line is skipped with a warning."""
        if not self.path.exists():
            return []
        records = []
        with open(self.path, "rb") as fh:
            for number, raw in enumerate(fh, 1):
                try:
                    records.append(json.loads(raw.decode("utf-8")))
                except (ValueError, UnicodeDecodeError):
                    log.warning("skipping unreadable line %d of %s", number, self.path)
        return records
