"""Turn LLM text into something a voice can say.

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


def clean_for_speech(text: str) -> str:
    """Strip markdown, emoji and code symbols; normalise whitespace. May return ""."""
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
