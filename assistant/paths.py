"""Where settings, models and logs live (platformdirs; overridable for tests and portable use).

`VOICE_ASSISTANT_CONFIG_DIR` and `VOICE_ASSISTANT_DATA_DIR` override the platform folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from assistant import APP_NAME
from assistant.errors import UserError


def config_dir() -> Path:
    override = os.environ.get("VOICE_ASSISTANT_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    override = os.environ.get("VOICE_ASSISTANT_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def default_config_file() -> Path:
    return config_dir() / "settings.toml"


def models_dir() -> Path:
    return data_dir() / "models"


def timers_file() -> Path:
    """The timers and alarms that are set, kept over a restart (assistant/skills/timers.py)."""
    return data_dir() / "timers.json"


def conversation_log_file() -> Path:
    return data_dir() / "conversations.jsonl"


def writable_output(path: Path | str) -> Path:
    """`path` as a file this run may write (its folder is made when missing): checked before
    any model loads, so a typo costs no waiting. UserError in one line otherwise."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise UserError(f"{path} cannot be written: it is a folder; give a file name.")
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise UserError(f"{path} cannot be written: {folder} is a file, not a folder; "
                        "choose another path.")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UserError(f"{path} cannot be written: permission denied; choose another path.")
    return path
