"""The chunker: LLM tokens in, speakable chunks out.

Every case is fed four ways (all at once, character by character, as LLM-style word tokens with
a leading space, and in random pieces that split words and numbers) and must give the same
chunks each time.
"""

from __future__ import annotations

import random
import re

import pytest

from assistant.tts.chunker import Chunker
from assistant.tts.text_cleanup import clean_for_speech


def _llm_tokens(text: str) -> list[str]:
    """Pieces like a BPE tokenizer makes: ' word', ',', '.', digits apart."""
    return re.findall(r"\s*[A-Za-z]+|\s*\d|\s*[^\sA-Za-z\d]|\s+", text)


def _random_pieces(text: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces, i = [], 0
    while i < len(text):
        n = rng.randint(1, 6)
        pieces.append(text[i : i + n])
        i += n
    return pieces


def _run(pieces: list[str], **kwargs) -> list[str]:
    chunker = Chunker(**kwargs)
    out: list[str] = []
    for piece in pieces:
        out += chunker.feed(piece)
    return out + chunker.flush()


def chunks_every_way(text: str, **kwargs) -> list[str]:
    whole = _run([text], **kwargs)
    assert _run(list(text), **kwargs) == whole, "character by character differs"
    assert "".join(_llm_tokens(text)) == text
    assert _run(_llm_tokens(text), **kwargs) == whole, "LLM-style tokens differ"
    for seed in range(5):
        assert _run(_random_pieces(text, seed), **kwargs) == whole, f"random pieces {seed}"
    return whole


CASES = [
    # (id, text, expected chunks)
    ("price", "It costs $29.99 today. Want it?", ["It costs $29.99 today.", "Want it?"]),
    ("decimal", "Pi is about 3.14159 and e is 2.718. Nice.", ["Pi is about 3.14159 and e is 2.718.", "Nice."]),
    ("version", "Install version 3.5 now.", ["Install version 3.5 now."]),
    ("dr", "Dr. Smith will see you now. Please wait.", ["Dr. Smith will see you now.", "Please wait."]),
    ("mr-mrs", "Mr. and Mrs. Jones moved. They like it.", ["Mr. and Mrs. Jones moved.", "They like it."]),
    ("street", "She lives on Elm St. near the park. It is quiet.", ["She lives on Elm St. near the park.", "It is quiet."]),
    ("eg", "Use fruit, e.g. apples or pears. They help.", ["Use fruit, e.g. apples or pears.", "They help."]),
    ("ie", "The capital, i.e. Paris, is big. Yes.", ["The capital, i.e. Paris,", "is big.", "Yes."]),
    ("us", "The U.S. economy grew. Good news.", ["The U.S. economy grew.", "Good news."]),
    ("initial", "J. K. Rowling wrote it. Read it.", ["J. K. Rowling wrote it.", "Read it."]),
    ("ellipsis-inside", "Well... I suppose that could work. Maybe.", ["Well... I suppose that could work.", "Maybe."]),
    ("ellipsis-clause", "Let me think about it... yes, that works.", ["Let me think about it...", "yes, that works."]),
    ("time", "The meeting is at 10:30 tomorrow. Be there.", ["The meeting is at 10:30 tomorrow.", "Be there."]),
    ("clock-pm", "We open at 9 a.m. sharp every day. Come early.", ["We open at 9 a.m. sharp every day.", "Come early."]),
    ("url", "Go to https://example.com/docs/v1.2/index.html for details. Then ask.", ["Go to https://example.com/docs/v1.2/index.html for details.", "Then ask."]),
    ("url-end", "See example.org. It helps.", ["See example.org.", "It helps."]),
    ("email", "Write to jane.doe@mail.example.com any time. Thanks.", ["Write to jane.doe@mail.example.com any time.", "Thanks."]),
    ("thousands", "About 1,000,000 people came. Wow.", ["About 1,000,000 people came.", "Wow."]),
    ("first-comma", "Sure thing, I can help you with that right now.", ["Sure thing, I can help you with that right now."]),
    ("first-comma-3", "Yes of course, I can help you with that right now.", ["Yes of course,", "I can help you with that right now."]),
    ("first-short-sentence", "Hi! How are you doing on this fine day?", ["Hi!", "How are you doing on this fine day?"]),
    ("first-forced", "one two three four five six seven eight nine ten eleven twelve.", ["one two three four five six seven eight nine ten", "eleven twelve."]),
    ("later-comma-kept", "Okay. Apples, pears, plums and figs are all fruit.", ["Okay.", "Apples, pears, plums and figs are all fruit."]),
    ("question-exclaim", "Really?! That is great!! Tell me more.", ["Really?!", "That is great!!", "Tell me more."]),
    ("quote-end", 'He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
    ("paren-end", "It works (mostly.) Try it.", ["It works (mostly.)", "Try it."]),
    ("bold", "**Great question!** The answer is yes.", ["Great question!", "The answer is yes."]),
    ("italics", "That is *really* _very_ cool. Yes.", ["That is really very cool.", "Yes."]),
    ("code", "Run `pip install foo` first. Done.", ["Run pip install foo first.", "Done."]),
    ("heading", "# Summary\nThe plan is simple.", ["Summary", "The plan is simple."]),
    ("bullets", "Options:\n- red\n- blue\n* green", ["Options:", "red", "blue", "green"]),
    ("numbered", "Steps:\n1. Open it.\n2. Close it.", ["Steps:", "Open it.", "Close it."]),
    ("link", "Read [the guide. It is short](https://x.io/a.b) today. Ok.", ["Read the guide. It is short today.", "Ok."]),
    ("emoji", "Have a great day 😀🎉! See you 👋🏽.", ["Have a great day!", "See you."]),
    ("emoji-only", "Great. 🎉🎉 . Bye.", ["Great.", "Bye."]),
    ("whitespace", "  Lots   of\tspace   here.   And more.  ", ["Lots of space here.", "And more."]),
    ("no-empty", "... . ! Fine.", ["Fine."]),
    ("dash-clause", "So the answer - as far as I know - is yes.", ["So the answer -", "as far as I know - is yes."]),
    ("semicolon", "It rained all day; we stayed in. Fun.", ["It rained all day;", "we stayed in.", "Fun."]),
    ("list-number-midline", "I have 3. You have 4.", ["I have 3.", "You have 4."]),
    ("degrees", "It is 20°C & sunny. Nice.", ["It is 20 degrees C and sunny.", "Nice."]),
    ("hash-number", "You are #1 in line. Wait.", ["You are number 1 in line.", "Wait."]),
    ("no-final-punct", "That is all I know", ["That is all I know"]),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_chunks(text, expected):
    assert chunks_every_way(text) == expected


def test_long_sentence_splits_at_clause_after_soft_max():
    sentence = ("word " * 22).strip() + ", and then " + ("more " * 5).strip() + "."
    chunks = chunks_every_way("Okay. " + sentence)
    assert chunks[0] == "Okay."
    assert chunks[1].endswith(",") and len(chunks[1].split()) == 22
    assert chunks[2] == "and then more more more more more."


def test_very_long_sentence_splits_at_hard_max():
    chunks = chunks_every_way("Okay. " + " ".join(["blah"] * 50) + ".")
    assert [len(c.split()) for c in chunks] == [1, 40, 10]


def test_first_chunk_early_then_sentences():
    text = "Well, that depends on many things, like the weather, the season and the time. It may rain."
    assert chunks_every_way(text) == [
        "Well, that depends on many things,",
        "like the weather, the season and the time.",
        "It may rain.",
    ]


def test_feed_emits_as_soon_as_the_break_is_known():
    chunker = Chunker()
    assert chunker.feed("Hello there friend, my") == ["Hello there friend,"]
    assert chunker.feed(" dear. It") == ["my dear."]
    assert chunker.feed("'s $29") == []
    assert chunker.feed(".") == []  # could still become $29.99
    assert chunker.feed("99") == []
    assert chunker.feed(" ok") == []
    assert chunker.flush() == ["It's $29.99 ok"]
    assert chunker.flush() == []


def test_full_stop_waits_for_the_next_character():
    chunker = Chunker()
    assert chunker.feed("That costs 3.") == []
    assert chunker.feed(" Thanks") == ["That costs 3."]


def test_reset_makes_the_next_chunk_a_first_chunk():
    chunker = Chunker()
    assert chunker.feed("Sure. One two three, four") == ["Sure."]
    chunker.reset()
    assert chunker.pending == ""
    assert chunker.feed("One two three, four") == ["One two three,"]


def test_empty_tokens_and_empty_flush():
    chunker = Chunker()
    assert chunker.feed("") == []
    assert chunker.flush() == []


def test_cleanup_never_leaves_markup_symbols():
    text = "**Bold** __under__ `code` ~~strike~~ <tag> {x} [a](b) # h | pipe \\ back ^ ✅ 🚀"
    cleaned = clean_for_speech(text)
    assert not set(cleaned) & set("*_`~<>{}[]#|\\^✅🚀")
    assert cleaned == "Bold under code strike tag x a h pipe back"


def test_cleanup_keeps_ordinary_punctuation_and_currency():
    assert clean_for_speech("It's 5% off: €10, £8 or $9.50 (today).") == (
        "It's 5% off: €10, £8 or $9.50 (today)."
    )
    assert clean_for_speech("2*3 is 6") == "2 times 3 is 6"


def test_first_chunk_is_bounded_in_tokens_for_scripts_spelled_byte_by_byte():
    text = "근손상미률 에따널에 이것이 덧랐데 왜드먹에 저작상미률이며 맡속하에. 다음."
    chunker = Chunker(first_min_words=3, first_max_words=4, first_max_tokens=8)
    tokens = [text[i:i + 2] for i in range(0, len(text), 2)]  # two characters a token
    chunks, fed = [], 0
    for token in tokens:
        fed += 1
        out = chunker.feed(token)
        if out and not chunks:
            assert fed == 8  # the first chunk goes out on the 8th token
        chunks += out
    chunks += chunker.flush()
    assert chunks[0] == "근손상미률 에따널에 이것이"  # the last word boundary in 8 tokens
    assert " ".join(chunks).replace(" ", "") == text.replace(" ", "")


def test_tokens_the_llm_reports_count_rather_than_the_pieces_it_hands_out():
    # a Korean syllable is three UTF-8 bytes and often as many tokens; the LLM hands it out
    # whole, once, with how many tokens the reply has cost so far
    chunker = Chunker(first_min_words=3, first_max_words=4, first_max_tokens=8)
    pieces = ["오늘", " 날", "씨", "가", " 좋", "아요"]
    out = []
    for n, piece in enumerate(pieces):
        out += chunker.feed(piece, tokens_so_far=3 * sum(len(p.strip()) for p in pieces[:n + 1]))
        if out:
            break
    assert out == ["오늘"] and n == 1  # 9 tokens by then: the last word boundary in them
    counted_as_pieces = Chunker(first_min_words=3, first_max_words=4, first_max_tokens=8)
    assert [c for p in pieces[:5] for c in counted_as_pieces.feed(p)] == []


def test_token_bound_leaves_short_english_words_to_the_word_rule():
    chunker = Chunker(first_min_words=3, first_max_words=4, first_max_tokens=8)
    words = "I can help with that right now. Sure."
    tokens = ["I", " can", " help", " with", " that", " right", " now", ".", " Sure", "."]
    chunks = [c for token in tokens for c in chunker.feed(token)] + chunker.flush()
    assert chunks[0] == "I can help with"
    assert " ".join(chunks) == words


def test_token_bound_needs_a_whole_word_and_stays_out_of_links():
    chunker = Chunker(first_max_tokens=2)
    assert chunker.feed("Supercali") == []
    assert chunker.feed("fragilistic") == []  # no word boundary yet
    assert chunker.feed(" and") == ["Supercalifragilistic"]
    chunker = Chunker(first_max_tokens=2)
    assert chunker.feed("See [the") == []
    assert chunker.feed(" docs") == ["See"]  # not inside "[the docs"


def test_after_a_short_first_chunk_the_chunks_grow_until_they_are_sentences():
    # a voice that wants a two-word first chunk (Piper): each later chunk may hold up to three
    # times the words of the one before (a clause ends one from half that), then sentences
    text = ("You should say that the weather today is going to be sunny and warm with a light "
            "breeze from the west and no rain at all until the evening when clouds come in. "
            "Have a nice day.")
    ramp = dict(first_min_words=1, first_max_words=2, ramp=3)
    chunks = chunks_every_way(text, **ramp)
    assert [len(c.split()) for c in chunks[:3]] == [2, 6, 18]
    assert chunks[-1] == "Have a nice day."
    assert chunks_every_way("Sure, I can help with that. It is easy.", **ramp) == [
        "Sure,", "I can help with that.", "It is easy."]
    # a clause break ends a growing chunk once it holds half its words
    assert chunks_every_way("Well now, I think that, after all, it works. Yes.", **ramp)[:3] == [
        "Well now,", "I think that,", "after all, it works."]


def test_no_ramp_leaves_later_chunks_whole_sentences():
    text = "You should say that the weather today is going to be sunny and warm. Bye."
    assert chunks_every_way(text, first_max_words=2)[1:] == [
        "say that the weather today is going to be sunny and warm.", "Bye."]
