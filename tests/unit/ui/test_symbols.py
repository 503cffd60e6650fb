"""Every symbol the window shows renders with Debian's default fonts (fonts-dejavu-core, what
set-up installs): each non-ASCII character in the strings of ui/ and of what the core gives
the window to show must be in DejaVu Sans. (⏹ and ⛔ were not: they showed as empty boxes.)
Icons come from the Qt style, which needs no font."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest
from PySide6.QtGui import QRawFont

ROOT = Path(__file__).resolve().parents[3]
DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
SHOWN_BY_THE_CORE = [ROOT / "assistant" / "metrics.py"]  # the latency panel's stage help


def string_characters(path: Path) -> dict[str, str]:
    """Non-ASCII characters in the string literals of a module (not its comments), each with
    where it was first seen."""
    found = {}
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    for token in tokens:
        if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            for char in token.string:
                if ord(char) > 127:
                    found.setdefault(char, f"{path.relative_to(ROOT)}:{token.start[0]}")
    return found


def shown_characters() -> dict[str, str]:
    found = {}
    for path in sorted((ROOT / "ui").rglob("*.py")) + SHOWN_BY_THE_CORE:
        for char, where in string_characters(path).items():
            found.setdefault(char, where)
    return found


@pytest.mark.skipif(not DEJAVU_SANS.is_file(), reason="fonts-dejavu-core is not installed")
def test_every_symbol_of_the_window_is_in_dejavu_sans(qapp):
    font = QRawFont(str(DEJAVU_SANS), 12)
    assert font.isValid()
    assert not font.supportsCharacter(ord("⛔"))  # the check can fail
    missing = [f"{char!r} (U+{ord(char):04X}) at {where}"
               for char, where in shown_characters().items()
               if not font.supportsCharacter(ord(char))]
    assert not missing, missing


def test_the_scan_sees_the_symbols_it_checks():
    chars = shown_characters()
    assert "…" in chars and "■" in chars  # "Loading models…", the interrupted badge
