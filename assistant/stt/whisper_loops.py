"""Whisper's loops: when the audio runs out before the decoder thinks the window is over, it
often says the utterance again. "Weasels have eaten our phone system. Weasels have eaten our
phone system. We" (all three short windows of that real recording), "Damon Fred Omelet.
Damon Fred Omelet" (the full window of a 0.9 s clip), "Thanks Thanks Thanks Thanks Thanks".
The first pass is the words; the rest is not speech.

A text is taken for a loop when it is a phrase said again and again, and is cut down to the
phrase:

- a phrase and a piece of it again, two words or more ("Bobby ripped the ledger. Bobby
  ripped the led"), or two whole copies and a piece of a third (a loop cut short);
- two or more whole copies of a phrase of two words or more ("Front, left. Front, left.");
- three or more copies of one word.

Left alone: a phrase and one word of it again ("Go left. Go"), and one word said twice ("Bye bye",
"Knock knock"), which people do say. Someone who really says a whole sentence twice is heard
once; the meaning is the same.
"""

from __future__ import annotations


def _plain_words(text: str) -> tuple[list[str], list[int]]:
    """The words of `text` without case or punctuation, and where each is in `text.split()`."""
    plain, where = [], []
    for i, token in enumerate(text.split()):
        word = "".join(ch for ch in token.lower() if ch.isalnum() or ch == "'")
        if word:
            plain.append(word)
            where.append(i)
    return plain, where


def _period(plain: list[str]) -> int | None:
    """How many words the repeated phrase has, when `plain` is a loop (see above)."""
    spoken = " ".join(plain)
    for k in range(1, len(plain) // 2 + 1):
        unit = " ".join(plain[:k]) + " "
        if len(spoken) <= len(unit):
            break  # not even one copy and a piece
        if spoken != (unit * (len(spoken) // len(unit) + 1))[:len(spoken)]:
            continue
        if (len(spoken) + 1) % len(unit):  # ends in a piece of a copy
            if len(spoken) > 2 * len(unit) or len(spoken[len(unit):].split()) >= 2:
                return k
            continue
        copies = (len(spoken) + 1) // len(unit)
        if k >= 2 or copies >= 3:
            return k
    return None


def first_pass(text: str) -> str | None:
    """The phrase a looped `text` repeats, as the decoder wrote it the first time (with its
    punctuation), or None when `text` is not a loop."""
    plain, where = _plain_words(text)
    k = _period(plain)
    if k is None:
        return None
    return " ".join(text.split()[:where[k - 1] + 1])


def without_loop(text: str) -> str:
    """`text`, or its first pass when it loops."""
    return first_pass(text) or text
