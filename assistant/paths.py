"""Where settings, models and logs live (platformdirs; overridable for tests and portable use).

`VOICE_ASSISTANT_CONFIG_DIR` and `VOICE_ASSISTANT_DATA_DIR` override the platform folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from assistant import APP_NAME


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


def conversation_log_file() -> Path:
    return data_dir() / "conversations.jsonl"
