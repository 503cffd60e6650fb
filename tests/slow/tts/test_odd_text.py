"""TTS meets odd text: emoji only, punctuation only, other scripts, control characters, lone
surrogates, nothing at all, and 5,000 characters. Both real engines (espeak-ng through pyttsx3
and its command-line fallback, piper with the joe voice) and the chunker in front of them:
no crash, no hang, silence for what cannot be said, audio for what can, bounded time per
chunk."""

from __future__ import annotations

import queue
import threading
import time

import numpy as np
import pytest

from assistant.tts.chunker import Chunker, split_for_synthesis
from assistant.tts.espeak import EspeakEngine, dominant_script
from assistant.tts.text_cleanup import clean_for_speech, is_speakable, sanitize
from unit.tts.test_chunker import chunks_every_way
from tests.responding_helpers import find_piper_voice, rms

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

LONG = ("The quick brown fox jumps over the lazy dog while the band plays on, and nobody "
        "notices the time. ") * 60
LONG = LONG[:5000]
BLOB = "x" * 5000  # no space, no full stop: a pasted hash or base64
ODD = {
    "emoji": ("😀🎉👍🏽❤️‍🔥", False),
    "punctuation": ("?!... ,;: -- !!! ***", False),
    "empty": ("", False),
    "whitespace": ("   \n\t  ", False),
    "only controls": ("\x00\x07\x1b[31m\x7f", False),
    "lone surrogates": ("\ud83d \udfff", False),
    "korean": ("안녕하세요, 만나서 반갑습니다.", True),
    "arabic": ("مرحبا بك في المساعد الصوتي", True),
    "chinese": ("你好，很高兴认识你。今天天气很好。", True),
    "cyrillic": ("Привет, как дела?", True),
    "controls in text": ("Hello\x00 world\x07\x1b[31m red\x1b[0m\x7f end", True),
    "surrogates in text": ("Hello \ud83d world \udfff! \ud83d\ude00", True),
}


def synthesize_within(engine, text: str, seconds: float) -> tuple[np.ndarray, list[float]]:
    """All the audio for `text`, on a thread, failing (not hanging) after `seconds`; also the
    time each piece took to arrive."""
    out: queue.Queue = queue.Queue()

    def run():
        try:
            began, gaps, pieces = time.monotonic(), [], []
            for piece in engine.synthesize(text):
                gaps.append(time.monotonic() - began)
                began = time.monotonic()
                pieces.append(piece)
            out.put((pieces, gaps))
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out.put(exc)

    threading.Thread(target=run, daemon=True).start()
    try:
        result = out.get(timeout=seconds)
    except queue.Empty:
        engine.cancel()
        pytest.fail(f"synthesizing {text[:30]!r} did not finish in {seconds} s")
    if isinstance(result, BaseException):
        raise result
    pieces, gaps = result
    assert all(p.dtype == np.float32 and p.ndim == 1 for p in pieces)
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    assert np.isfinite(audio).all()
    return audio, gaps


@pytest.fixture(scope="module", params=["pyttsx3", "subprocess"])
def espeak(request):
    engine = EspeakEngine(backend=request.param)
    engine.start()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def piper_engine():
    from assistant.tts.piper import PiperEngine

    engine = PiperEngine(find_piper_voice())
    engine.start()
    yield engine
    engine.close()


# --- the text helpers ------------------------------------------------------------------------------


def test_sanitize_makes_any_str_encodable_and_free_of_controls():
    assert sanitize("Hi \ud83d\ude00 there") == "Hi 😀 there"  # a pair is joined
    assert sanitize("a\ud83db\udfffc") == "abc"  # lone halves are dropped
    assert sanitize("a\x00b\x07c\x1b[1;31md\x1b[0m\x7fe\u0085f") == "a b cd e f"
    assert sanitize("tab\tand\nnewline") == "tab\tand\nnewline"
    assert sanitize("e\u0301") == "é" and sanitize("no\ufffe\uffffnon\ufdd0chars") == "nononchars"
    for text, _ in ODD.values():
        sanitize(text).encode("utf-8")  # never raises


def test_the_dominant_script_picks_the_voice():
    assert dominant_script("안녕하세요") == "hangul"
    assert dominant_script("你好，世界") == "han"
    assert dominant_script("今日はいい天気ですね") == "kana"
    assert dominant_script("مرحبا") == "arabic" and dominant_script("Привет") == "cyrillic"
    assert dominant_script("Hello, world") is None and dominant_script("😀 ...") is None
    assert dominant_script("Say 你好 to everyone in the room") is None  # mostly English


