"""The conversation loop: listen, answer, speak, be interrupted. One control lane.

Everything that changes the turns is applied here, on the one conversation thread, in the
order it arrived: audio frames, the words and verdicts that come back from the recognizer and
the end-of-turn model, the person's controls (press, release, Stop, a typed question, new
settings) and the reports of the reply workers and the speaker. They all come through one
`Inbox`, controls first and audio last, so a Stop never waits behind audio or tokens. Other
threads never touch a turn; they post. Nothing here waits for an engine.

What a spoken turn does next is decided by the turn machine (turn_machine.py) and carried out
by `Hearing` (hearing.py); replies are started, committed, discarded and cut off by the
`ReplyDesk` (reply_desk.py).

`handle(item)` is the whole of it and needs no thread: `Lane` (lane.py) runs it on the
conversation thread for the app, and the stage tests call it directly, frame by frame.
Events go out through `publish` (observers: the window, metrics, the conversation log).
"""

from __future__ import annotations

import copy
import logging
import threading
from dataclasses import dataclass
from typing import Callable

from assistant.clock import Clock
from assistant.config import Settings
from assistant.conversation.barge_in import BargeInPolicy, HalfDuplex
from assistant.conversation.controls import (
    CancelTimer, ClearHistory, NewSettings, Press, Release, StopReply, TypedText,
)
from assistant.conversation.hearing import Hearing
from assistant.conversation.inbox import CONTROL, REPORT, EndOfInput, Inbox, InputFailed
from assistant.conversation.listener import Listener, WordsReady
from assistant.conversation.reply_desk import ReplyDesk
from assistant.conversation.rings import TimerRings
from assistant.conversation.stages import (
    EchoFilter, LanguageModel, Speaker, SpeechSynthesizer,
)
from assistant.conversation.turn_rules import Rules
from assistant.conversation.turns import Floor, Turn
from assistant.events import AudioFrame, Event, Notice, SourceFinished, TurnOpened
from assistant.llm.history import ChatHistory
from assistant.stt.base import Recognizer
from assistant.turn_detection.smart_turn import Verdict
from assistant.vad import Endpointer

log = logging.getLogger(__name__)


@dataclass
class Parts:
    """What a conversation is made of (put together by `wiring.assemble`, for the app and the
    stage harness alike)."""

    recognizer: Recognizer
    endpointer: Endpointer
    workers: object  # ReplyWorkers, or the harness's InlineWorkers: submit, prefill, idle
    output: object  # HeldOutput or WholeReplyOutput
    speaker: Speaker
    llm: LanguageModel
    tts: SpeechSynthesizer
    history: ChatHistory
    echo_filter: EchoFilter
    turn_detector: object = None  # a TurnDetectorThread, or None: turns end on silence
    skills: object = None  # assistant.skills.Skills, or None: everything goes to the LLM


