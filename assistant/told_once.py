"""Notices said once: shown to the person the first time, then remembered in `told.json` in
the settings folder and only logged.

A notice like that is a `OnceNotice`: the sentence, a `str` like any notice, with the key it
is remembered by (the Vosk notice: `whisper-for-vosk:en`). It travels as any notice does (a
`notify` callback, `Notice.message`); the places that show notices to a person (the
`transcribe` and `listen` commands, the window) ask `first_time` before they do. A log or a
test just takes the string. An unreadable file counts as nothing told.
"""

from __future__ import annotations

import logging
from pathlib import Path

from assistant import paths
from assistant.asked import AskedOnce

log = logging.getLogger(__name__)


class OnceNotice(str):
    key: str

    def __new__(cls, text: str, key: str):
        notice = super().__new__(cls, text)
        notice.key = key
        return notice


def default_path() -> Path:
    return paths.config_dir() / "told.json"


def first_time(message: str, path: Path | None = None) -> bool:
    """Whether to show `message`: any notice but a `OnceNotice` already told. Remembers it
    as told (showing it is the caller's part)."""
    key = getattr(message, "key", None)
    if not key:
        return True
    told = AskedOnce(path if path is not None else default_path())
    if told.answered(key):
        log.info("%s", message)
        return False
    told.remember(key, "told")
    return True
