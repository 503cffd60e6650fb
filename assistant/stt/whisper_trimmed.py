"""Whisper at the utterance's own length: the encoder hears the audio plus a margin instead
of the 30 s window faster-whisper pads every decode to.

An utterance of 2 s padded to 30 s makes the encoder (most of a decode's cost on the CPU)
work 15 times too hard. CTranslate2's Whisper encoder takes fewer than 3,000 frames, so the
features are cut to the audio plus a margin of silence. Whisper was trained on 30 s
windows, though, and a short window sometimes sends the decoder into a loop ("the the
the ..."). Guards catch that: a decode that says the utterance again (whisper_loops.py) is
refused; so is one that reaches a number of tokens bounded by the audio's duration, holds
more words than the audio can, compresses too well (the repetition check faster-whisper
itself uses), repeats a phrase or says a few words over and over.
Whether a short window loops depends on its exact length, so a refused decode is tried again
with a margin of zero features, then with a longer one of silence (MARGINS_S); only when all
are refused does the caller decode with the full window.

Why these margins, in this order (chosen on the 31 real English clips of
assistant/evaluation/english_speech.py with Whisper tiny.en, each with the listener's 0.3 s of
pre-roll and 0.12 s of pause; the times are in the README, "Models"): one margin of 0.5 s was
refused on 7 clips, 1.0 s on 3, 1.0 s then 2.0 s on 2, at the same WER on the accepted ones.
Padding the margin as zero features instead (as faster-whisper pads the rest of a 30 s window)
was refused on none, but its WER was 5.3 % against 4.2 %. With the zero features among the
margins no clip is left for the slow full-window decode, at a slightly higher WER (4.8 %);
tried second, before the 2.0 s of silence, they give the same WER as tried last and the slowest
clips finish a little sooner. Live partials try the first two margins (the zero features alone
made the first words come later). A short window costs some accuracy on the shortest clips
either way ("Damon fried the omelet" comes out "Damon Fred Omelet" in any window under 20 s),
and longer minimum windows traded time for it without a clear trend (8 to 24 s: WER 5.0 to
3.9 %, the decode slower the longer the window).
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from assistant.stt.whisper_loops import first_pass

SAMPLE_RATE = 16000
FRAMES_PER_S = 100  # feature frames (10 ms hops)
# tried in turn: seconds of silence after the audio (the decoder sees the end), a margin of
# zero features (loops least, but a little less accurate; see above), a longer silence
ZERO_FEATURES = ("zeros", 1.0)
MARGINS_S = (1.0, ZERO_FEATURES, 2.0)
MAX_WINDOW_S = 29.0  # beyond this, the full window anyway
TOKENS_PER_S = 8  # fast English speech is about 4 tokens a second
MIN_TOKENS = 12
WORDS_PER_S = 5  # an upper bound for words a second, with the pre-roll and pause counted in
MAX_COMPRESSION = 2.4  # faster-whisper's compression_ratio_threshold


def _seconds(margin) -> float:
    return margin[1] if isinstance(margin, tuple) else margin


def token_budget(seconds: float) -> int:
    """How many tokens an utterance of `seconds` may decode to before it is a runaway."""
    return MIN_TOKENS + math.ceil(seconds * TOKENS_PER_S)


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def _counts(words: list[str], n: int) -> dict[tuple, int]:
    counts: dict[tuple, int] = {}
    for i in range(len(words) - n + 1):
        gram = tuple(words[i:i + n])
        counts[gram] = counts.get(gram, 0) + 1
    return counts


def repeats_a_phrase(text: str) -> bool:
    """A word pair three times, or four words in a row twice: the loops a short window
    causes ("front, left, front, left, front, left", a clause said again at the end). A real
    request rarely repeats itself so; when one does, it only costs a full-window decode."""
    words = [w.strip(".,!?;:\"'").lower() for w in text.split()]
    words = [w for w in words if w]
    return (any(c >= 3 for c in _counts(words, 2).values())
            or any(c >= 2 for c in _counts(words, 4).values()))


def few_words_over_and_over(text: str) -> bool:
    """Five words or more, of which at most two in five differ: "Front, left, left, front,
    left. Front," (a short window on "Front left"). A real request that does this is rare;
    it only costs another decode."""
    words = [w.strip(".,!?;:\"'").lower() for w in text.split()]
    words = [w for w in words if w]
    return len(words) >= 5 and len(set(words)) * 5 <= len(words) * 2


def words_it_holds(seconds: float) -> int:
    """More words than this in `seconds` of audio is not speech (fast speech is about 4 a
    second; a loop on a short window easily says 6 words in 0.8 s)."""
    return 2 + math.floor(seconds * WORDS_PER_S)


def runaway(text: str, n_tokens: int, budget: int, seconds: float | None = None) -> str | None:
    """Why a trimmed decode of `seconds` of audio is not to be trusted, or None. (A loop
    that says the utterance again is cut down to its first pass before this:
    whisper_loops.py.)"""
    if n_tokens >= budget:
        return f"reached its token budget ({budget})"
    if seconds is not None and len(text.split()) > words_it_holds(seconds):
        return "more words than the audio holds"
    if compression_ratio(text) > MAX_COMPRESSION:
        return "repeats itself (compression)"
    if repeats_a_phrase(text):
        return "repeats a phrase"
    if few_words_over_and_over(text):
        return "says a few words over and over"
    return None


class TrimmedDecoder:
    """Greedy decoding of one utterance at its own length with a loaded faster-whisper
    `WhisperModel`. `decode()` gives the text, or None when the guards refuse it."""

    def __init__(self, model, language: str | None):
        from faster_whisper.tokenizer import Tokenizer

        self.model = model
        self.language = language
        self.tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                                   task="transcribe", language=language or "en")
        self.prompt = model.get_prompt(self.tokenizer, [], without_timestamps=True)
        self.suppress = sorted(set(self.tokenizer.non_speech_tokens) | {
            self.tokenizer.transcribe, self.tokenizer.translate, self.tokenizer.sot,
            self.tokenizer.sot_prev, self.tokenizer.sot_lm, self.tokenizer.no_speech})
        self.last_refusal: str | None = None

    def _features(self, audio: np.ndarray, margin) -> np.ndarray:
        if isinstance(margin, tuple):
            features = self.model.feature_extractor(audio)
            frames = features.shape[-1] + int(margin[1] * FRAMES_PER_S)
            frames -= frames % 2  # the encoder halves them
            return np.pad(features, [(0, 0), (0, max(0, frames - features.shape[-1]))])[:, :frames]
        padded = np.concatenate([audio, np.zeros(int(margin * SAMPLE_RATE), np.float32)])
        features = self.model.feature_extractor(padded, padding=0)
        return features[:, :features.shape[-1] - features.shape[-1] % 2]

    def fits(self, audio: np.ndarray) -> bool:
        return len(audio) / SAMPLE_RATE + _seconds(MARGINS_S[0]) <= MAX_WINDOW_S

    def decode(self, audio: np.ndarray, abandon=None, margins=None) -> str | None:
        """`audio`: float32 mono at 16 kHz; each margin in turn until the guards accept the
        text. `abandon()`, asked between the encoder and the decoder, may drop the decode
        (None, `last_refusal` "abandoned")."""
        seconds = len(audio) / SAMPLE_RATE
        for margin in margins or MARGINS_S:
            if seconds + _seconds(margin) > MAX_WINDOW_S:
                continue
            text = self._decode_once(audio, margin, abandon)
            if text is not None or self.last_refusal == "abandoned":
                return text
        return None

    def _decode_once(self, audio: np.ndarray, margin, abandon) -> str | None:
        """One decode; `margin` is seconds of silence after the audio, or ("zeros", s): that
        many seconds of zero features, as faster-whisper pads the rest of a 30 s window."""
        seconds = len(audio) / SAMPLE_RATE
        encoded = self.model.encode(self._features(audio, margin))
        if abandon is not None and abandon():
            self.last_refusal = "abandoned"
            return None
        budget = token_budget(seconds)
        result = self.model.model.generate(
            # one token past the budget: CTranslate2 counts the start token within the prompt,
            # so reaching the budget is seen, not cut one short
            encoded, [self.prompt], beam_size=1, max_length=len(self.prompt) + budget + 1,
            suppress_blank=True, suppress_tokens=self.suppress, return_scores=False)[0]
        tokens = [t for t in result.sequences_ids[0] if t < self.tokenizer.eot]
        text = self.tokenizer.decode(tokens).strip()
        if first_pass(text) is not None:
            # started over when the audio ran out: a window this short is not to be trusted,
            # not even its first pass ("Ten minute timer." came out "10-bit timer" twice, where
            # the next margin heard it right); the full window's loops are cut (whisper.py)
            self.last_refusal = "says the utterance again"
            return None
        self.last_refusal = runaway(text, len(tokens), budget, seconds)
        return None if self.last_refusal else text
