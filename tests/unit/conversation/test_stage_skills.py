"""The local skills in the loop, on the stage harness: answered without the LLM, their
actions done only when the reply is committed, timers ringing with a chime when the floor is
free, "stop" and "say that again", and none of it in the LLM's history."""

from __future__ import annotations

from assistant.clock import NS_PER_MS
from assistant.events import LlmFinished, PlaybackStarted, SpeechEnded, TimersChanged
from assistant.skills.chime import chime
from assistant.stt.base import Transcript
from harness.fakes import ScriptedRecognizer, quiet, tone
from harness.stage import T0, Stage

STORY = "Once upon a time there was a fox. It lived in a wood. It liked grapes."


def spoken(stage: Stage, speech_ms: int = 800, after_ms: int = 1500) -> None:
    stage.feed(quiet(300), tone(speech_ms), quiet(after_ms))


def test_a_spoken_timer_is_set_without_the_llm_and_rings_when_due():
    stage = Stage(lines=["Set a timer for five seconds."], skills=True)
    spoken(stage, after_ms=2500)
    [turn] = stage.completed()
    assert turn.reply_text == "OK, a 5 second timer, starting now."
    assert turn.metrics["skill"] == "timer" and stage.llm.asked == []
    assert "first_token" not in turn.metrics["stages_ms"] or \
        turn.metrics["stages_ms"]["llm_first_token"] is None
    [ended] = stage.of(SpeechEnded)
    [played] = stage.of(PlaybackStarted)
    assert (played.t_ns - ended.t_ns) / NS_PER_MS <= 100  # no LLM call to wait for
    assert [t.name for t in stage.of(TimersChanged)[-1].timers] == ["5 second timer"]
    stage.wait(1000)
    assert len(stage.completed()) == 1  # not due yet
    stage.wait(5000)
    ring = stage.completed()[1]
    assert ring.metrics["source"] == "timer" and ring.metrics["skill"] == "ring"
    assert ring.reply_text == "Your 5 second timer is done."
    assert stage.of(TimersChanged)[-1].timers == ()
    assert [c.turn_id for c in stage.of(PlaybackStarted)][-1] == ring.turn_id  # it played
    assert stage.conversation.history.turns == []  # skills stay out of the LLM's history


def test_the_ring_carries_the_chime_before_the_words():
    stage = Stage(lines=["set a timer for 1 second"], skills=True)
    spoken(stage)
    stage.wait(6000)
    ring = stage.completed()[-1]
    assert ring.reply_text == "Your 1 second timer is done." and not ring.interrupted
    [first_chunk, *_] = sorted(stage.conversation.floor.turn(ring.turn_id).chunks.values(),
                               key=lambda c: c.index)
    chime_samples = len(chime(16000))
    words = len(first_chunk.text.split())
    assert first_chunk.n_samples == chime_samples + words * stage.tts.samples_per_word


def test_a_speculative_skill_reply_thrown_away_sets_nothing():
    class ChangesItsMind(ScriptedRecognizer):
        """Its first checkpoint hears a timer request; then the user goes on."""

        def checkpoint(self):
            if self.checkpoints:
                return super().checkpoint()
            self.checkpoints += 1
            return Transcript(text="set a timer for ten minutes")

    stage = Stage(skills=True)
    stage.recognizer = stage.listener.recognizer = ChangesItsMind(
        ["how long should I boil an egg"])
    stage.feed(quiet(300), tone(800), quiet(200))  # a skill reply is written, held...
    assert stage.recognizer.checkpoints == 1
    assert any("10 minute timer" in e.text for e in stage.of(LlmFinished))  # written, held
    assert stage.board.active() == []  # but not done
    stage.feed(tone(600), quiet(1500))  # ...and the user goes on: it is dropped
    [turn] = stage.completed()
    assert stage.board.active() == []
    assert stage.llm.asked == ["how long should I boil an egg"] and turn.metrics["skill"] is None


