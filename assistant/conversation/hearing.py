"""What the user says becomes turns: each frame (cleaned of the assistant's voice by the
lane's reader) through the listener, the listener's events and the decodes and verdicts that
come back, told to the turn machine (turn_machine.py), whose actions are carried out here. Barge-in is checked on every frame
right after the endpointer (barge_in.py decides it).

Runs on the conversation thread only (`Conversation.handle` calls it). It never waits for an
engine: checkpoints, final words and verdicts are asked for and come back through the inbox.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from assistant.clock import NS_PER_MS
from assistant.conversation import turn_machine
from assistant.conversation.barge_in import Speech
from assistant.conversation.listener import WordsReady
from assistant.conversation.responder import PrefillRequest
from assistant.conversation.turn_state import (
    AskCheckpoint, AskVerdict, BackToListening, CheckpointWords, CommitReply, DiscardReply,
    DropTurn, EndUtterance, FinalWords, Frame, Heard, HoldTurn, PartialWords, Prefill,
    SetUserText, SilenceEnded, StartReply, TalkKeyDown, Tick, TurnState, UtteranceEnded, VerdictCame,
    WonBargeIn, WordsTimedOut,
)
from assistant.conversation.turns import Turn
from assistant.events import (
    AudioFrame, Event, FinalTranscript, ListenerLag, Notice, PartialTranscript, SpeechEnded,
    SpeechStarted, StatusChanged, TranscriptCheckpoint, TurnHeld, TurnOpened,
)
from assistant.turn_detection.smart_turn import Verdict
from assistant.vad import VadState

log = logging.getLogger(__name__)

LAG_BATCH = 50  # frames per ListenerLag report (one a second at 20 ms frames)


class Hearing:
    def __init__(self, conversation):
        self.c = conversation  # its floor, listener, replies, rules, publish...
        # speech that cut the last reply off before it was a turn (and the turn it resumes)
        self._pending_barge_in = False
        self._pending_continues: Turn | None = None
        self._awaiting: dict[int, Turn] = {}  # ended turns whose final words are decoding
        self._lag: list[float] = []

    # --- the machine ------------------------------------------------------------------------

    def tell(self, turn: Turn, message) -> None:
        """Step the turn's machine and carry out what it asks, in order."""
        if turn.state is None:
            return  # a typed question or a ring: no listening side to decide
        turn.state, actions = turn_machine.step(self.c.rules, turn.state, message)
        for action in actions:
            self._carry_out(turn, action)

    def _carry_out(self, turn: Turn, action) -> None:
        c = self.c
        if isinstance(action, AskCheckpoint):
            c.listener.request_checkpoint()
        elif isinstance(action, AskVerdict):
            c.turn_detector.ask(turn.turn_id, action.request, c.listener.recent_audio(),
                                c.report)
        elif isinstance(action, Prefill):
            c.workers.prefill(PrefillRequest(c.history.messages_for(action.text), action.upto))
        elif isinstance(action, StartReply):
            c.replies.start(turn, action.text, speculative=action.speculative)
        elif isinstance(action, CommitReply):
            c.replies.commit(turn)
        elif isinstance(action, DiscardReply):
            c.replies.discard(turn)
        elif isinstance(action, HoldTurn):
            c.publish(TurnHeld(turn_id=turn.turn_id, generation=c.floor.generation,
                               t_ns=c.clock.now_ns(), probability=action.probability))
        elif isinstance(action, EndUtterance):
            for event in c.listener.end_now(action.reason):
                self.on_listener_event(event)
        elif isinstance(action, SetUserText):
            turn.user_text = action.text
        elif isinstance(action, DropTurn):
            log.info("ignoring speech heard while replying (no barge-in)")
            c.floor.drop(turn)
        elif isinstance(action, BackToListening):
            c.publish(StatusChanged(t_ns=c.clock.now_ns(), state="listening"))
        elif isinstance(action, WordsTimedOut):
            self._give_up_on_words(turn, action.waited_ms)

    def heard(self, turn: Turn) -> Heard:
        c = self.c
        listener = c.listener
        return Heard(silence_ms=listener.silence_ms(), words=listener.current_text(),
                     fresh_words=listener.partial_words(),
                     checkpoint_pending=listener.checkpoint_pending,
                     others_replying=c.floor.replying not in (None, turn))

    def silence_limit_ms(self) -> int:
        """What the endpointer is told on each frame: how much silence ends the open turn."""
        turn = self.c.floor.listening
        return turn_machine.silence_limit_ms(self.c.rules, turn.state if turn else None)

    # --- frames -----------------------------------------------------------------------------

    def on_frame(self, frame: AudioFrame) -> None:
        c = self.c  # the frame was cleaned of the assistant's voice by the reader (lane.py)
        # a speculative reply is not heard yet: the turn it answers must still be able to end
        reply = c.floor.replying
        speaking = c.speaker.is_playing or (reply is not None and reply.committed)
        if c.half_duplex.deaf(frame.t_ns, c.clock.now_ns(), speaking):
            return
        try:
            for event in c.listener.process(frame):
                self.on_listener_event(event)
            turn = c.floor.listening
            if turn is not None:
                self.tell(turn, Frame(self.heard(turn)))
        except Exception:
            log.exception("listening failed on a frame; dropping the utterance")
            c.listener.cancel()  # and the final words it was waiting for
            c.floor.listening = None
            for turn in list(self._awaiting.values()):
                self._awaiting.pop(turn.turn_id)
                self.tell(turn, FinalWords(""))
        self._lag.append((c.clock.now_ns() - frame.t_end_ns) / NS_PER_MS)
        if len(self._lag) >= LAG_BATCH:
            self.flush_lag()

    def flush_lag(self) -> None:
        if self._lag:
            self.c.publish(ListenerLag(t_ns=self.c.clock.now_ns(), lag_ms=tuple(self._lag)))
            self._lag = []

    def on_vad(self, frame: AudioFrame) -> None:
        """Right after the endpointer saw a frame, before speech recognition: barge-in, and
        committing a speculative reply the moment the turn ends."""
        c = self.c
        endpointer = c.listener.endpointer
        c.echo_filter.observe(user_quiet=endpointer.state is VadState.QUIET,
                              t_end_ns=frame.t_end_ns)
        turn = c.floor.listening
        if turn is not None and c.listener.active and endpointer.state is VadState.QUIET:
            self.tell(turn, SilenceEnded(self.heard(turn)))
        self._check_barge_in(frame)

    def _check_barge_in(self, frame: AudioFrame) -> None:
        c = self.c
        endpointer = c.listener.endpointer
        reply = c.floor.replying
        speech = Speech(quiet=endpointer.state is VadState.QUIET,
                        onset_ns=endpointer.onset_ns or frame.t_ns,
                        voiced_ms=endpointer.voiced_ms, end_ns=frame.t_end_ns)
        if not c.barge_in.interrupts(reply, c.floor.listening, speech,
                                     c.echo_filter.user_above_echo):
            return
        c.replies.cut_off(reply, onset_ns=speech.onset_ns)
        continues = reply if c.barge_in.resumes(reply, speech.onset_ns) else None
        if continues is not None:  # its words are said again, with the rest, as one turn
            c.history.retract_exchange(reply.user_text)
        listening = c.floor.listening
        if listening is not None:
            listening.barge_in, listening.continues = True, continues
            self.tell(listening, WonBargeIn(continues.user_text if continues else ""))
        else:
            self._pending_barge_in, self._pending_continues = True, continues

    def key_down(self, t_ns: int) -> None:
        """The talk key: it interrupts a reply that plays; an open turn's held reply waits."""
        c = self.c
        reply = c.floor.replying
        if reply is not None and reply is c.floor.listening and not reply.committed:
            self.tell(reply, TalkKeyDown())
        elif reply is not None:
            c.replies.cut_off(reply, onset_ns=t_ns, reason="press")
            self._pending_barge_in = True

    # --- what comes back through the inbox --------------------------------------------------

    def on_words(self, words: WordsReady) -> None:
        for event in self.c.listener.take(words):
            self.on_listener_event(event)

    def on_verdict(self, verdict: Verdict) -> None:
        turn = self.c.floor.turn(verdict.turn_id)
        if turn is None or turn.state is None:
            return
        state = turn.state
        if state.open and verdict.request == state.verdict_request:
            turn.verdicts.append((round(verdict.probability, 3), verdict.inference_ms))
        self.tell(turn, VerdictCame(verdict.request, verdict.probability, self.heard(turn)))

    def tick(self) -> None:
        """Final words that are overdue are given up on."""
        now = self.c.clock.now_ns()
        for turn in list(self._awaiting.values()):
            self.tell(turn, Tick(now))

    def awaiting_words(self) -> bool:
        return bool(self._awaiting)

    def _give_up_on_words(self, turn: Turn, waited_ms: float) -> None:
        c = self.c
        self._awaiting.pop(turn.turn_id, None)
        c.listener.forget_final(turn.turn_id)
        log.warning("no final words for turn %d after %.0f ms", turn.turn_id, waited_ms)
        c.publish(Notice(t_ns=c.clock.now_ns(), level="warning", turn_id=turn.turn_id,
                         message=f"Speech recognition gave no words within {waited_ms / 1000:.0f} s,"
                                 " so that utterance was dropped; please say it again."))

    # --- what the listener heard ------------------------------------------------------------

    def on_listener_event(self, event: Event) -> None:
        c = self.c
        if isinstance(event, SpeechStarted):
            self._on_speech_started(event)
            return
        turn = c.floor.turn(event.turn_id)
        if turn is None or turn.state is None:
            return
        if isinstance(event, PartialTranscript):
            if event.text.strip():
                turn.timeline.mark("first_words", event.t_ns)  # on screen from now
            self._publish_for(turn, event)
            self.tell(turn, PartialWords(event.text,
                                         others_replying=c.floor.replying is not None))
        elif isinstance(event, TranscriptCheckpoint):
            self.tell(turn, CheckpointWords(event.text, self.heard(turn)))
        elif isinstance(event, SpeechEnded):
            turn.timeline.speech_end = event.t_true_end_ns
            turn.timeline.mark("end_detected", event.t_ns)
            if event.reason == "ptt":
                turn.source = "ptt"
            turn.end_reason = {"vad": "silence"}.get(event.reason, event.reason)
            probability = turn.state.probability if event.reason == "model" else None
            if c.floor.listening is turn:
                c.floor.listening = None
            self._awaiting[turn.turn_id] = turn
            self._publish_for(turn, replace(event, probability=probability))
            self.tell(turn, UtteranceEnded(event.reason, c.clock.now_ns()))
        elif isinstance(event, FinalTranscript):
            if self._awaiting.pop(turn.turn_id, None) is None:
                return  # given up on already
            turn.timeline.mark("final_transcript", event.t_ns)
            self._publish_for(turn, event)
            self.tell(turn, FinalWords(event.text))

    def _on_speech_started(self, event: SpeechStarted) -> None:
        c = self.c
        turn = c.floor.new_turn(source="voice", turn_id=event.turn_id)
        turn.t_onset_ns = event.t_onset_ns
        turn.barge_in, self._pending_barge_in = self._pending_barge_in, False
        turn.continues, self._pending_continues = self._pending_continues, None
        # speech that begins while a reply plays must win a barge-in to count: otherwise it
        # is the assistant's own echo, a cough, or noise
        turn.state = TurnState(turn.turn_id,
                               prefix=turn.continues.user_text if turn.continues else "",
                               over_reply=c.floor.replying is not None and not turn.barge_in)
        c.floor.listening = turn
        c.publish(TurnOpened(turn_id=turn.turn_id, generation=c.floor.generation,
                             t_ns=event.t_ns, source="voice"))
        self._publish_for(turn, event)
        if c.floor.replying is None:
            c.publish(StatusChanged(t_ns=event.t_ns, state="hearing"))

    def _publish_for(self, turn: Turn, event: Event) -> None:
        self.c.publish(replace(event, turn_id=turn.turn_id, generation=self.c.floor.generation))
