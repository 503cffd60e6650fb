"""Knowing when the user is done, on the stage harness: the end-of-turn model is asked at each
pause; sure it is complete, the turn ends at once; not sure, the turn stays open and nothing is
said over the pause; the silence limit is only the fallback."""

from __future__ import annotations

from assistant.events import FinalTranscript, PlaybackStarted, SpeechEnded, TurnHeld
from harness.fakes import ScriptedTurnDetector, quiet, tone
from harness.stage import Stage

MS = 1_000_000


def smart(probabilities, lines=("what time is it",), reply="Ten past two.", **settings):
    detector = ScriptedTurnDetector(probabilities)
    stage = Stage(lines=list(lines), reply=reply, turn_detector=detector)
    for key, value in {"check_silence_ms": 150, "max_silence_ms": 1500, **settings}.items():
        setattr(stage.settings.turn, key, value)
    stage.apply_settings()
    return stage, detector


def test_a_complete_sentence_ends_the_turn_at_the_first_pause():
    stage, detector = smart([0.93])
    stage.feed(quiet(300), tone(800), quiet(1000))
    [ended] = stage.of(SpeechEnded)
    assert ended.reason == "model" and ended.probability == 0.93
    assert (ended.t_ns - ended.t_true_end_ns) / MS <= 150 + 20  # not the 400 ms silence
    [played] = stage.of(PlaybackStarted)
    [turn] = stage.completed()
    assert turn.metrics["v2v_ms"] <= 150 + 40
    assert turn.metrics["end_of_turn"] == {"by": "model", "probability": 0.93, "checks": 1,
                                           "inference_ms": [1.0]}
    assert len(detector.heard) == 1
    assert len(detector.heard[0]) >= 16 * (300 + 800)  # the pre-roll and the speech


def test_a_thinking_pause_keeps_the_turn_open_and_quiet():
    stage, detector = smart([0.1, 0.9], lines=["what is the capital of france"])
    stage.feed(quiet(300), tone(700), quiet(700))  # a pause mid-sentence: "not done"
    assert stage.of(SpeechEnded) == [] and stage.of(PlaybackStarted) == []
    assert stage.speaker.audible == []  # nothing said over the pause
    assert [held.probability for held in stage.of(TurnHeld)] == [0.1]
    stage.feed(tone(500), quiet(1000))  # the sentence goes on, then it is done
    [turn] = stage.completed()
    assert turn.user_text == "what is the capital of france" and not turn.interrupted
    assert turn.metrics["end_of_turn"]["checks"] == 2
    assert len(stage.of(PlaybackStarted)) == 1


def test_a_long_silence_ends_the_turn_even_when_the_model_says_no():
    stage, _ = smart([0.2], max_silence_ms=1500)
    stage.feed(quiet(300), tone(800), quiet(2500))
    [ended] = stage.of(SpeechEnded)
    assert ended.reason == "vad"
    assert 1500 <= (ended.t_ns - ended.t_true_end_ns) / MS <= 1520
    [turn] = stage.completed()
    assert turn.metrics["end_of_turn"]["by"] == "silence"


def test_the_model_is_asked_once_per_pause():
    stage, detector = smart([0.1])
    stage.feed(quiet(300), tone(500), quiet(600), tone(400), quiet(600), tone(300),
               quiet(2000))
    assert len(detector.heard) == 3  # three pauses, one question each (then the fallback)


def test_without_the_model_the_silence_endpointer_decides():
    stage = Stage(lines=["what time is it"])
    stage.feed(quiet(300), tone(800), quiet(1000))
    [ended] = stage.of(SpeechEnded)
    assert ended.reason == "vad"
    assert (ended.t_ns - ended.t_true_end_ns) / MS == stage.settings.vad.end_silence_ms


def test_the_silence_setting_needs_no_model_answer():
    stage, detector = smart([0.99])
    stage.settings.turn.detector = "silence"
    stage.apply_settings()
    stage.feed(quiet(300), tone(800), quiet(1000))
    assert detector.heard == [] and stage.of(SpeechEnded)[0].reason == "vad"


def test_a_sentence_that_stops_on_of_is_not_over_however_it_sounds():
    stage, detector = smart([0.95], lines=["what is the capital of"])
    stage.feed(quiet(300), tone(1300), quiet(700))  # the model says "complete"
    assert stage.of(SpeechEnded) == [] and stage.of(PlaybackStarted) == []
    assert len(stage.of(TurnHeld)) == 1
    stage.feed(quiet(1500))  # the silence limit still ends it
    [ended] = stage.of(SpeechEnded)
    assert ended.reason == "vad"


def test_a_question_that_ends_on_to_is_over_when_the_recognizer_says_so():
    # Whisper punctuates: a question mark ends the sentence, however its last word reads
    stage, _ = smart([0.95], lines=["Which folder should I save it to?"])
    stage.feed(quiet(300), tone(1300), quiet(700))
    [ended] = stage.of(SpeechEnded)
    assert ended.reason == "model" and stage.of(TurnHeld) == []
    stage, _ = smart([0.95], lines=["Which folder should I save it to"])  # no mark: unsure
    stage.feed(quiet(300), tone(1300), quiet(700))
    assert stage.of(SpeechEnded) == [] and len(stage.of(TurnHeld)) == 1


