"""The main window's size and place, kept over a restart in `window.json` in the settings
folder: a window a person keeps open all day comes back where they left it. What is restored
is fitted to the screen there is now (a laptop after a large monitor), and an unreadable file
counts as none."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray

from assistant import paths
from assistant.json_file import Unreadable, read_json, write_json
from ui import screen_fit


def default_path() -> Path:
    return paths.config_dir() / "window.json"


def save(window, path: Path | None = None) -> bool:
    data = {"geometry": bytes(window.saveGeometry().toBase64()).decode("ascii")}
    return write_json(path or default_path(), data, "the window's size and place")


def restore(window, path: Path | None = None) -> bool:
    """Put `window` where it was; False (and it stays as it is) when nothing was kept."""
    try:
        data = read_json(path or default_path(), "the window's size and place", default={})
    except Unreadable:
        return False
    kept = data.get("geometry") if isinstance(data, dict) else None
    if not isinstance(kept, str) or not window.restoreGeometry(
            QByteArray.fromBase64(kept.encode("ascii"))):
        return False
    screen = window.screen()
    if screen is not None and not screen.availableGeometry().contains(window.geometry()):
        window.setGeometry(screen_fit.fit(screen.availableGeometry(), window.size()))
    return True