@pytest.mark.parametrize("name", list(ODD))
def test_the_chunker_gives_speakable_chunks_or_none(name):
    text, speakable = ODD[name]
    chunks = chunks_every_way(text)
    if not speakable:
        assert chunks == []
    else:
        assert chunks and all(is_speakable(c) for c in chunks)
        for chunk in chunks:
            chunk.encode("utf-8")
            assert not any(ord(ch) < 32 for ch in chunk)


def test_cjk_sentences_are_chunks_without_spaces():
    assert chunks_every_way("你好，很高兴认识你。今天天气很好！我们去公园吧？好的。") == [
        "你好，很高兴认识你。", "今天天气很好！", "我们去公园吧？", "好的。"]
    assert chunks_every_way("「こんにちは。」と彼は言った。") == ["「こんにちは。」", "と彼は言った。"]


@pytest.mark.parametrize("text", [LONG, BLOB, "你好" * 2500, "word " * 1000],
                         ids=["sentences", "one blob", "chinese", "one endless sentence"])
def test_five_thousand_characters_come_out_in_bounded_chunks(text):
    chunker = Chunker()
    began = time.monotonic()
    chunks = chunker.feed(text) + chunker.flush()
    assert time.monotonic() - began < 2.0
    assert chunks and all(len(c) <= chunker.hard_max_chars for c in chunks)
    kept = "".join(chunks).replace(" ", "")
    assert len(kept) >= len(clean_for_speech(text).replace(" ", "")) - 5  # nothing lost


def test_engines_split_long_text_themselves():
    pieces = split_for_synthesis(BLOB, 300)
    assert [len(p) for p in pieces] == [300] * 16 + [200]
    assert split_for_synthesis("Short text.", 300) == ["Short text."]
    assert split_for_synthesis("?!", 300) == []


# --- espeak-ng -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ODD))
def test_espeak_says_odd_text_or_nothing(espeak, name):
    text, speakable = ODD[name]
    audio, _ = synthesize_within(espeak, text, 30)
    seconds = len(audio) / espeak.sample_rate
    if not speakable:
        assert len(audio) == 0
    else:
        assert 0.3 < seconds < 10, f"{seconds:.1f} s of audio"
        assert rms(audio) > 0.01


def test_espeak_reads_other_scripts_with_their_own_voice(espeak):
    picked = {name: espeak.voice_for(ODD[name][0]).rsplit("/", 1)[-1]
              for name in ("korean", "arabic", "chinese", "cyrillic", "controls in text")}
    assert picked == {"korean": "ko", "arabic": "ar", "chinese": "cmn", "cyrillic": "ru",
                      "controls in text": "en-us"}
    # an English voice spells Arabic letter by letter (~14 s here); its own voice says it
    audio, _ = synthesize_within(espeak, ODD["arabic"][0], 30)
    assert len(audio) / espeak.sample_rate < 6


def test_espeak_five_thousand_characters_start_soon_and_stay_bounded(espeak):
    for text in (LONG, BLOB):
        audio, gaps = synthesize_within(espeak, text, 120)
        assert len(gaps) >= 15  # one render per sentence or per 300 characters
        assert gaps[0] < 3.0 and max(gaps) < 5.0, gaps
        assert len(audio) / espeak.sample_rate > 60


# --- piper -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ODD))
def test_piper_says_odd_text_or_nothing(piper_engine, name):
    text, speakable = ODD[name]
    audio, _ = synthesize_within(piper_engine, text, 60)
    if not speakable:
        assert len(audio) == 0
    else:
        assert len(audio) / piper_engine.sample_rate > 0.3 and rms(audio) > 0.01


def test_piper_five_thousand_characters_in_bounded_pieces(piper_engine):
    """Each piece of a long text arrives within a bounded time; a text with no sentence end
    is not one enormous inference. Only the first pieces are awaited (the whole would take
    ~25 s here)."""
    for text in (LONG, BLOB):
        began, gaps = time.monotonic(), []
        stream = piper_engine.synthesize(text)
        for _ in range(4):
            piece = next(stream)
            gaps.append(time.monotonic() - began)
            began = time.monotonic()
            assert len(piece) > 0
        stream.close()
        assert max(gaps) < 5.0, gaps
