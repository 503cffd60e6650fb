"""The turn machine, transition by transition: (state, message) -> (new state, actions), with
no conversation, listener or clock around it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.config import Settings
from assistant.conversation.turn_machine import silence_limit_ms, step
from assistant.conversation.turn_rules import Rules
from assistant.conversation.turn_state import (
    AskCheckpoint, AskVerdict, BackToListening, CheckpointWords, CommitReply, DiscardReply,
    DropTurn, EndUtterance, FinalWords, Frame, Heard, HoldTurn, PartialWords, Phase, Prefill,
    Reply, ReplyOver, ReplyPlaying, SetUserText, SilenceEnded, StartReply, TalkKeyDown, Tick,
    TurnState, UtteranceEnded, VerdictCame, WonBargeIn, WordsTimedOut,
)

MS = 1_000_000
SMART = Rules(smart=True, end_silence_ms=400, max_silence_ms=1500, check_silence_ms=150,
              threshold=0.5, speculation=True, speculative_silence_ms=120,
              final_timeout_ms=8000, dangling=frozenset({"the", "of", "um"}))
SILENCE_ONLY = replace(SMART, smart=False)


def talking(**kw) -> Frame:
    return Frame(Heard(silence_ms=0, **kw))


def quiet(ms: float, **kw) -> Frame:
    return Frame(Heard(silence_ms=ms, **kw))


def run(state: TurnState, *messages, rules: Rules = SMART):
    """Every message in turn; the final state and all actions."""
    actions = []
    for message in messages:
        state, more = step(rules, state, message)
        actions += more
    return state, actions


def fresh() -> TurnState:
    return TurnState(turn_id=1)


# --- rules from settings ------------------------------------------------------------------


def test_rules_are_a_snapshot_of_the_settings():
    settings = Settings()
    rules = Rules.from_settings(settings, has_model=True)
    settings.turn.max_silence_ms = 4000
    assert rules.max_silence_ms == 1500  # taken when made, not read live
    assert rules.smart and rules.speculation
    assert not Rules.from_settings(settings, has_model=False).smart
    assert not Rules.from_settings(settings, has_model=True, speculation=False).speculation
    settings.turn.detector = "silence"
    assert not Rules.from_settings(settings, has_model=True).smart


def test_dangling_words_come_with_the_language():
    settings = Settings()
    settings.stt.language = "en-GB"
    assert Rules.from_settings(settings, has_model=True).words_unfinished("the capital of")
    settings.stt.language = "ko"
    assert not Rules.from_settings(settings, has_model=True).words_unfinished("the capital of")


@pytest.mark.parametrize("words, unfinished", [
    ("what is the capital of", True), ("I want um", True), ("so then...", True),
    ("what is the capital of France", False), ("Which folder should I save it to?", False),
    ("is it the?", False), ("", False),
])
def test_words_unfinished(words, unfinished):
    assert SMART.words_unfinished(words) is unfinished


# --- LISTENING <-> PAUSED -------------------------------------------------------------------


def test_a_short_pause_asks_for_a_checkpoint_once():
    state, actions = run(fresh(), talking(), quiet(20), quiet(100))
    assert state.phase is Phase.PAUSED and actions == []
    state, actions = run(state, quiet(120), quiet(140))
    assert actions == [AskCheckpoint()] and state.checkpoint_asked


def test_a_longer_pause_asks_the_model_once_per_pause():
    state, actions = run(fresh(), quiet(150), quiet(200))
    assert actions == [AskCheckpoint(), AskVerdict(1)]
    assert state.verdict_request == 1 and state.verdict_pending
    state, actions = run(state, talking(), quiet(160))  # the next pause is asked anew
    assert actions == [AskCheckpoint(), AskVerdict(2)]


def test_without_the_model_no_verdict_is_asked():
    _, actions = run(fresh(), quiet(500), rules=SILENCE_ONLY)
    assert actions == [AskCheckpoint()]


def test_no_checkpoint_while_another_reply_plays_or_without_speculation():
    _, actions = run(fresh(), quiet(130, others_replying=True))
    assert AskCheckpoint() not in actions
    _, actions = run(fresh(), quiet(130), rules=replace(SMART, speculation=False))
    assert AskCheckpoint() not in actions


def test_talking_again_discards_the_held_reply_and_resets_the_pause():
    state, _ = run(fresh(), quiet(130), CheckpointWords("what is", Heard(silence_ms=140)))
    assert state.reply is Reply.HELD and state.speculative_text == "what is"
    state = replace(state, hold_ms=1000)
    state, actions = run(state, talking())
    assert actions == [DiscardReply()]
    assert state.phase is Phase.LISTENING and state.reply is Reply.NONE
    assert state.speculative_text is None and state.hold_ms is None
    assert not state.checkpoint_asked and not state.verdict_asked


# --- prefill and the speculative start -----------------------------------------------------


def test_prefill_reads_all_but_the_last_word_once():
    state, actions = run(fresh(), PartialWords("what is the"))
    assert actions == [Prefill("what is the", "what is")]
    state, actions = run(state, PartialWords("what is thee"))
    assert actions == []  # nothing new to read
    _, actions = run(state, PartialWords("what is the time", others_replying=True))
    assert actions == []  # a reply is being written: the LLM is busy


def test_prefill_of_a_resumed_turn_reads_both_turns_words():
    _, actions = run(TurnState(2, prefix="what is"), PartialWords("the time"))
    assert actions == [Prefill("what is the time", "what is the")]


def test_a_checkpoint_starts_a_held_reply_on_the_spoken_words():
    state, actions = run(TurnState(3, prefix="tell me"),
                         CheckpointWords("a joke", Heard(silence_ms=130)))
    assert actions == [StartReply("tell me a joke", speculative=True)]
    assert state.reply is Reply.HELD


def test_a_checkpoint_after_the_user_went_on_starts_nothing():
    _, actions = run(fresh(), CheckpointWords("what is", Heard(silence_ms=0)))
    assert actions == []
    _, actions = run(fresh(), CheckpointWords("", Heard(silence_ms=200)))
    assert actions == []


# --- the end-of-turn model's verdict -------------------------------------------------------


def asked() -> TurnState:
    state, _ = run(fresh(), quiet(150))
    return state


def test_complete_ends_the_turn_and_commits_the_reply_held_on_the_same_words():
    state, _ = run(asked(), CheckpointWords("What time is it?", Heard(silence_ms=150)))
    state, actions = run(state, VerdictCame(1, 0.9, Heard(silence_ms=170,
                                                            words="What time is it?")))
    assert actions == [CommitReply(), EndUtterance("model")]
    assert state.reply is Reply.COMMITTED and state.probability == 0.9


def test_not_complete_holds_the_turn():
    state, actions = run(asked(), VerdictCame(1, 0.2, Heard(silence_ms=170, words="so I")))
    assert actions == [HoldTurn(0.2)] and state.open and not state.verdict_pending


def test_complete_on_dangling_words_waits_a_shorter_silence():
    state, actions = run(asked(), VerdictCame(1, 0.8, Heard(silence_ms=170,
                                                             words="the capital of")))
    assert actions == [HoldTurn(0.8)]
    assert state.hold_ms == 1000 and silence_limit_ms(SMART, state) == 1000
    state, _ = run(state, talking())
    assert silence_limit_ms(SMART, state) == 1500  # the full limit again


def test_silence_limits():
    assert silence_limit_ms(SMART, None) == 1500
    assert silence_limit_ms(SILENCE_ONLY, replace(fresh(), hold_ms=1000)) == 400


def test_complete_before_the_pauses_words_waits_for_them_then_decides():
    pending = Heard(silence_ms=170, words="", checkpoint_pending=True)
    state, actions = run(asked(), VerdictCame(1, 0.9, pending))
    assert actions == [] and state.waiting_for_words
    state, actions = run(state, CheckpointWords("Go forward ten meters.",
                                                Heard(silence_ms=260,
                                                      words="Go forward ten meters.")))
    assert actions == [StartReply("Go forward ten meters.", speculative=True), CommitReply(),
                       EndUtterance("model")]
    assert not state.waiting_for_words


def test_words_that_come_after_the_user_went_on_decide_nothing():
    pending = Heard(silence_ms=170, checkpoint_pending=True)
    state, _ = run(asked(), VerdictCame(1, 0.9, pending))
    state, actions = run(state, CheckpointWords("go", Heard(silence_ms=0)))
    assert actions == [] and not state.waiting_for_words


def test_complete_answers_fresh_streaming_words_at_once():
    heard = Heard(silence_ms=170, words="turn on the light", fresh_words="turn on the light",
                  checkpoint_pending=True)
    state, actions = run(asked(), VerdictCame(1, 0.9, heard))
    assert actions == [StartReply("turn on the light", speculative=True), CommitReply(),
                       EndUtterance("model")]
    assert state.reply is Reply.COMMITTED


def test_fresh_words_replace_a_reply_held_on_older_words():
    state, _ = run(asked(), CheckpointWords("turn on", Heard(silence_ms=150)))
    heard = Heard(silence_ms=170, words="turn on the light", fresh_words="turn on the light")
    _, actions = run(state, VerdictCame(1, 0.9, heard))
    assert actions[:2] == [DiscardReply(), StartReply("turn on the light", speculative=True)]


def test_speech_over_a_reply_is_not_answered_early():
    state = replace(asked(), over_reply=True)
    heard = Heard(silence_ms=170, words="yeah", fresh_words="yeah")
    _, actions = run(state, VerdictCame(1, 0.9, heard))
    assert actions == [EndUtterance("model")]


def test_a_stale_or_late_verdict_is_ignored():
    state, _ = run(asked(), talking(), quiet(150))  # asked again: request 2
    assert run(state, VerdictCame(1, 0.9, Heard(silence_ms=170)))[1] == []
    _, actions = run(state, VerdictCame(2, 0.9, Heard(silence_ms=0)))
    assert actions == []  # talking again by the time it came


def test_the_endpointer_closing_the_turn_commits_a_reply_on_the_same_words():
    state, _ = run(fresh(), CheckpointWords("hello there", Heard(silence_ms=130)))
    _, actions = run(state, SilenceEnded(Heard(words="hello there")))
    assert actions == [CommitReply()]
    _, actions = run(state, SilenceEnded(Heard(words="hello there again")))
    assert actions == []


def test_the_talk_key_discards_a_held_reply():
    state, _ = run(fresh(), CheckpointWords("hello", Heard(silence_ms=130)))
    state, actions = run(state, TalkKeyDown())
    assert actions == [DiscardReply()] and state.reply is Reply.NONE


def test_winning_a_barge_in_makes_the_turn_count():
    state, _ = run(TurnState(4, over_reply=True), WonBargeIn(prefix="what is"))
    assert not state.over_reply and state.spoken("the time") == "what is the time"


# --- ENDED -> DONE --------------------------------------------------------------------------


def ended(state: TurnState | None = None) -> TurnState:
    state, _ = run(state or fresh(), UtteranceEnded("vad", 1_000 * MS))
    assert state.phase is Phase.ENDED and state.final_due_ns == 9_000 * MS
    return state


def test_final_words_start_the_reply():
    state, actions = run(ended(), FinalWords("what time is it"))
    assert actions == [StartReply("what time is it")]
    assert state.phase is Phase.DONE and state.reply is Reply.COMMITTED


def test_final_words_commit_a_held_reply_on_the_same_words():
    state, _ = run(fresh(), CheckpointWords("What time is it", Heard(silence_ms=130)))
    state, actions = run(ended(state), FinalWords("what time is it?"))
    assert actions == [SetUserText("what time is it?"), CommitReply()]


def test_final_words_that_differ_discard_the_held_reply_and_answer_them():
    state, _ = run(fresh(), CheckpointWords("what time", Heard(silence_ms=130)))
    _, actions = run(ended(state), FinalWords("what time is it in Tokyo"))
    assert actions == [DiscardReply(), StartReply("what time is it in Tokyo")]


def test_final_words_of_a_turn_already_answered_only_name_it():
    state = replace(ended(), reply=Reply.PLAYING, speculative_text="turn on the light")
    _, actions = run(state, FinalWords("turn on the lights"))
    assert actions == [SetUserText("turn on the lights")]


def test_no_words_no_reply():
    _, actions = run(ended(), FinalWords("  "))
    assert actions == [BackToListening()]


def test_a_turn_cut_off_before_its_end_gets_no_second_answer():
    state, _ = run(fresh(), CheckpointWords("tell me", Heard(silence_ms=130)), ReplyOver())
    assert state.reply is Reply.FINISHED
    _, actions = run(ended(state), FinalWords("tell me a story"))
    assert actions == [BackToListening()]


def test_speech_over_a_reply_that_never_won_is_dropped():
    _, actions = run(ended(TurnState(5, over_reply=True)), FinalWords("uh huh"))
    assert actions == [DropTurn()]


def test_words_that_never_come_are_given_up_on():
    state = ended()
    assert run(state, Tick(8_999 * MS))[1] == []
    state, actions = run(state, Tick(9_500 * MS))
    assert actions == [WordsTimedOut(8500.0), BackToListening()]
    assert state.phase is Phase.DONE
    assert run(state, FinalWords("too late"))[1] == []  # given up on: nothing more


def test_a_held_reply_is_discarded_when_the_words_never_come():
    state, _ = run(fresh(), CheckpointWords("what", Heard(silence_ms=130)))
    _, actions = run(ended(state), Tick(10_000 * MS))
    assert actions == [WordsTimedOut(9000.0), DiscardReply(), BackToListening()]


def test_the_reply_side_follows_playback():
    state, _ = run(ended(), FinalWords("hi"), ReplyPlaying())
    assert state.reply is Reply.PLAYING
    state, _ = run(state, ReplyOver())
    assert state.reply is Reply.FINISHED


def test_nothing_moves_a_finished_turn():
    state, _ = run(ended(), FinalWords("hi"))
    for message in (talking(), quiet(500), CheckpointWords("x", Heard(silence_ms=200)),
                    VerdictCame(1, 0.9, Heard(silence_ms=200)), PartialWords("a b c"),
                    UtteranceEnded("vad", 0), FinalWords("again"), Tick(10**12)):
        after, actions = step(SMART, state, message)
        assert after == state and actions == [], message


def test_an_unknown_message_changes_nothing():
    assert step(SMART, fresh(), object()) == (fresh(), [])
