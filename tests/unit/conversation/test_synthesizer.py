"""The synthesizer's seams: a chunk cut mid-phrase keeps only a word gap of its trailing
silence and the chunk after it loses its lead-in; a cut at a punctuation mark keeps the
voice's own pause."""

from __future__ import annotations

import numpy as np

from assistant.clock import ManualClock
from assistant.conversation.synthesizer import SEAM_MS, Synthesizer, ends_mid_phrase
from assistant.events import TextChunk

RATE = 22050
LEAD_S, WORD_S, TAIL_S = 0.03, 0.25, 0.2


class UtteranceTts:
    """Each sentence of a text as one piece, as Piper gives it: a lead-in, a tone per word,
    and an utterance's trailing silence."""

    sample_rate = RATE

    def synthesize(self, text: str):
        for sentence in [s for s in text.replace(". ", ".|").split("|") if s.strip()]:
            tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(int(RATE * WORD_S)) / RATE)
            yield np.concatenate([np.zeros(int(RATE * LEAD_S)),
                                  np.tile(tone, len(sentence.split())),
                                  np.zeros(int(RATE * TAIL_S))]).astype(np.float32)

    def cancel(self) -> None:
        pass


def spoken(synthesizer, index: int, text: str, generation: int = 1) -> list[np.ndarray]:
    chunk = TextChunk(turn_id=1, generation=generation, t_ns=0, text=text, index=index)
    return [audio.samples for audio, _ready in synthesizer.process(chunk)]


def silence_s(samples: np.ndarray, end: bool) -> float:
    loud = np.flatnonzero(np.abs(samples) > 0.003)
    return ((len(samples) - 1 - loud[-1]) if end else loud[0]) / RATE


def test_what_ends_a_phrase():
    assert ends_mid_phrase("You should say") and ends_mid_phrase('He said "hello')
    assert not ends_mid_phrase("Sure,") and not ends_mid_phrase('You should say "Hi."')
    assert not ends_mid_phrase("Well...") and not ends_mid_phrase("北京。")


def test_a_cut_mid_phrase_leaves_a_word_gap_not_an_utterance_end():
    synthesizer = Synthesizer(UtteranceTts(), ManualClock(), is_current=lambda g: True)
    first = spoken(synthesizer, 0, "You should say")
    second = spoken(synthesizer, 1, "Bobby ripped the ledger. Then he left.")
    assert len(first) == 1 and silence_s(first[0], end=True) <= SEAM_MS / 1000 + 0.001
    assert silence_s(second[0], end=False) < 0.01  # no lead-in after the cut
    # the sentences of a chunk that ends at a full stop keep their pauses
    assert [round(silence_s(p, end=True), 2) for p in second] == [TAIL_S, TAIL_S]


def test_a_cut_at_a_comma_keeps_the_voice_s_pause():
    synthesizer = Synthesizer(UtteranceTts(), ManualClock(), is_current=lambda g: True)
    first = spoken(synthesizer, 0, "Sure, I can help,")
    second = spoken(synthesizer, 1, "here it is.")
    assert round(silence_s(first[-1], end=True), 2) == TAIL_S
    assert round(silence_s(second[0], end=False), 2) == LEAD_S


def test_the_lead_in_is_kept_after_a_cut_in_another_reply():
    synthesizer = Synthesizer(UtteranceTts(), ManualClock(), is_current=lambda g: True)
    spoken(synthesizer, 0, "You should say", generation=1)
    later = spoken(synthesizer, 1, "something else.", generation=2)
    assert round(silence_s(later[0], end=False), 2) == LEAD_S
