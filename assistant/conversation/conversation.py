"""The conversation loop: listen, answer, speak, be interrupted. One control lane.

Everything that changes the turns is applied here, on the one conversation thread, in the
order it arrived: audio frames (the endpointer, the recognizer and the decisions made on each
frame: barge-in, speculation, the end of a turn), the person's controls (press, release,
Stop, a typed question, new settings) and the reports of the reply workers and the speaker.
They all come through one `Inbox`, controls first and audio last, so a Stop never waits
behind audio or tokens. Other threads never touch a turn; they post.

`handle(item)` is the whole of it and needs no thread: `Lane` (lane.py) runs it on the
conversation thread for the app, and the stage tests call it directly, frame by frame.
Events go out through `publish` (observers: the window, metrics, the conversation log).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Callable

from assistant.clock import NS_PER_MS, Clock
from assistant.config import Settings
from assistant.conversation.barge_in import BargeInPolicy, HalfDuplex, Speech
from assistant.conversation.controls import (
    CancelTimer, ClearHistory, NewSettings, Press, Release, StopReply, TypedText,
)
from assistant.conversation.inbox import CONTROL, REPORT, EndOfInput, Inbox, InputFailed
from assistant.conversation.listener import Listener
from assistant.conversation.reply_desk import ReplyDesk
from assistant.conversation.responder import PrefillRequest
from assistant.conversation.rings import TimerRings
from assistant.conversation.speculation import Speculation, Step, same_words
from assistant.conversation.stages import EchoFilter
from assistant.conversation.turn_taking import EndOfTurn
from assistant.conversation.turns import Floor, Turn
from assistant.events import (
    AudioFrame, Event, FinalTranscript, ListenerLag, Notice, PartialTranscript, SourceFinished,
    SpeechEnded, SpeechStarted, StatusChanged, TranscriptCheckpoint, TurnHeld, TurnOpened,
)
from assistant.turn_detection.smart_turn import Verdict
from assistant.llm.history import ChatHistory
from assistant.vad import VadState

log = logging.getLogger(__name__)

LAG_BATCH = 50  # frames per ListenerLag report (one a second at 20 ms frames)


class Conversation:
    def __init__(self, settings: Settings, *, floor: Floor, listener: Listener, workers,
                 output, speaker, llm, tts, history: ChatHistory, clock: Clock,
                 publish: Callable[[Event], None], echo_filter: EchoFilter,
                 speculation: Speculation, turn_detector=None, skills=None):
        self.settings = settings
        self.listener = listener
        self.workers = workers
        self.speaker = speaker
        self.history = history
        self.clock = clock
        self.publish = publish
        self.echo_filter = echo_filter
        self.speculation = speculation
        self.barge_in = BargeInPolicy(settings.conversation)
        self.half_duplex = HalfDuplex(settings.conversation)
        self.turn_detector = turn_detector  # a TurnDetectorThread, or None (silence only)
        self.end_of_turn = EndOfTurn(settings.turn, settings.vad, turn_detector is not None,
                                     settings.stt.language)
        listener.endpointer.end_silence = self.end_of_turn.silence_limit_ms
        self.floor = floor
        self.inbox = Inbox()
        self.replies = ReplyDesk(floor, workers=workers, output=output, speaker=speaker,
                                 llm=llm, tts=tts, history=history, clock=clock,
                                 publish=publish, settings=settings.conversation, skills=skills)
        self.skills = skills
        # due timers ring between items (the lane calls `rings.tick()`)
        self.rings = None if skills is None else TimerRings(
            skills, floor, self.replies, speaker, clock, publish)
        workers.report = self.report  # what they make comes back through the inbox
        self.listener.on_vad = self._on_vad
        self.input_finished = threading.Event()
        # speech that cut the last reply off before it was a turn (and the turn it resumes)
        self._pending_barge_in = False
        self._pending_continues: Turn | None = None
        self._lag: list[float] = []

    # --- posting, from any thread -------------------------------------------------------------

    def press(self) -> None:
        self.inbox.post(Press(self.clock.now_ns()))

    def release(self) -> None:
        self.inbox.post(Release(self.clock.now_ns()))

    def stop_reply(self) -> None:
        self.inbox.post(StopReply(self.clock.now_ns()))

    def submit_text(self, text: str) -> None:
        if text.strip():
            self.inbox.post(TypedText(text.strip(), self.clock.now_ns()))

    def apply_settings(self, settings: Settings) -> None:
        self.inbox.post(NewSettings(settings.vad, settings.conversation, settings.turn))

    def clear_history(self) -> None:
        self.inbox.post(ClearHistory())

    def cancel_timer(self, timer_id: int) -> None:
        self.inbox.post(CancelTimer(timer_id))

    def report(self, event: Event) -> None:
        """What the reply workers and the speaker tell the conversation."""
        self.inbox.post(event, REPORT)

    def idle(self) -> bool:
        """No reply being produced or played, nobody speaking, nothing left to handle."""
        return (self.floor.replying is None and self.floor.listening is None
                and self.inbox.pending(CONTROL) == 0 and self.inbox.pending(REPORT) == 0
                and self.workers.idle() and not self.speaker.is_playing)

    def set_timeline_origin(self, t0_ns: int) -> None:
        """Where the input's timeline starts (a replayed file's first sample): the records'
        times are relative to it."""
        self.replies.t0_ns = t0_ns

    @property
    def holding_frames(self) -> bool:
        """A reply is on its way: a fast replay waits with its next frame (lane.py). Not a
        speculative reply of the open turn once it is written: only the turn's end lets it
        out, and the end needs the frames (a silence, or the model's next pause)."""
        turn, reply = self.floor.listening, self.floor.replying
        if turn is not None and turn.verdict_answered < turn.verdict_request:
            return True  # the model is being asked about this pause: hear its answer first
        if reply is not None and reply is turn and not reply.committed:
            return not self.workers.idle()
        return reply is not None or not self.workers.idle()

    # --- the conversation thread ----------------------------------------------------------

    def handle(self, item) -> None:
        """Apply one item of the inbox. Only ever called on the conversation thread."""
        try:
            if isinstance(item, AudioFrame):
                self._on_frame(item)
            elif isinstance(item, Verdict):
                self._on_verdict(item)
            elif isinstance(item, (EndOfInput, InputFailed)):
                self._on_end_of_input(item)
            elif isinstance(item, Event):
                self.replies.on_report(item)
            else:
                self._on_control(item)
        except Exception:  # one bad item must not stop the conversation
            log.exception("handling %s failed", type(item).__name__)

    def _on_control(self, control) -> None:
        if isinstance(control, TypedText):
            turn = self.floor.new_turn(source="text")
            self.publish(TurnOpened(turn_id=turn.turn_id, generation=self.floor.generation,
                                    t_ns=control.t_ns, source="text"))
            turn.end_reason = "text"
            turn.timeline.speech_end = control.t_ns
            turn.timeline.mark("end_detected", control.t_ns)
            turn.timeline.mark("final_transcript", control.t_ns)
            self.replies.start(turn, control.text)
        elif isinstance(control, Press):
            reply = self.floor.replying
            if reply is not None and reply is self.floor.listening and not reply.committed:
                self.replies.discard(reply)  # the key holds the turn on: its answer waits
            elif reply is not None:  # pressing the key while it talks interrupts it
                self.replies.cut_off(reply, onset_ns=control.t_ns, reason="press")
                self._pending_barge_in = True
            self.listener.press(control.t_ns)
        elif isinstance(control, Release):
            self.listener.release(control.t_ns)
        elif isinstance(control, StopReply):  # and the turn it answers gets no other
            reply = self.floor.replying
            if reply is not None:
                self.replies.cut_off(reply, onset_ns=control.t_ns, reason="stop")
        elif isinstance(control, NewSettings):
            control.apply_to(self.settings)
            self.listener.mode = control.conversation.mode
        elif isinstance(control, ClearHistory):
            self.history.clear()
        elif isinstance(control, CancelTimer) and self.skills is not None:
            self.skills.board.cancel([control.timer_id])

    def _on_end_of_input(self, item) -> None:
        if isinstance(item, InputFailed):
            self.publish(Notice(t_ns=self.clock.now_ns(), level="error", message=item.message))
        for event in self.listener.finish():  # speech cut off by the end
            self._on_listener_event(event)
        self._flush_lag()
        self.input_finished.set()
        self.publish(SourceFinished(t_ns=self.clock.now_ns()))

    # --- frames -------------------------------------------------------------------------------

    def _on_frame(self, frame: AudioFrame) -> None:
        frame = self.echo_filter(frame)
        # a speculative reply is not heard yet: the turn it answers must still be able to end
        reply = self.floor.replying
        speaking = self.speaker.is_playing or (reply is not None and reply.committed)
        if self.half_duplex.deaf(frame.t_ns, self.clock.now_ns(), speaking):
            return
        try:
            for event in self.listener.process(frame):
                self._on_listener_event(event)
            self._speculate()
            self._ask_end_of_turn()
        except Exception:
            log.exception("listening failed on a frame; dropping the utterance")
            self.listener.cancel()
            self.floor.listening = None
        self._lag.append((self.clock.now_ns() - frame.t_end_ns) / NS_PER_MS)
        if len(self._lag) >= LAG_BATCH:
            self._flush_lag()

    def _flush_lag(self) -> None:
        if self._lag:
            self.publish(ListenerLag(t_ns=self.clock.now_ns(), lag_ms=tuple(self._lag)))
            self._lag = []

    def _on_vad(self, frame: AudioFrame) -> None:
        """Right after the endpointer saw a frame, before speech recognition: barge-in, and
        committing a speculative reply the moment the turn ends."""
        endpointer = self.listener.endpointer
        self.echo_filter.observe(user_quiet=endpointer.state is VadState.QUIET)
        turn = self.floor.listening
        ended = self.listener.active and endpointer.state is VadState.QUIET
        if self.speculation.commit_at_end(turn, self.floor.replying, ended,
                                          self.listener.current_text()):
            self.replies.commit(turn)
        self._check_barge_in(frame)

    def _check_barge_in(self, frame: AudioFrame) -> None:
        endpointer = self.listener.endpointer
        reply = self.floor.replying
        speech = Speech(quiet=endpointer.state is VadState.QUIET,
                        onset_ns=endpointer.onset_ns or frame.t_ns,
                        voiced_ms=endpointer.voiced_ms, end_ns=frame.t_end_ns)
        if not self.barge_in.interrupts(reply, self.floor.listening, speech,
                                        self.echo_filter.user_above_echo):
            return
        self.replies.cut_off(reply, onset_ns=speech.onset_ns)
        continues = reply if self.barge_in.resumes(reply, speech.onset_ns) else None
        if continues is not None:  # its words are said again, with the rest, as one turn
            self.history.retract_exchange(reply.user_text)
        listening = self.floor.listening
        if listening is not None:
            listening.barge_in, listening.continues = True, continues
        else:
            self._pending_barge_in, self._pending_continues = True, continues

    def _speculate(self) -> None:
        turn = self.floor.listening
        step = self.speculation.after_frame(turn, self.floor.replying, self.listener.silence_ms())
        if step is Step.CHECKPOINT:
            turn.checkpoint_requested = self.listener.request_checkpoint()
        elif step is Step.DISCARD:
            self.replies.discard(turn)

    # --- is the user done? --------------------------------------------------------------------

    def _ask_end_of_turn(self) -> None:
        turn = self.floor.listening
        silence_ms = self.listener.silence_ms()
        if silence_ms == 0:
            self.end_of_turn.hold_ms = None  # talking again: the full limit once more
            if turn is not None:
                turn.waiting_for_words = False
        if self.end_of_turn.wants_verdict(turn, silence_ms):
            turn.verdict_request += 1
            self.turn_detector.ask(turn.turn_id, turn.verdict_request,
                                   self.listener.recent_audio(), self.report)

    def _on_verdict(self, verdict: Verdict) -> None:
        turn = self.floor.listening
        if (turn is None or turn.turn_id != verdict.turn_id
                or verdict.request != turn.verdict_request):
            return  # a pause that is over: the turn ended, or the user went on meanwhile
        turn.verdict_answered = verdict.request
        turn.verdicts.append((round(verdict.probability, 3), verdict.inference_ms))
        if self.listener.silence_ms() == 0:
            return  # talking again
        if (self.end_of_turn.complete(verdict.probability) and self.listener.checkpoint_pending
                and not self.listener.partial_words().strip()):
            # no partial words (Whisper): the reply cannot start before the pause's words are
            # known anyway; hear them first (they may stop mid-phrase), then decide
            turn.waiting_for_words = True
            return
        self._decide_end_of_turn(turn, verdict.probability)

    def _decide_end_of_turn(self, turn: Turn, probability: float) -> None:
        turn.waiting_for_words = False
        words = self.listener.current_text()
        complete = self.end_of_turn.complete(probability)
        if complete and self.end_of_turn.words_unfinished(words):
            self.end_of_turn.hold_ms = self.end_of_turn.hold_silence_ms()  # a shorter wait
            complete = False
        if not complete:
            self.publish(TurnHeld(turn_id=turn.turn_id, generation=self.floor.generation,
                                  t_ns=self.clock.now_ns(), probability=probability))
            return
        if self.speculation.commit_at_end(turn, self.floor.replying, True, words):
            self.replies.commit(turn)  # the reply already written plays at once
        elif self.listener.partial_words().strip() and self._may_answer_now(turn):
            # no speculative reply on these words yet (its checkpoint is still being decoded,
            # or speculation is off): answer the streaming recognizer's words now, not after
            # the final decode
            if self.floor.replying is turn:
                self.replies.discard(turn)
            self.replies.start(turn, turn.spoken_text(words.strip()), speculative=True)
            self.replies.commit(turn)
        for event in self.listener.end_now("model"):
            self._on_listener_event(event)

    def _may_answer_now(self, turn: Turn) -> bool:
        """The turn's reply may begin before its final transcript: nothing else is being
        said, and the turn is not speech heard while a reply played (which must win a
        barge-in to count)."""
        return (self.floor.replying in (None, turn) and not turn.finished
                and not (turn.during_reply and not turn.barge_in))

    # --- what the listener heard ------------------------------------------------------------

    def _on_listener_event(self, event: Event) -> None:
        if isinstance(event, SpeechStarted):
            self._on_speech_started(event)
            return
        turn = self.floor.listening
        if turn is None:
            return
        if isinstance(event, PartialTranscript):
            if event.text.strip():
                turn.timeline.mark("first_words", event.t_ns)  # on screen from now
            self._publish_for(turn, event)
            upto = self.speculation.prefill_words(turn, self.floor.replying, event.text)
            if upto is not None:
                messages = self.history.messages_for(turn.spoken_text(event.text))
                self.workers.prefill(PrefillRequest(messages, upto))
        elif isinstance(event, TranscriptCheckpoint):
            text = event.text.strip()
            if not turn.finished and self.speculation.starts_on_checkpoint(
                    turn, self.floor.replying, text, self.listener.silence_ms()):
                self.replies.start(turn, turn.spoken_text(text), speculative=True)
            if turn.waiting_for_words and not turn.finished:
                if self.listener.silence_ms() > 0:
                    self._decide_end_of_turn(turn, turn.verdicts[-1][0])
                else:
                    turn.waiting_for_words = False
        elif isinstance(event, SpeechEnded):
            turn.timeline.speech_end = event.t_true_end_ns
            turn.timeline.mark("end_detected", event.t_ns)
            if event.reason == "ptt":
                turn.source = "ptt"
            turn.end_reason = {"vad": "silence"}.get(event.reason, event.reason)
            probability = turn.verdicts[-1][0] if event.reason == "model" else None
            self._publish_for(turn, replace(event, probability=probability))
        elif isinstance(event, FinalTranscript):
            self.floor.listening = None
            turn.timeline.mark("final_transcript", event.t_ns)
            self._publish_for(turn, event)
            self._on_final(turn, event.text)

    def _on_speech_started(self, event: SpeechStarted) -> None:
        turn = self.floor.new_turn(source="voice")
        turn.t_onset_ns = event.t_onset_ns
        turn.barge_in, self._pending_barge_in = self._pending_barge_in, False
        turn.continues, self._pending_continues = self._pending_continues, None
        # speech that begins while a reply plays must win a barge-in to count: otherwise it
        # is the assistant's own echo, a cough, or noise
        turn.during_reply = self.floor.replying is not None and not turn.barge_in
        self.floor.listening = turn
        self.publish(TurnOpened(turn_id=turn.turn_id, generation=self.floor.generation,
                                t_ns=event.t_ns, source="voice"))
        self._publish_for(turn, event)
        if self.floor.replying is None:
            self.publish(StatusChanged(t_ns=event.t_ns, state="hearing"))

    def _on_final(self, turn: Turn, text: str) -> None:
        text = text.strip()
        if turn.finished:  # its reply was cut off before the turn ended (Stop, a typed
            self.publish(StatusChanged(t_ns=self.clock.now_ns(), state="listening"))
            return  # question): the turn has had its answer
        if turn.during_reply and not turn.barge_in:
            log.info("ignoring speech heard while replying (no barge-in): %r", text[:60])
            self.floor.drop(turn)
            return
        text = turn.spoken_text(text)
        if turn.speculative_text is not None and self.floor.replying is turn:
            if turn.committed or same_words(turn.speculative_text, text):
                turn.user_text = text or turn.speculative_text
                self.replies.commit(turn)
                return
            self.replies.discard(turn)
        if not text:
            self.publish(StatusChanged(t_ns=self.clock.now_ns(), state="listening"))
            return
        self.replies.start(turn, text)

    def _publish_for(self, turn: Turn, event: Event) -> None:
        self.publish(replace(event, turn_id=turn.turn_id, generation=self.floor.generation))
