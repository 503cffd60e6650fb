"""Speculative start on the stage harness: the reply starts at a short pause, its audio is held
until the turn is over, thrown away when the user goes on, and let out the moment the
endpointer ends the turn (before the final transcript would be needed)."""

from __future__ import annotations

from assistant.events import FinalTranscript, PlaybackStarted, SpeechEnded, StatusChanged
from harness.fakes import quiet, tone
from harness.stage import Stage


def thinking_at(stage: Stage) -> list[int]:
    """When each reply started being written."""
    return [e.t_ns for e in stage.of(StatusChanged) if e.state == "thinking"]


def test_the_reply_starts_at_a_short_pause_and_is_held_until_the_turn_ends():
    stage = Stage(lines=["what time is it"])
    stage.feed(quiet(300), tone(800))
    speech_end_ms = stage.now_ms()
    stage.feed(quiet(200))  # past the 120 ms speculative pause, short of the 400 ms end
    assert len(thinking_at(stage)) == 1  # the reply is being written...
    assert stage.of(PlaybackStarted) == []  # ...but nobody hears it yet
    assert stage.recognizer.checkpoints == 1
    stage.feed(quiet(1500))
    [ended] = stage.of(SpeechEnded)
    [played] = stage.of(PlaybackStarted)
    assert (played.t_ns - ended.t_ns) / 1e6 <= 20  # out at the next block after the end
    [turn] = stage.completed()
    assert turn.user_text == "what time is it" and not turn.interrupted
    assert turn.metrics["v2v_ms"] <= stage.settings.vad.end_silence_ms + 40
    assert stage.llm.asked == ["what time is it"]  # one request: nothing was redone
    assert speech_end_ms < (played.t_ns - 10_000_000_000) / 1e6


def test_without_partial_words_the_reply_starts_on_a_checkpoint():
    stage = Stage(lines=["what time is it"])
    stage.recognizer.partials = False  # Whisper
    stage.feed(quiet(300), tone(800), quiet(200))
    assert stage.recognizer.checkpoints == 1 and len(thinking_at(stage)) == 1
    assert stage.of(PlaybackStarted) == []
    stage.feed(quiet(1500))
    [turn] = stage.completed()
    assert turn.user_text == "what time is it" and stage.llm.asked == ["what time is it"]


def test_talking_on_after_the_pause_throws_the_speculative_reply_away():
    stage = Stage(lines=["what time is it in tokyo"])
    stage.feed(quiet(300), tone(800), quiet(200))  # a speculative reply starts here...
    assert len(thinking_at(stage)) == 1
    generation = stage.conversation.floor.generation
    stage.feed(tone(600))  # ...and the user goes on
    assert stage.conversation.floor.generation > generation  # every stage drops it
    assert stage.of(PlaybackStarted) == []
    stage.feed(quiet(1500))
    [turn] = stage.completed()
    assert len(stage.of(PlaybackStarted)) == 1 and not turn.interrupted
    assert len(stage.llm.asked) == 2  # asked again once the turn really ended


def test_without_speculation_the_reply_starts_only_after_the_final_transcript():
    stage = Stage(lines=["what time is it"])
    stage.settings.conversation.speculative_start = False
    stage.apply_settings()
    stage.feed(quiet(300), tone(800), quiet(300))
    assert thinking_at(stage) == []
    stage.feed(quiet(1500))
    final = stage.of(FinalTranscript)[0]
    [played] = stage.of(PlaybackStarted)
    assert played.t_ns >= final.t_ns
    assert stage.recognizer.checkpoints == 0


def test_the_llm_reads_ahead_while_the_user_talks():
    stage = Stage(lines=["please tell me what time it is"])
    stage.feed(quiet(300), tone(1500), quiet(1000))
    assert stage.llm.prefilled, "no prefill while the user talked"
    assert all(len(words.split()) < 7 for words in stage.llm.prefilled)  # never the last word
