"""A transcript as the skills read it: lower case, numbers as digits, units and clock marks in
one spelling, punctuation gone (except inside numbers and times).

"Set a ten-minute timer, please." -> "set a 10 minute timer please"
"Wake me at 7.30 a.m." -> "wake me at 7:30 am"

Spelled numbers become digits through text2num (`alpha2digit`); "second" stays a unit (text2num
would read it as the ordinal "2nd").
"""

from __future__ import annotations

import re

from text_to_num import alpha2digit

_SECOND = re.compile(r"\bseconds?\b")
_SECOND_MARK = "\u0001"  # stands in for "second" while numbers are converted
_AM_PM = re.compile(r"\b([ap])\.?\s?m\b\.?")
_CLOCK_DOT = re.compile(r"\b(\d{1,2})\.(\d{2})\b(?!\s*(?:hours?|minutes?|seconds?))")
_PUNCT = re.compile(r"[^\w\s:.'\u0001]|(?<!\d)[.:]|[.:](?!\d)|'(?!s\b|t\b|re\b|ll\b|m\b|ve\b|d\b)")
_SPACES = re.compile(r"\s+")
# how recognizers and people write units and fillers, in one spelling
_WORDS = {
    "hrs": "hours", "hr": "hour", "mins": "minutes", "min": "minute", "secs": "seconds",
    "sec": "second", "okay": "ok",
}


def normalize(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("-", " ")
    text = re.sub(r"\bo'? ?clock\b", "oclock", text)
    text = _AM_PM.sub(lambda m: f" {m.group(1)}m ", text)
    text = _CLOCK_DOT.sub(r"\1:\2", text)  # "7.30" from a recognizer is a time of day
    text = _PUNCT.sub(" ", text)
    text = _SECOND.sub(lambda m: _SECOND_MARK + ("s" if m.group(0).endswith("s") else ""), text)
    try:
        text = alpha2digit(text, "en", threshold=0)
    except Exception:  # text2num refuses odd input: keep the words as they are
        pass
    text = text.replace(_SECOND_MARK, "second")
    words = [_WORDS.get(word, word) for word in _SPACES.split(text.strip())]
    return " ".join(word for word in words if word)
