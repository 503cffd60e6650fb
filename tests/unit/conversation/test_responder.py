import numpy as np
import pytest

from assistant.conversation.responder import SentenceCounter
from assistant.conversation.synthesizer import trim_leading_silence


def feed_all(text: str, limit: int = 0, step: int = 1):
    counter = SentenceCounter(limit=limit)
    for start in range(0, len(text), step):
        piece = text[start:start + step]
        cut = counter.feed(piece)
        if cut is not None:
            return counter.count, text[:start + cut]
    return counter.count, None


@pytest.mark.parametrize("text,count", [
    ("It is 9. Then more. ", 2),
    ("Pi is 3.14 and e is 2.71. ", 1),
    ("Dr. Smith is here! Really? ", 2),
    ("Say e.g. this and i.e. that. ", 1),
    ("one.two ", 0),
    ("Hi.\n\nBye. ", 2),
    ("No end here", 0),
])
def test_sentences_are_counted_at_the_space_after_them(text, count):
    for step in (1, 3, 100):
        assert feed_all(text, step=step)[0] == count


@pytest.mark.parametrize("step", [1, 2, 5, 50])
def test_the_limit_cuts_at_the_end_of_the_last_sentence_allowed(step):
    text = "First one. Second one! I would go on."
    count, kept = feed_all(text, limit=2, step=step)
    assert count == 2
    assert kept == "First one. Second one!"


def test_leading_silence_is_dropped_but_not_the_onset():
    rate = 16000
    tone = 0.5 * np.sin(np.arange(800) / 5).astype(np.float32)
    audio = np.concatenate([np.zeros(1600, np.float32), tone])
    trimmed = trim_leading_silence(audio, rate)
    assert len(audio) - len(trimmed) > 1400  # most of the 100 ms lead-in is gone
    assert np.array_equal(trimmed[-800:], tone)
    assert len(trim_leading_silence(np.zeros(100, np.float32), rate)) == 0
