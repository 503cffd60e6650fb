"""Turn LLM text into something a voice can say.

`sanitize` makes any str safe to hand to an engine: text decoded leniently (JSON with a lone
"\ud83d", bytes read as latin-1 then re-encoded) can hold lone surrogates, which cannot even be
encoded as UTF-8 and crash both espeak-ng and piper; control characters make piper refuse the
text ("embedded null character") and terminal colour codes would be read out.

Small models write markdown and emoji even when asked not to. A TTS engine reads "**" as
"asterisk asterisk", so every chunk passes through `clean_for_speech` before synthesis. The
function works on a chunk at a time: markup split across two chunks (the opening "**" in one,
the closing one in the next) is still removed because every markup character is dropped on its
own, not only in matched pairs.
"""

from __future__ import annotations

import re
import unicodedata

_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*\)")
_LINE_MARKUP = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*|>[ \t]?|[-*+•][ \t]+|\d{1,3}[.)][ \t]+)", re.MULTILINE
)
_CODE_FENCE = re.compile(r"```[\w+-]*")
_TIMES = re.compile(r"(?<=\d)\s*[*×]\s*(?=\d)")
_NUMBER_SIGN = re.compile(r"#(?=\d)")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_SPACES = re.compile(r"\s+")
_LEADING_PUNCT = re.compile(r"^[\s.,;:!?)\]]+")
_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[@-_])")  # terminal escape sequences
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1, not tab or newline

# Characters that are markup or code noise in speech; dropped wherever they appear.
_DROP = set("*_`~^|\\{}[]<>#")
# Spoken replacements for a few symbols a voice would otherwise skip or misread.
_REPLACE = {"&": " and ", "°": " degrees ", "→": " to ", "…": "...", "\u00a0": " "}
# Emoji glue: variation selectors, zero-width joiner, keycap, tags.
_EMOJI_GLUE = {0xFE0E, 0xFE0F, 0x200D, 0x20E3}


def _keep(ch: str) -> bool:
    if ch in _DROP:
        return False
    code = ord(ch)
    if code in _EMOJI_GLUE or 0xE0020 <= code <= 0xE007F:
        return False
    # So = emoji and pictographs; Sk = skin tones and modifier symbols; Co/Cs/Cn = no sound.
    return unicodedata.category(ch) not in ("So", "Sk", "Co", "Cs", "Cn", "Cc") or ch in "\n\t"


def sanitize(text: str) -> str:
    """Valid Unicode without control characters: surrogate pairs joined, lone surrogates and
    noncharacters dropped, controls (but tab and newline) turned into spaces, NFC."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        text = text.replace("\ufffd", "")
    text = _CONTROL.sub(" ", _ANSI.sub("", text))
    text = "".join(ch for ch in text if not _noncharacter(ch))
    return unicodedata.normalize("NFC", text)


def _noncharacter(ch: str) -> bool:
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def clean_for_speech(text: str) -> str:
    """Strip markdown, emoji and code symbols; normalise whitespace. May return ""."""
    text = sanitize(text)
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _CODE_FENCE.sub(" ", text)
    text = _LINE_MARKUP.sub("", text)
    text = _TIMES.sub(" times ", text)
    text = _NUMBER_SIGN.sub("number ", text)
    for symbol, spoken in _REPLACE.items():
        text = text.replace(symbol, spoken)
    # An underscore joins words (snake_case) or marks emphasis (_word_): either way a space.
    text = text.replace("_", " ")
    text = "".join(ch for ch in text if _keep(ch))
    text = _SPACES.sub(" ", text).strip()
    text = _LEADING_PUNCT.sub("", text)  # what is left of ". 🎉" after the emoji went
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def is_speakable(text: str) -> bool:
    """True when the text holds at least one letter or digit (punctuation alone says nothing)."""
    return any(ch.isalnum() for ch in text)
