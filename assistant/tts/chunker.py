"""Cut a stream of LLM tokens into pieces a voice can start speaking.

The first chunk goes out at the first natural break: a sentence end, or a clause break (comma,
semicolon, colon, dash, ellipsis) once it has a few words, or at a word boundary once it has
`first_max_words` words. That is what lets speech start while the model is still writing.
Later chunks are whole sentences (better prosody), except that a sentence longer than
`soft_max_words` is split at its next clause break, and one longer than `hard_max_words` at a
word boundary.

Every decision looks at the text up to one character past the candidate break (a full stop
only ends a sentence when whitespace follows it), so "$29" + "." + "99" never splits, and the
result is the same whether the text arrives character by character or in any other pieces;
with one exception, the first chunk's bound in tokens (`first_max_tokens`; the LLM says how
many tokens the reply has cost, else each `feed` call counts as one): what the listener waits
for is tokens, and a reply in a script the model spells byte by byte (Korean, say) spends
several tokens on each character, which the LLM hands out only once it is whole. Past that
many tokens the first chunk ends at the last word boundary it has.

`ramp` (0: off) is for a voice whose synthesis time grows with each word, which gets a short
first chunk: the next chunk must be ready before that one has been heard, so the chunks after
the first grow step by step, at most `first_max_words * ramp**k` words for the k-th (a clause
break ends one from half that), until they reach sentences.

Chinese and Japanese put no space after a sentence: their full stops ("。！？") end one where
they stand, and their commas ("，、") are clause breaks once a chunk has a few characters. And
no chunk grows past `hard_max_chars` (text without spaces, a pasted blob): it is cut at its last
space, or mid-word when it has none, so synthesis time per chunk stays bounded.
"""

from __future__ import annotations

import re

from assistant.tts.text_cleanup import clean_for_speech, is_speakable

# Words that end in a full stop without ending the sentence (compared lower-case, no dot).
ABBREVIATIONS = frozenset(
    """mr mrs ms mx dr prof sr jr st mt ft vs etc approx dept est fig gen gov sen rep capt lt
    col sgt cpl ave blvd inc ltd co corp no vol pp ch sec min max cf al""".split()
)
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?")  # e.g  i.e  U.S  a.m  J
_CLOSERS = "\"')]}”’»"
_OPENERS = "\"'([{“‘«"
_CLAUSE = ",;:"
_DASHES = "-–—"
_CJK_SENTENCE = "。！？｡"
_CJK_CLAUSE = "，、；：､"
_CJK_CLOSERS = "」』）】〉》〕"


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