def test_words_that_trail_off_wait_for_a_shorter_silence_than_the_limit():
    stage, _ = smart([0.95], lines=["please remind me what"], max_silence_ms=1500)
    stage.feed(quiet(300), tone(1300), quiet(2000))  # the model says "complete" at 150 ms
    [ended] = stage.of(SpeechEnded)
    assert ended.reason == "vad"
    assert 1000 <= (ended.t_ns - ended.t_true_end_ns) / MS <= 1020  # not 150, not 1,500


def test_a_sure_answer_waits_for_the_pauses_words_before_it_ends_the_turn():
    stage, _ = smart([0.9], lines=["what time is it"])
    stage.recognizer.partials = False  # Whisper: no words until a checkpoint
    stage.recognizer.hold_checkpoints = True  # a slow decode: the words come after the answer
    stage.feed(quiet(300), tone(800), quiet(200))
    assert stage.of(SpeechEnded) == []  # "complete", but the words are not known yet
    stage.recognizer.release_checkpoints()
    stage.feed(quiet(40))
    [ended] = stage.of(SpeechEnded)
    assert ended.reason == "model"
    stage.feed(quiet(1000))
    [turn] = stage.completed()
    assert turn.user_text == "what time is it"


def test_a_checkpoint_that_comes_back_late_never_stands_for_the_words_after_it():
    """Two pauses in one question; the first one's decode is slow and comes back while the
    second is being decoded: it ends before the last words, and must not be the turn's."""
    stage, _ = smart([0.2, 0.95], lines=["what is the capital of"])
    stage.recognizer.partials = False
    stage.recognizer.hold_checkpoints = True
    stage.feed(quiet(300), tone(800), quiet(200))  # a pause mid-question: a checkpoint
    stage.recognizer.lines[0] = "what is the capital of france"
    stage.feed(tone(400), quiet(200))  # the user goes on, and pauses again: a second one
    stage.recognizer.release_checkpoints()  # the first decode only now, then the second
    stage.feed(quiet(1500))
    [turn] = stage.completed()
    assert turn.user_text == "what is the capital of france"


def test_words_that_stop_mid_phrase_overrule_a_sure_answer():
    stage, _ = smart([0.9, 0.9], lines=["I would like to know what"])
    stage.recognizer.partials = False
    stage.recognizer.hold_checkpoints = True
    stage.feed(quiet(300), tone(800), quiet(200))
    stage.recognizer.release_checkpoints()
    stage.feed(quiet(500))  # 700 ms of pause: a thinking pause, not the end
    assert stage.of(SpeechEnded) == [] and stage.speaker.audible == []
    [held] = stage.of(TurnHeld)
    assert held.probability == 0.9
    stage.recognizer.lines[0] = "I would like to know what the weather will be"
    stage.feed(tone(600), quiet(200))  # "... the weather will be", then done
    stage.recognizer.release_checkpoints()
    stage.feed(quiet(1000))
    [turn] = stage.completed()
    assert turn.user_text == "I would like to know what the weather will be"
    assert not turn.interrupted and turn.metrics["end_of_turn"]["by"] == "model"
    assert len(stage.of(PlaybackStarted)) == 1


def test_a_sure_answer_starts_the_reply_on_the_partial_words_not_after_the_final_decode():
    stage, _ = smart([0.9], lines=["what time is it"])
    stage.settings.conversation.speculative_start = False  # no reply begun at the pause
    stage.apply_settings()
    stage.feed(quiet(300), tone(800), quiet(1500))
    [ended] = stage.of(SpeechEnded)
    assert ended.reason == "model"
    kinds = [type(e).__name__ for e in stage.events
             if isinstance(e, FinalTranscript) or getattr(e, "state", "") == "thinking"]
    assert kinds == ["StatusChanged", "FinalTranscript"]  # the final is not awaited
    [turn] = stage.completed()
    assert turn.user_text == "what time is it" and stage.llm.asked == ["what time is it"]


def test_a_sure_answer_before_the_checkpoint_answers_the_partial_words_at_once():
    stage, _ = smart([0.9], lines=["what time is it"])
    stage.recognizer.hold_checkpoints = True  # a slow checkpoint (Vosk's Korean model)
    stage.feed(quiet(300), tone(800), quiet(300))
    [ended] = stage.of(SpeechEnded)
    assert ended.reason == "model"
    assert stage.llm.asked == ["what time is it"]  # the partial words, not awaited
    [played] = stage.of(PlaybackStarted)
    assert (played.t_ns - ended.t_true_end_ns) / MS <= 150 + 40
    stage.recognizer.release_checkpoints()
    stage.feed(quiet(1000))
    [turn] = stage.completed()
    assert turn.user_text == "what time is it" and not turn.interrupted
