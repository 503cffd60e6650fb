"""The turn machine: a turn's life as one pure transition function,

    step(rules, state, message) -> (new state, actions)

It holds no reference to anything, changes nothing and reads no clock: the conversation
thread tells it what happened (a frame heard, a checkpoint's words, the end-of-turn model's
verdict, the final words, the time) and carries out the actions it returns. End of turn and
speculation are decided here and nowhere else; barge-in and resumption in barge_in.py.

The user's side (`Phase`):

    LISTENING --silence--> PAUSED --talking--> LISTENING
    PAUSED --silence limit / "complete" verdict--> ENDED --final words--> DONE
    LISTENING/PAUSED --push-to-talk release, end of input--> ENDED
    ENDED --no words in time--> DONE (a notice; the utterance is dropped)

The reply's side (`Reply`), which may move while the user's side is still open:

    NONE --checkpoint at a short pause--> HELD --talking--> NONE (discarded)
    HELD --the turn ends on the same words--> COMMITTED --first sample--> PLAYING
    NONE --final words--> COMMITTED;  any --played out or cut off--> FINISHED

- At a pause of `speculative_silence_ms` the words so far are asked for with final quality (a
  checkpoint), and a reply starts on them, held. Talking again discards it.
- With the end-of-turn model (`rules.smart`), it is asked once per pause, at
  `check_silence_ms`. "Complete" ends the turn at once, unless the words stop mid-phrase
  ("the", "of", "um", "..."): then a shorter silence (`hold_silence_ms`) ends it. Not complete:
  the turn stays open (held) up to `max_silence_ms`. When "complete" comes while the pause's
  words are still being decoded and no streaming words are newer, the decision waits for them
  (they may stop mid-phrase). Without the model, `end_silence_ms` of silence ends the turn.
- The final words are waited for at most `final_timeout_ms`; then the utterance is dropped
  with a notice and the conversation goes on.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.conversation.turn_rules import Rules, same_words
from assistant.conversation.turn_state import (
    AskCheckpoint, AskVerdict, BackToListening, CheckpointWords, CommitReply, DiscardReply,
    DropTurn, EndUtterance, FinalWords, Frame, Heard, HoldTurn, PartialWords, Phase, Prefill,
    Reply, ReplyOver, ReplyPlaying, SetUserText, SilenceEnded, StartReply, TalkKeyDown, Tick,
    TurnState, UtteranceEnded, VerdictCame, WonBargeIn, WordsTimedOut,
)

NS_PER_MS = 1_000_000
LIVE = (Reply.HELD, Reply.COMMITTED, Reply.PLAYING)


def silence_limit_ms(rules: Rules, state: TurnState | None) -> int:
    """How long a silence ends the open turn on its own (the model may end it sooner)."""
    if not rules.smart:
        return rules.end_silence_ms
    if state is not None and state.hold_ms is not None:
        return state.hold_ms
    return rules.max_silence_ms


def step(rules: Rules, state: TurnState, message) -> tuple[TurnState, list]:
    """The one transition function. Unknown or late messages leave the state as it is."""
    handler = _HANDLERS.get(type(message))
    if handler is None:
        return state, []
    return handler(rules, state, message)


# --- while the user talks or pauses ------------------------------------------------------------


def _frame(rules: Rules, state: TurnState, msg: Frame):
    if not state.open:
        return state, []
    heard = msg.heard
    if heard.silence_ms == 0:
        return _talking(state)
    state, actions = replace(state, phase=Phase.PAUSED), []
    if (rules.speculation and state.reply is Reply.NONE and not heard.others_replying
            and not state.checkpoint_asked
            and heard.silence_ms >= rules.speculative_silence_ms):
        state = replace(state, checkpoint_asked=True)
        actions.append(AskCheckpoint())
    if rules.smart and not state.verdict_asked and heard.silence_ms >= rules.check_silence_ms:
        request = state.verdict_request + 1
        state = replace(state, verdict_asked=True, verdict_request=request)
        actions.append(AskVerdict(request))
    return state, actions


def _talking(state: TurnState):
    """Speech again inside the turn: the pause is over, and so is a reply held for it."""
    actions = []
    fresh = replace(state, phase=Phase.LISTENING, checkpoint_asked=False, verdict_asked=False,
                    hold_ms=None, waiting_for_words=False)
    if state.reply is Reply.HELD:
        fresh = replace(fresh, reply=Reply.NONE, speculative_text=None)
        actions.append(DiscardReply())
    return fresh, actions


def _partial(rules: Rules, state: TurnState, msg: PartialWords):
    """While the user talks, the LLM reads all the words but the last (it may still change)."""
    if (not rules.speculation or not state.open or state.reply is not Reply.NONE
            or msg.others_replying):
        return state, []
    spoken = state.spoken(msg.text)
    upto = " ".join(spoken.split()[:-1])
    if not upto or upto == state.prefilled:
        return state, []
    return replace(state, prefilled=upto), [Prefill(spoken, upto)]


def _checkpoint(rules: Rules, state: TurnState, msg: CheckpointWords):
    if not state.open:
        return state, []
    actions = []
    text = msg.text.strip()
    if (text and state.reply is Reply.NONE and state.speculative_text is None
            and not msg.heard.others_replying and msg.heard.silence_ms > 0):
        spoken = state.spoken(text)
        state = replace(state, reply=Reply.HELD, speculative_text=spoken)
        actions.append(StartReply(spoken, speculative=True))
    if state.waiting_for_words:
        if msg.heard.silence_ms > 0:
            state, decided = _decide(rules, state, state.probability or 0.0, msg.heard)
            actions += decided
        else:
            state = replace(state, waiting_for_words=False)
    return state, actions


def _verdict(rules: Rules, state: TurnState, msg: VerdictCame):
    if not state.open or msg.request != state.verdict_request:
        return state, []  # a pause that is over: the user went on, or the turn ended
    state = replace(state, verdict_answered=msg.request, probability=msg.probability)
    heard = msg.heard
    if heard.silence_ms == 0:
        return state, []  # talking again
    if (rules.complete(msg.probability) and heard.checkpoint_pending
            and not heard.fresh_words.strip()):
        # the reply cannot start before the pause's words are known anyway: hear them first
        # (they may stop mid-phrase), then decide
        return replace(state, waiting_for_words=True), []
    return _decide(rules, state, msg.probability, heard)


def _decide(rules: Rules, state: TurnState, probability: float, heard: Heard):
    """A verdict on a pause whose words are known: end the turn, or hold it."""
    state = replace(state, waiting_for_words=False)
    words = heard.words
    complete = rules.complete(probability)
    if complete and rules.words_unfinished(words):
        state = replace(state, hold_ms=rules.hold_silence_ms())  # a shorter wait
        complete = False
    if not complete:
        return state, [HoldTurn(probability)]
    actions = []
    if _held_on(state, words):
        state = replace(state, reply=Reply.COMMITTED)
        actions.append(CommitReply())  # the reply already written plays at once
    elif (heard.fresh_words.strip() and not heard.others_replying and not state.over_reply
          and state.reply in (Reply.NONE, Reply.HELD)):
        # no reply on these words yet (their checkpoint is still being decoded, or
        # speculation is off): answer the streaming recognizer's words now, not after the
        # final decode
        if state.reply is Reply.HELD:
            actions.append(DiscardReply())
        spoken = state.spoken(words)
        state = replace(state, reply=Reply.COMMITTED, speculative_text=spoken)
        actions += [StartReply(spoken, speculative=True), CommitReply()]
    actions.append(EndUtterance("model"))
    return state, actions


def _held_on(state: TurnState, words: str) -> bool:
    """The held reply was started on these words: it is the answer."""
    return (state.reply is Reply.HELD and state.speculative_text is not None
            and same_words(state.spoken(words), state.speculative_text))


def _silence_ended(rules: Rules, state: TurnState, msg: SilenceEnded):
    """The endpointer closed the turn: a reply held on the same words plays now, not after
    the final decode."""
    if state.open and _held_on(state, msg.heard.words):
        return replace(state, reply=Reply.COMMITTED), [CommitReply()]
    return state, []


def _key_down(rules: Rules, state: TurnState, msg: TalkKeyDown):
    """The talk key holds the turn on: a reply held for it waits for the key's release."""
    if state.reply is Reply.HELD:
        return replace(state, reply=Reply.NONE, speculative_text=None), [DiscardReply()]
    return state, []


