"""A recognizer that never answers: the conversation thread never waits for it. Stop, a typed
question and a barge-in work while the utterance's final words are still being "decoded", and
after the timeout the utterance is given up on with a notice."""

from __future__ import annotations

from assistant.events import (
    BargeIn, FinalTranscript, Notice, PlaybackStarted, ReplyCutOff, SpeechEnded, TurnCompleted,
)
from harness.fakes import ScriptedRecognizer, quiet, tone
from harness.stage import Stage

REPLY = "Here is a long answer that takes a while to say out loud."


class HungRecognizer(ScriptedRecognizer):
    """Streams partials, but its checkpoints and final words never come back."""

    def __init__(self, lines):
        super().__init__(lines)
        self.asked_finals = 0

    def finish_async(self, done) -> None:
        self.asked_finals += 1  # and never calls `done`

    def checkpoint_async(self, done) -> None:
        pass


def hung_stage() -> Stage:
    stage = Stage(reply=REPLY, recognizer=HungRecognizer(["what time is it", "and the date"]))
    stage.feed(quiet(300), tone(800), quiet(600))  # the endpointer ends the turn
    [ended] = stage.of(SpeechEnded)
    assert ended.reason == "vad" and stage.recognizer.asked_finals == 1
    assert stage.of(FinalTranscript) == []  # still "decoding"
    return stage


def test_a_typed_question_is_answered_while_the_words_never_come():
    stage = hung_stage()
    stage.type("tell me a joke")
    stage.wait(300)
    assert stage.llm.asked == ["tell me a joke"]
    assert [e.turn_id for e in stage.of(PlaybackStarted)] == [2]


def test_stop_works_while_the_words_never_come():
    stage = hung_stage()
    stage.type("tell me a joke")
    stage.wait(300)
    stage.stop()
    [cut] = stage.of(ReplyCutOff)
    assert cut.reason == "stop" and cut.turn_id == 2
    [done] = stage.completed()
    assert done.interrupted


def test_barge_in_works_while_the_words_never_come():
    stage = hung_stage()
    stage.type("tell me a joke")
    stage.wait(300)
    stage.feed(tone(400))  # the user talks over the reply
    [barge] = stage.barge_ins()
    assert barge.turn_id == 2
    assert [e.reason for e in stage.of(ReplyCutOff)] == ["barge-in"]


def test_words_that_never_come_are_given_up_on_with_a_notice_and_the_loop_goes_on():
    stage = hung_stage()
    stage.wait(7000)
    assert stage.of(Notice) == []  # not yet: the timeout is 8 s after the end
    stage.wait(1500)
    [notice] = stage.of(Notice)
    assert notice.level == "warning" and "say it again" in notice.message
    assert stage.conversation.idle()  # nothing is waited on any more
    stage.type("and now?")
    stage.wait(3000)
    assert stage.llm.asked == ["and now?"]
    assert [t.user_text for t in stage.of(TurnCompleted)] == ["and now?"]


def test_late_words_after_the_timeout_change_nothing():
    stage = hung_stage()
    late = []
    stage.recognizer.finish_async = late.append  # the next utterance's final, kept
    stage.wait(8600)
    assert len(stage.of(Notice)) == 1
    stage.feed(tone(800), quiet(600))  # a second utterance; its words do come back
    [done] = late
    done(stage.recognizer.finish())
    stage.settle()
    assert [e.turn_id for e in stage.of(FinalTranscript)] == [2]
    stage.wait(2000)
    assert stage.llm.asked == ["and the date"]