def test_stop_ends_the_reply_and_starts_no_other():
    stage = Stage(lines=["tell me a story", "stop"], reply=STORY, skills=True)
    spoken(stage, after_ms=600)
    assert len(stage.of(PlaybackStarted)) == 1
    stage.feed(quiet(800), tone(300), quiet(3000))  # past the continuation window
    story, stop = stage.completed()
    assert story.interrupted and stop.user_text == "stop" and stop.metrics["skill"] == "stop"
    assert stop.reply_text == "" and stage.llm.asked == ["tell me a story"]
    assert [t for t, _ in stage.chunk_starts() if t == stop.turn_id] == []  # nothing said
    # the story, as far as it was heard, is the last exchange the LLM will see
    assert [t.role for t in stage.conversation.history.turns] == ["user", "assistant"]


def test_stop_then_a_question_over_a_reply_answers_the_question():
    stage = Stage(lines=["tell me a story", "Stop. What time is it in Tokyo?"], reply=STORY,
                  skills=True)
    spoken(stage, after_ms=600)
    assert len(stage.of(PlaybackStarted)) == 1
    stage.feed(quiet(800), tone(900), quiet(3000))  # cuts in while the story plays
    story, question = stage.completed()
    assert story.interrupted
    assert question.metrics["skill"] == "time"
    assert question.reply_text.startswith("In Tokyo it's ")
    assert stage.llm.asked == ["tell me a story"]  # the story was not asked for again
    assert [t for t, _ in stage.chunk_starts() if t == question.turn_id]  # it was said


def test_stop_then_a_question_for_the_llm_asks_only_the_question():
    stage = Stage(lines=["tell me a story", "Wait, tell me about cats instead."], reply=STORY)
    spoken(stage, after_ms=600)
    stage.feed(quiet(800), tone(900), quiet(3000))
    stage.wait(8000)
    story, cats = stage.completed()
    assert story.interrupted
    assert stage.llm.asked == ["tell me a story", "tell me about cats instead."]
    # the story goes into the history as far as it was heard, marked as cut off
    heard = stage.conversation.history.turns[1]
    assert heard.role == "assistant" and heard.interrupted


def test_say_that_again_repeats_the_whole_last_reply():
    stage = Stage(lines=["what is the capital of france", "say that again"],
                  reply="Paris is the capital of France.", skills=True)
    spoken(stage, after_ms=4000)
    spoken(stage, after_ms=4000)
    first, again = stage.completed()
    assert again.reply_text == first.reply_text == "Paris is the capital of France."
    assert stage.llm.asked == ["what is the capital of france"]


def test_a_ring_waits_for_the_reply_that_is_playing():
    stage = Stage(lines=["set a timer for 1 second"], reply=STORY, skills=True)
    spoken(stage, after_ms=600)
    stage.type("tell me a story")  # a long reply: the timer falls due while it plays
    stage.wait(6000)
    turns = stage.completed()
    assert [t.metrics["skill"] for t in turns] == ["timer", None, "ring"]
    story, ring = turns[1], turns[2]
    assert not story.interrupted  # the ring did not cut the story off
    assert ring.metrics["t_first_audio_ms"] > story.metrics["t_first_audio_ms"]


def test_typed_requests_and_the_window_s_cancel_button():
    stage = Stage(skills=True)
    stage.type("set a pasta timer for 10 minutes")
    stage.wait(3000)
    [timer] = stage.board.active()
    stage.conversation.cancel_timer(timer.timer_id)
    stage.settle()
    assert stage.board.active() == [] and stage.of(TimersChanged)[-1].timers == ()
    stage.type("What time is it?")
    stage.wait(2000)
    assert stage.completed()[-1].reply_text.startswith("It's ")
    assert stage.llm.asked == []


def test_with_the_skills_off_everything_goes_to_the_llm():
    stage = Stage(lines=["what time is it"], skills=True)
    stage.settings.conversation.local_skills = False
    stage.apply_settings()
    spoken(stage)
    assert stage.llm.asked == ["what time is it"]
    assert stage.completed()[0].metrics["skill"] is None


def test_the_board_change_is_told_when_a_conversation_starts():
    stage = Stage(skills=True)
    stage.board.add("timer", 60)
    stage.events.clear()
    stage.conversation.rings.announce()
    [told] = stage.of(TimersChanged)
    assert [t.name for t in told.timers] == ["1 minute timer"]
    assert told.t_ns >= T0