def _won_barge_in(rules: Rules, state: TurnState, msg: WonBargeIn):
    return replace(state, over_reply=False, prefix=msg.prefix or state.prefix), []


# --- the end of the utterance --------------------------------------------------------------


def _ended(rules: Rules, state: TurnState, msg: UtteranceEnded):
    if state.phase is Phase.DONE:
        return state, []
    due = msg.now_ns + rules.final_timeout_ms * NS_PER_MS
    return replace(state, phase=Phase.ENDED, final_due_ns=due, waiting_for_words=False), []


def _final(rules: Rules, state: TurnState, msg: FinalWords):
    if state.phase is Phase.DONE:
        return state, []  # given up on already
    state = replace(state, phase=Phase.DONE, final_due_ns=None)
    if state.reply is Reply.FINISHED:
        return state, [BackToListening()]  # cut off before the turn ended: it had its answer
    if state.over_reply:
        return state, [DropTurn()]  # heard over a reply, and it did not win a barge-in
    text = state.spoken(msg.text)
    if state.reply in LIVE:
        if state.reply is not Reply.HELD:
            return state, [SetUserText(text or state.speculative_text or "")]
        if same_words(state.speculative_text or "", text):
            return (replace(state, reply=Reply.COMMITTED),
                    [SetUserText(text or state.speculative_text or ""), CommitReply()])
        state = replace(state, reply=Reply.NONE, speculative_text=None)
        discard = [DiscardReply()]
    else:
        discard = []
    if not text:
        return state, discard + [BackToListening()]
    return replace(state, reply=Reply.COMMITTED), discard + [StartReply(text)]


