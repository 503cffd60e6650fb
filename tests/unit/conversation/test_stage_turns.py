"""Barge-in, resuming a turn, half duplex and push-to-talk on the stage harness."""

from __future__ import annotations

from assistant.conversation.turns import Turn
from assistant.events import FinalTranscript, PlaybackStarted, SpeechStarted, StatusChanged
from harness.fakes import quiet, tone
from harness.stage import Stage

REPLY = "One two three four five. Six seven eight nine ten."  # about two seconds of audio


def answered(stage: Stage) -> Stage:
    """`stage` once its first question was asked and its reply is playing."""
    stage.feed(quiet(300), tone(800), quiet(600))
    assert len(stage.of(PlaybackStarted)) == 1
    return stage


def test_speech_over_the_reply_cuts_it_off():
    stage = answered(Stage(lines=["what time is it", "stop it"], reply=REPLY))
    stage.feed(quiet(500), tone(300), quiet(3000))  # past the continuation window
    [barge] = stage.barge_ins()
    assert (barge.t_silent_ns - barge.t_detected_ns) / 1e6 <= 20
    first, second = stage.completed()
    assert first.interrupted and first.reply_text != first.metrics["full_reply_text"]
    assert second.user_text == "stop it" and second.metrics["barge_in"]
    silent_ms = (barge.t_silent_ns - 10_000_000_000) / 1e6
    replies = [t for t, ms in stage.chunk_starts() if ms > silent_ms]
    assert set(replies) <= {second.turn_id}  # nothing more of the first reply


def test_a_short_sound_does_not_interrupt():
    stage = answered(Stage(lines=["what time is it"], reply=REPLY))
    stage.settings.conversation.barge_in_min_speech_ms = 200
    stage.apply_settings()
    stage.feed(tone(100), quiet(3000))  # shorter than the minimum
    assert stage.barge_ins() == []
    [turn] = stage.completed()
    assert not turn.interrupted


def test_speech_below_the_echo_does_not_interrupt():
    stage = answered(Stage(lines=["what time is it"], reply=REPLY))
    stage.echo.user_is_louder = False  # the canceller says: that is the assistant's own voice
    stage.feed(tone(400), quiet(3000))
    assert stage.barge_ins() == []
    assert not stage.completed()[0].interrupted
    assert stage.llm.asked == ["what time is it"]  # heard while replying: no new turn


def test_speech_resumed_soon_after_the_end_goes_on_with_the_same_question():
    stage = Stage(lines=["what is the", "weather today"], reply=REPLY)
    stage.settings.conversation.continuation_ms = 1000
    stage.apply_settings()
    stage.feed(quiet(300), tone(700), quiet(600))  # the turn ends; its reply starts
    stage.feed(tone(600), quiet(3000))  # within a second: the same sentence goes on
    assert stage.llm.asked[-1] == "what is the weather today"
    first, second = stage.completed()[:2]
    assert first.interrupted and second.metrics["continues_turn"] == first.turn_id
    assert second.user_text == "what is the weather today"


def test_speech_after_the_window_is_a_new_question():
    stage = Stage(lines=["what is the", "weather today"], reply="Fine.")
    stage.settings.conversation.continuation_ms = 1000
    stage.apply_settings()
    stage.feed(quiet(300), tone(700), quiet(2500))
    stage.feed(tone(600), quiet(1000))
    assert stage.llm.asked == ["what is the", "weather today"]


def test_half_duplex_ignores_the_microphone_while_speaking():
    stage = Stage(lines=["what time is it", "ignored"], reply=REPLY)
    stage.settings.conversation.half_duplex = True
    stage.apply_settings()
    stage.feed(quiet(300), tone(800), quiet(600))
    stage.feed(tone(600), quiet(200))  # while the reply plays: not heard at all
    assert len(stage.of(SpeechStarted)) == 1 and stage.barge_ins() == []
    stage.feed(quiet(4000))
    [turn] = stage.completed()
    assert not turn.interrupted


def test_push_to_talk_takes_exactly_what_was_held():
    stage = Stage(lines=["turn on the lights"], reply="Done.")
    stage.settings.conversation.mode = "ptt"
    stage.apply_settings()
    stage.feed(tone(600))  # open mic would hear this; push-to-talk does not
    assert stage.of(SpeechStarted) == []
    stage.press()
    stage.feed(tone(800))
    stage.release()
    stage.feed(quiet(100))
    [final] = stage.of(FinalTranscript)
    assert final.text == "turn on the lights"
    stage.feed(quiet(1000))
    [turn] = stage.completed()
    assert turn.metrics["source"] == "ptt"
    assert turn.metrics["stages_ms"]["endpointing"] <= 20  # release ends it: no silence wait


def test_pressing_the_key_while_it_talks_interrupts():
    stage = answered(Stage(lines=["what time is it", "and tomorrow"], reply=REPLY))
    stage.settings.conversation.mode = "ptt"
    stage.apply_settings()
    stage.press()
    stage.feed(tone(600))
    stage.release()
    stage.feed(quiet(2500))
    first, second = stage.completed()
    assert first.interrupted and second.user_text == "and tomorrow"


def test_stop_ends_the_reply_and_starts_no_new_one():
    stage = answered(Stage(lines=["what time is it"], reply=REPLY))
    stage.stop()
    stopped_at = stage.clock.now_ns()
    stage.feed(quiet(2000))
    [turn] = stage.completed()
    assert turn.interrupted
    assert all(t <= stopped_at for t in stage.speaker.audible)  # nothing after the Stop
    assert [e.state for e in stage.of(StatusChanged)].count("thinking") == 1


def test_a_typed_question_during_a_reply_replaces_it():
    stage = answered(Stage(lines=["what time is it"], reply=REPLY))
    stage.type("and in Paris?")
    stage.feed(quiet(3000))
    first, second = stage.completed()
    assert first.interrupted and second.user_text == "and in Paris?"
    assert stage.llm.asked == ["what time is it", "and in Paris?"]


def test_stop_during_a_pause_drops_the_answer_being_prepared():
    stage = Stage(lines=["what time is it"], reply=REPLY)
    stage.feed(quiet(300), tone(800), quiet(200))  # a speculative reply is being written
    stage.stop()
    stage.feed(quiet(2000))
    assert stage.of(PlaybackStarted) == [] and stage.speaker.audible == []
    [turn] = stage.completed()
    assert turn.interrupted and turn.reply_text == ""


def test_holding_the_key_in_a_pause_keeps_the_turn_open():
    stage = Stage(lines=["what is the weather in paris"], reply="Sunny.")
    stage.feed(quiet(300), tone(800), quiet(200))  # a speculative reply is being written
    stage.settings.conversation.mode = "ptt"
    stage.apply_settings()
    stage.press()  # the same sentence goes on
    stage.feed(tone(600))
    stage.release()
    stage.feed(quiet(1500))
    [turn] = stage.completed()
    assert not turn.interrupted and turn.user_text == "what is the weather in paris"
    assert len(stage.of(PlaybackStarted)) == 1


def test_a_reply_cut_off_before_the_llm_finished_records_what_it_had_written():
    turn = Turn(turn_id=1)
    turn.written.extend(["I'm ", "sorry ", "for ", "any ", "confusion"])
    assert turn.record()["full_reply_text"] == "I'm sorry for any confusion"
    turn.reply_text = "I'm sorry for any confusion, but it rains."  # it did finish
    assert turn.record()["full_reply_text"] == turn.reply_text