class Chunker:
    """`feed(token)` returns the chunks completed by that token; `flush()` returns the rest."""

    def __init__(
        self,
        first_min_words: int = 3,
        first_max_words: int = 10,
        soft_max_words: int = 20,
        hard_max_words: int = 40,
        hard_max_chars: int = 300,
        first_max_tokens: int = 0,
        clean: bool = True,
        ramp: int = 0,
    ):
        """`clean=False` keeps the text as it is (only whitespace is trimmed), for splitting
        text that an engine was given directly."""
        self.first_min_words = first_min_words
        self.first_max_words = first_max_words
        self.soft_max_words = soft_max_words
        self.hard_max_words = hard_max_words
        self.hard_max_chars = max(2, hard_max_chars)
        self.first_max_tokens = first_max_tokens  # 0: no bound in tokens
        self.clean = clean
        self.ramp = ramp
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next chunk is a first chunk again."""
        self._buf = ""
        self._first = True
        self._first_tokens = 0  # tokens the reply has cost while the first chunk is open
        self._emitted = 0  # chunks given out so far

    @property
    def pending(self) -> str:
        """Text received but not yet emitted."""
        return self._buf

    def feed(self, token: str, tokens_so_far: int | None = None) -> list[str]:
        """Take the next piece of the reply; return the chunks it completes. A piece is
        counted as one token unless `tokens_so_far` says how many the reply has cost (an
        LLM that hands out a character spelled in several tokens only once it is whole)."""
        if not token:
            return []
        self._buf += token
        if self._first:
            self._first_tokens = (self._first_tokens + 1 if tokens_so_far is None
                                  else max(tokens_so_far, self._first_tokens + 1))
        chunks: list[str] = []
        while True:
            cut = self._find_break(self._buf)
            if (cut is None and self._first and self.first_max_tokens
                    and self._first_tokens >= self.first_max_tokens):
                cut = _last_word_boundary(self._buf)
            if cut is None:
                return chunks
            piece, self._buf = self._buf[:cut], self._buf[cut:]
            self._emit(piece, chunks)

    def flush(self) -> list[str]:
        """The end of the reply: whatever is left becomes the last chunk."""
        chunks: list[str] = []
        self._emit(self._buf, chunks)
        self._buf = ""
        return chunks

    def drop_unfinished_sentence(self) -> str:
        """The reply was cut at the token limit: forget the trailing half sentence, unless
        nothing has been said yet (then it is all there is). Returns what was dropped."""
        if self._first:
            return ""
        dropped, self._buf = self._buf, ""
        return dropped

    def _emit(self, piece: str, out: list[str]) -> None:
        text = clean_for_speech(piece) if self.clean else piece.strip()
        if is_speakable(text):
            out.append(text)
            self._first = False
            self._emitted += 1

    # --- finding the break ----------------------------------------------------------------

    def _find_break(self, buf: str) -> int | None:
        """Index where the chunk ends (a whitespace character, or the character after a CJK
        break or the hard cut), or None."""
        words = 0
        word_start = -1
        last_space = -1
        link_depth = 0  # inside "[text](url)" nothing breaks except the hard limits
        for i, ch in enumerate(buf):
            if i >= self.hard_max_chars:  # buf[:i] is as long as a chunk may be
                space = i if ch.isspace() else last_space
                return space if space > 0 and buf[:space].strip() else i
            if ch == "[" or (ch == "(" and i > 0 and buf[i - 1] == "]"):
                link_depth += 1
            elif ch in "])" and link_depth > 0:
                link_depth -= 1
            if not ch.isspace():
                if word_start < 0:
                    word_start = i
                if ch in _CJK_SENTENCE or ch in _CJK_CLAUSE:
                    cut = self._cjk_break(buf, i, link_depth)
                    if cut is not None:
                        return cut if cut > 0 else None
                continue
            last_space = i
            if word_start >= 0:
                word = buf[word_start:i]
                word_start = -1
                if _is_word(word):
                    words += 1
                    kind = "" if link_depth else self._break_kind(word, buf, i)
                elif words and not link_depth:
                    # "day 😀!" or "word - word": punctuation standing apart still counts
                    kind = "clause" if word in _DASHES else self._break_kind(word, buf, i)
                else:
                    kind = ""
            else:
                kind = ""
            if ch == "\n" and words and not link_depth:
                return i
            if self._should_break(kind, words):
                return i
        return None

    def _cjk_break(self, buf: str, i: int, link_depth: int) -> int | None:
        """After a CJK full stop or comma at buf[i]: where the chunk ends (after any closing
        brackets), 0 to wait for more text, None for no break here."""
        if link_depth:
            return None
        end = i + 1
        while end < len(buf) and buf[end] in _CJK_CLOSERS + _CLOSERS:
            end += 1
        if end >= len(buf):
            return 0  # the next character decides (a closing bracket may follow)
        if buf[i] in _CJK_SENTENCE:
            return end
        size = len(buf[:end].strip())  # CJK commas: a clause once it has a few characters
        limit = 6 if self._first else 60
        return end if size >= limit else None

    def _should_break(self, kind: str, words: int) -> bool:
        if kind == "sentence":
            return True
        if self._first:
            if kind == "clause" and words >= self.first_min_words:
                return True
            return words >= self.first_max_words
        limit = self._ramp_limit()
        if limit is not None:
            return (kind == "clause" and words >= max(1, limit // 2)) or words >= limit
        if kind == "clause" and words >= self.soft_max_words:
            return True
        return words >= self.hard_max_words

    def _ramp_limit(self) -> int | None:
        """The most words the chunk being made may hold while the chunks still grow."""
        if self.ramp <= 1:
            return None
        limit = self.first_max_words * self.ramp ** self._emitted
        return limit if limit < self.soft_max_words else None

    @staticmethod
    def _break_kind(word: str, buf: str, end: int) -> str:
        """What the word just finished (ending at buf[end]) does to the sentence."""
        core = word.rstrip(_CLOSERS + "*_`")  # "**Done!**" ends a sentence too
        if not core:
            return ""
        last = core[-1]
        if last in "!?":
            return "sentence"
        if last == "…" or core.endswith(".."):
            return "clause"
        if last == ".":
            return "" if _is_abbreviation(core[:-1], buf, end - len(word)) else "sentence"
        if last in _CLAUSE:
            return "clause"
        return ""


def _is_abbreviation(stem: str, buf: str, word_start: int) -> bool:
    """True when the full stop after `stem` does not end a sentence."""
    stem = stem.lstrip(_OPENERS)
    if not stem:
        return False
    if stem.lower() in ABBREVIATIONS or _INITIALS.fullmatch(stem):
        return True
    if len(stem) == 1 and stem.isalpha() and stem.isupper():
        return True  # an initial: "J. Smith"
    if stem.isdigit():
        # "1. First item" at the start of a line is a list number, not a sentence.
        line_start = buf.rfind("\n", 0, word_start) + 1
        return not buf[line_start:word_start].strip()
    return False


def _last_word_boundary(buf: str) -> int | None:
    """Index of the last white space that ends a word (outside any "[link](...)"), or None."""
    for i in range(len(buf) - 1, 0, -1):
        if buf[i].isspace() and not buf[i - 1].isspace():
            head = buf[:i]
            if _is_word(head) and head.count("[") == head.count("]") \
                    and head.count("(") == head.count(")"):
                return i
    return None


def split_for_synthesis(text: str, max_chars: int = 300) -> list[str]:
    """Text an engine was handed in one piece (a `say` of a whole file, a reply that did not
    pass the chunker), cut into sentences of at most `max_chars`, unchanged otherwise; the
    first piece is short so audio starts soon. Short text comes back as it is."""
    if len(text) <= max_chars:
        return [text] if is_speakable(text) else []
    chunker = Chunker(hard_max_chars=max_chars, clean=False)
    return chunker.feed(text) + chunker.flush()
