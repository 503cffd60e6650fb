"""`ShownEvents`, transition by transition: what a consumer may show of the loop's events;
then on the real loop (the stage harness), a speculative reply that is discarded.

`discarded_speculation()` is shared with the consumers' tests (the window's, the API's)."""

from __future__ import annotations

from assistant.events import (
    BargeIn, ChunkPlaybackStarted, FinalTranscript, LlmFinished, LlmToken, Notice,
    PartialTranscript, PlaybackStarted, ReplyCommitted, ReplyCutOff, ReplyDiscarded, ReplyStarted,
    StatusChanged, TextChunk, TurnCompleted, TurnOpened,
)
from assistant.shown_events import ShownEvents
from harness.fakes import ScriptedLlm, quiet, tone
from harness.stage import Stage

DISCARDED = "Zebra marmalade floats over the harbour tonight."  # the speculative reply
ANSWER = "Nine in the evening there."  # the turn's answer, once the user is done
DISCARDED_WORDS = ("Zebra", "marmalade", "harbour")


class RepliesInOrder(ScriptedLlm):
    """Answers each request with the next reply of its list (the last one after that)."""

    def __init__(self, replies: list[str]):
        super().__init__(replies[0])
        self.replies = list(replies)

    def stream_reply(self, messages: list[dict], generation: int = 0):
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        self.tokens = [word + " " for word in reply.split()]
        return super().stream_reply(messages, generation)


def discarded_speculation() -> Stage:
    """The user pauses mid-question (a speculative reply is written: DISCARDED), goes on
    talking (it is discarded), then stops (the turn is answered: ANSWER). Checks that the loop
    did publish the discarded reply's words, so a consumer had them to hold back."""
    stage = Stage(lines=["what time is it in tokyo"], llm=RepliesInOrder([DISCARDED, ANSWER]))
    stage.feed(quiet(300), tone(800), quiet(200))  # past the speculative pause, short of the end
    stage.feed(tone(600))  # ...and the user goes on
    stage.feed(quiet(1500))
    [discarded] = stage.of(ReplyDiscarded)
    published = [e.text for e in stage.events if isinstance(e, (LlmToken, TextChunk))
                 and e.generation == discarded.generation]
    assert any("Zebra" in text for text in published), "the loop wrote no speculative reply"
    [turn] = stage.completed()
    assert turn.reply_text.strip() == ANSWER and not turn.interrupted
    return stage


def shows_discarded_words(text: str) -> bool:
    return any(word in text for word in DISCARDED_WORDS)


def started(generation: int, speculative: bool = False, turn: int = 1) -> ReplyStarted:
    return ReplyStarted(turn_id=turn, generation=generation, text="what time is it",
                        speculative=speculative)


def token(generation: int, text: str, index: int = 0, turn: int = 1) -> LlmToken:
    return LlmToken(turn_id=turn, generation=generation, text=text, index=index)


def chunk(generation: int, text: str, index: int = 0, turn: int = 1) -> TextChunk:
    return TextChunk(turn_id=turn, generation=generation, text=text, index=index)


def feed_all(shown: ShownEvents, *events) -> list:
    return [out for event in events for out in shown.feed(event)]


def test_a_reply_that_is_not_speculative_passes_as_it_comes():
    shown = ShownEvents()
    events = [started(1), token(1, "It "), chunk(1, "It is noon."),
              PlaybackStarted(turn_id=1, generation=1),
              ChunkPlaybackStarted(turn_id=1, generation=1, chunk_index=0),
              LlmFinished(turn_id=1, generation=1, text="It is noon.", n_tokens=3)]
    assert feed_all(shown, *events) == events


def test_a_speculative_reply_is_held_until_it_is_committed_then_let_out_in_order():
    shown = ShownEvents()
    opened = started(2, speculative=True)
    assert shown.feed(opened) == [opened]  # the consumer may know a reply is being written
    held = [token(2, "It ", 0), token(2, "is ", 1), chunk(2, "It is", 0), token(2, "noon.", 2),
            LlmFinished(turn_id=1, generation=2, text="It is noon.", n_tokens=3)]
    for event in held:
        assert shown.feed(event) == []
    committed = ReplyCommitted(turn_id=1, generation=2)
    assert shown.feed(committed) == [committed, *held]  # the commit first, then its words
    after = PlaybackStarted(turn_id=1, generation=2)
    assert shown.feed(after) == [after]  # a committed reply's reports pass from then on


