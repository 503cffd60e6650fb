"""Small JSON files the app keeps for itself (answers to offers, speed figures, timers): read
without ever failing the caller, written atomically (a temporary file beside it, then a
rename), so a crash mid-write leaves the old file whole."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


class Unreadable(Exception):
    """The file is there but holds no JSON this version can read."""


def read_json(path: Path, what: str, default=None):
    """The file's data; `default` when it does not exist. An unreadable file is logged as
    `what` and raises Unreadable (the caller decides: ignore it, or set it aside)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        log.warning("ignoring the unreadable %s %s (%s)", what, path, exc)
        raise Unreadable(str(exc)) from None


def write_json(path: Path, data, what: str) -> bool:
    """Write `data` atomically; a failure is logged as `what`, never raised (False)."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
        tmp = None
        return True
    except (OSError, TypeError, ValueError) as exc:
        log.warning("could not write the %s to %s (%s)", what, path, exc)
        return False
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