class Conversation:
    def __init__(self, settings: Settings, parts: Parts, *, floor: Floor, inbox: Inbox,
                 clock: Clock, publish: Callable[[Event], None], speculative: bool = True):
        self.settings = copy.deepcopy(settings)  # the loop's own: swapped, never written
        self.workers = parts.workers
        self.speaker = parts.speaker
        self.history = parts.history
        self.echo_filter = parts.echo_filter
        self.turn_detector = parts.turn_detector
        self.skills = parts.skills
        self.clock = clock
        self.publish = publish
        self.floor = floor
        self.inbox = inbox
        self._speculative = speculative  # off in the no-overlap baseline
        self.rules = self._rules(self.settings)
        self.barge_in = BargeInPolicy(self.settings.conversation)
        self.half_duplex = HalfDuplex(self.settings.conversation)
        self.hearing = Hearing(self)
        parts.endpointer.settings = self.settings.vad
        self.listener = Listener(parts.recognizer, mode=self.settings.conversation.mode,
                                 clock=clock, endpointer=parts.endpointer, post=self.report,
                                 next_turn_id=floor.next_id, on_vad=self.hearing.on_vad,
                                 end_silence_ms=self.hearing.silence_limit_ms)
        self.replies = ReplyDesk(floor, workers=parts.workers, output=parts.output,
                                 speaker=parts.speaker, llm=parts.llm, tts=parts.tts,
                                 history=parts.history, clock=clock, publish=publish,
                                 settings=self.settings.conversation, skills=parts.skills,
                                 tell=self.hearing.tell)
        # due timers ring between items (`tick()`)
        self.rings = None if parts.skills is None else TimerRings(
            parts.skills, floor, self.replies, parts.speaker, clock, publish)
        self.input_finished = threading.Event()

    def _rules(self, settings: Settings) -> Rules:
        return Rules.from_settings(settings, has_model=self.turn_detector is not None,
                                   speculation=self._speculative)

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
        """New settings for the running loop: a copy of them is taken now and swapped in on
        the conversation thread, so the caller may go on using its own object."""
        self.inbox.post(NewSettings(copy.deepcopy(settings)))

    def clear_history(self) -> None:
        self.inbox.post(ClearHistory())

    def cancel_timer(self, timer_id: int) -> None:
        self.inbox.post(CancelTimer(timer_id))

    def report(self, item) -> None:
        """What the workers, the speaker, the recognizer and the end-of-turn model tell the
        conversation (from their threads)."""
        self.inbox.post(item, REPORT)

    def idle(self) -> bool:
        """No reply being produced or played, nobody speaking, nothing left to handle."""
        return (self.floor.replying is None and self.floor.listening is None
                and not self.hearing.awaiting_words()
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
        if turn is not None and turn.state is not None and turn.state.verdict_pending:
            return True  # the model is being asked about this pause: hear its answer first
        if self.hearing.awaiting_words():
            return True  # the last utterance's words are being decoded
        if reply is not None and reply is turn and not reply.committed:
            return not self.workers.idle()
        return reply is not None or not self.workers.idle()

    # --- the conversation thread ----------------------------------------------------------

    def handle(self, item) -> None:
        """Apply one item of the inbox. Only ever called on the conversation thread."""
        try:
            if isinstance(item, AudioFrame):
                self.hearing.on_frame(item)
            elif isinstance(item, WordsReady):
                self.hearing.on_words(item)
            elif isinstance(item, Verdict):
                self.hearing.on_verdict(item)
            elif isinstance(item, (EndOfInput, InputFailed)):
                self._on_end_of_input(item)
            elif isinstance(item, Event):
                self.replies.on_report(item)
            else:
                self._on_control(item)
        except Exception:  # one bad item must not stop the conversation
            log.exception("handling %s failed", type(item).__name__)

    def tick(self) -> None:
        """Between items: overdue words are given up on, due timers ring."""
        self.hearing.tick()
        if self.rings is not None:
            self.rings.tick()

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
            self.hearing.key_down(control.t_ns)
            self.listener.press(control.t_ns)
        elif isinstance(control, Release):
            self.listener.release(control.t_ns)
        elif isinstance(control, StopReply):  # and the turn it answers gets no other
            reply = self.floor.replying
            if reply is not None:
                self.replies.cut_off(reply, onset_ns=control.t_ns, reason="stop")
        elif isinstance(control, NewSettings):
            self._swap_settings(control.settings)
        elif isinstance(control, ClearHistory):
            self.history.clear()
        elif isinstance(control, CancelTimer) and self.skills is not None:
            self.skills.board.cancel([control.timer_id])

    def _swap_settings(self, settings: Settings) -> None:
        """New settings take effect between two items: everything that reads them is given
        the new object (the old one is never written)."""
        self.settings = settings
        self.rules = self._rules(settings)
        self.barge_in = BargeInPolicy(settings.conversation)
        self.half_duplex.settings = settings.conversation
        self.replies.settings = settings.conversation
        self.listener.mode = settings.conversation.mode
        self.listener.endpointer.settings = settings.vad

    def _on_end_of_input(self, item) -> None:
        if isinstance(item, InputFailed):
            self.publish(Notice(t_ns=self.clock.now_ns(), level="error", message=item.message))
        for event in self.listener.finish():  # speech cut off by the end
            self.hearing.on_listener_event(event)
        self.hearing.flush_lag()
        self.input_finished.set()
        self.publish(SourceFinished(t_ns=self.clock.now_ns()))


__all__ = ["Conversation", "Parts", "Turn"]
