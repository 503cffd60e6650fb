"""The API's access token: made on first use in the user config dir as `api-token` (mode 0600),
replaced by `serve --new-token`. Every request but `GET /v1/health` must carry it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from assistant.errors import UserError
from assistant.paths import config_dir


def token_file() -> Path:
    return config_dir() / "api-token"


def api_token(new: bool = False, path: Path | None = None) -> str:
    """The token (made when missing, or when `new`)."""
    path = path or token_file()
    if not new:
        try:
            token = path.read_text(encoding="ascii").strip()
            if token:
                if path.stat().st_mode & 0o077:  # readable by others: tighten it
                    path.chmod(0o600)
                return token
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"Cannot read the API token {path} ({exc}); "
                            "run `voice-assistant serve --new-token` to make a new one.") from None
    token = secrets.token_urlsafe(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(token + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise UserError(f"Cannot write the API token to {path} ({exc}); "
                        "check that the folder is writable.") from None
    return token