def test_a_discarded_speculative_reply_shows_nothing_ever():
    shown = ShownEvents()
    shown.feed(started(2, speculative=True))
    assert feed_all(shown, token(2, "Zebra "), chunk(2, "Zebra marmalade.")) == []
    discarded = ReplyDiscarded(turn_id=1, generation=2)
    assert shown.feed(discarded) == [discarded]
    # late reports of the discarded generation, and a commit that can no longer be true
    assert feed_all(shown, token(2, "late ", 5), ReplyCommitted(turn_id=1, generation=2)) == []
    # the turn goes on and its real answer passes
    answer = [started(3), token(3, "Nine "), chunk(3, "Nine o'clock.")]
    assert feed_all(shown, *answer) == answer


def test_a_second_speculative_reply_after_a_discard_is_held_and_committed_alone():
    shown = ShownEvents()
    feed_all(shown, started(2, speculative=True), token(2, "Zebra "),
             ReplyDiscarded(turn_id=1, generation=2), started(3, speculative=True))
    assert shown.feed(token(3, "Nine ")) == []
    out = shown.feed(ReplyCommitted(turn_id=1, generation=3))
    assert [type(e) for e in out] == [ReplyCommitted, LlmToken]
    assert [e.text for e in out if isinstance(e, LlmToken)] == ["Nine "]


def test_reports_of_another_generation_than_the_newest_reply_are_stale():
    shown = ShownEvents()
    feed_all(shown, started(1), token(1, "Old "))
    shown.feed(started(2))
    assert shown.feed(token(1, "stale ", 1)) == []
    assert shown.feed(chunk(1, "stale chunk")) == []
    fresh = token(2, "New ")
    assert shown.feed(fresh) == [fresh]


def test_a_speculative_reply_cut_off_before_its_commit_drops_what_it_held():
    shown = ShownEvents()
    feed_all(shown, started(2, speculative=True), token(2, "Zebra "))
    cut = ReplyCutOff(turn_id=1, generation=2, t_silent_ns=5, reason="stop")
    assert shown.feed(cut) == [cut]
    assert shown.feed(token(2, "more ", 1)) == []
    done = TurnCompleted(turn_id=1, generation=2, user_text="what time is it", reply_text="",
                         interrupted=True)
    assert shown.feed(done) == [done]  # the turn's record always passes


def test_a_cut_off_reply_keeps_what_was_shown_and_its_barge_in_passes():
    shown = ShownEvents()
    shown_before = feed_all(shown, started(1), token(1, "It "))
    assert len(shown_before) == 2
    cut = ReplyCutOff(turn_id=1, generation=1, t_silent_ns=5, reason="barge-in")
    barge = BargeIn(turn_id=1, generation=1, t_onset_ns=1, t_silent_ns=5)
    assert feed_all(shown, cut, barge) == [cut, barge]
    assert shown.feed(token(1, "after ", 1)) == []


def test_what_is_not_a_reply_passes_whatever_its_generation():
    shown = ShownEvents()
    feed_all(shown, started(4, speculative=True))
    others = [TurnOpened(turn_id=2, generation=4, source="voice"),
              PartialTranscript(turn_id=2, generation=0, text="what"),
              FinalTranscript(turn_id=2, generation=0, text="what time"),
              StatusChanged(turn_id=2, generation=4, state="thinking"),
              Notice(message="a voice fell back", level="warning")]
    assert feed_all(shown, *others) == others


def test_reports_pass_on_a_stream_that_announces_no_replies():
    shown = ShownEvents()
    events = [token(0, "Hi "), chunk(0, "Hi.")]
    assert feed_all(shown, *events) == events


def test_a_new_conversations_counter_starts_afresh():
    # the app builds a new loop when settings change: its generations start from 1 again
    shown = ShownEvents()
    feed_all(shown, started(7), ReplyDiscarded(turn_id=1, generation=7))
    events = [started(1, turn=1), token(1, "Hello ", turn=1)]
    assert feed_all(shown, *events) == events


def test_on_the_real_loop_a_discarded_speculative_reply_never_comes_out():
    stage = discarded_speculation()
    shown = feed_all(ShownEvents(), *stage.events)
    words = [e.text for e in shown if isinstance(e, (LlmToken, TextChunk, LlmFinished))]
    assert not any(shows_discarded_words(text) for text in words)
    assert "".join(e.text for e in shown if isinstance(e, LlmToken)).strip() == ANSWER
    # every reply's report that came out belongs to the one reply shown
    reports = [e for e in shown if isinstance(e, (LlmToken, TextChunk, ChunkPlaybackStarted))]
    assert len({e.generation for e in reports}) == 1
    assert any(isinstance(e, ReplyDiscarded) for e in shown)  # consumers are told of it