def _tick(rules: Rules, state: TurnState, msg: Tick):
    if state.phase is not Phase.ENDED or state.final_due_ns is None:
        return state, []
    if msg.now_ns < state.final_due_ns:
        return state, []
    waited_ms = rules.final_timeout_ms + (msg.now_ns - state.final_due_ns) / NS_PER_MS
    actions: list = [WordsTimedOut(waited_ms)]
    if state.reply is Reply.HELD:  # started on words the user went on from
        actions.append(DiscardReply())
        state = replace(state, reply=Reply.NONE, speculative_text=None)
    if state.reply is Reply.NONE:
        actions.append(BackToListening())
    return replace(state, phase=Phase.DONE, final_due_ns=None), actions


# --- the reply, as it plays ------------------------------------------------------------------


def _playing(rules: Rules, state: TurnState, msg: ReplyPlaying):
    if state.reply is Reply.COMMITTED:
        return replace(state, reply=Reply.PLAYING), []
    return state, []


def _over(rules: Rules, state: TurnState, msg: ReplyOver):
    if state.reply is Reply.NONE:
        return state, []
    return replace(state, reply=Reply.FINISHED), []


_HANDLERS = {
    Frame: _frame, PartialWords: _partial, CheckpointWords: _checkpoint,
    VerdictCame: _verdict, SilenceEnded: _silence_ended, TalkKeyDown: _key_down,
    WonBargeIn: _won_barge_in,
    UtteranceEnded: _ended, FinalWords: _final, Tick: _tick,
    ReplyPlaying: _playing, ReplyOver: _over,
}
