"""What of a reply goes back into the history: a garbled reply must not poison the next.

A small model that once loops ("I'm sorry for any mistakes. I'm sorry for any mistakes.")
or rambles in markdown tends to do it again when it reads its own reply back. So before a
reply is kept, it is cut where it starts to repeat itself (the first sentence that repeats a
word 4-gram already said, or a 4-gram repeated within the first sentence), and markup is
dropped. A clean reply is kept exactly as written, so the next prompt still shares its
prefix with llama.cpp's cache.
"""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-z0-9']+")
_MARKUP = re.compile(r"[*_#`|~]+|^\s*[-+]\s+|^\s*\d+\.\s+", re.MULTILINE)
N = 4


def _grams(words: list[str]) -> list[tuple[str, ...]]:
    return [tuple(words[i:i + N]) for i in range(len(words) - N + 1)]


def tidy_reply(text: str) -> str:
    """`text` as the history keeps it (see the module's docstring)."""
    text = text.strip()
    if not text:
        return text
    cleaned = _MARKUP.sub("", text).strip()
    seen: set[tuple[str, ...]] = set()
    kept: list[str] = []
    for sentence in _SENTENCE.split(cleaned):
        words = _WORD.findall(sentence.lower())
        grams = _grams(words)
        if any(g in seen for g in grams):
            break  # the loop starts here
        if len(set(grams)) < len(grams):  # it repeats itself within the sentence
            kept.append(_cut_at_repeat(sentence))
            break
        seen.update(grams)
        kept.append(sentence)
    result = " ".join(s for s in kept if s).strip()
    return text if result == text else result


def _cut_at_repeat(sentence: str) -> str:
    """The sentence up to where its first repeated 4-gram comes round again."""
    tokens = sentence.split()
    words = [(_WORD.findall(t.lower()) or [""])[0] for t in tokens]
    seen: set[tuple[str, ...]] = set()
    for i in range(len(words) - N + 1):
        gram = tuple(words[i:i + N])
        if gram in seen:
            return " ".join(tokens[:i]).rstrip(" ,;:") + "."
        seen.add(gram)
    return sentence
