"""The conversation loop: listen, answer, speak, be interrupted, measure.

Threads (see DESIGN.md): the listener thread reads the source, runs the endpointer and the
recognizer and decides about barge-in; `ReplyWorkers` run the responder (LLM -> chunks) and the
synthesizer (chunks -> audio -> speaker); the supervisor thread turns speaker reports into
finished turns (metrics, history, log) so that no slow work ever runs in an audio callback.

Cancellation is one generation counter. Starting a reply or being interrupted bumps it; every
stage drops work from older generations. Barge-in flushes the speaker first, so the output is
silent before the LLM and TTS even notice.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from assistant.clock import DEFAULT_CLOCK, NS_PER_MS, Clock
from assistant.config import Settings
from assistant.errors import UserError
from assistant.events import (
    BargeIn,
    ChunkPlaybackStarted,
    Event,
    FinalTranscript,
    Notice,
    PartialTranscript,
    PlaybackFinished,
    PlaybackStarted,
    SourceFinished,
    SpeechEnded,
    SpeechStarted,
    StatusChanged,
    TranscriptCheckpoint,
    TurnCompleted,
)
from assistant.interruptions import Interruptions
from assistant.memory import release_free_memory
from assistant.metrics import RollingStats
from assistant.replies import ReplyRequest, ReplyWorkers
from assistant.speculation import Speculation, same_words
from assistant.turns import Turn
from assistant.vad import VadState

log = logging.getLogger(__name__)


class Pipeline:
    def __init__(self, settings: Settings, *, source, listener, llm, make_chunker, tts, speaker,
                 history, clock: Clock = DEFAULT_CLOCK, on_event: Callable[[Event], None] = None,
                 conversation_log=None, sequential: bool = False, echo_filter=None,
                 wait_for_reply: bool = False):
        self.settings = settings
        self.source = source
        self.listener = listener
        self.llm = llm
        self.tts = tts
        self.speaker = speaker
        self.history = history
        self.clock = clock
        self.on_event = on_event or (lambda event: None)
        self.conversation_log = conversation_log
        self.sequential = sequential
        self.echo_filter = echo_filter
        # fast replays: read no more input while a reply is in progress, so that utterances
        # become turns one after another instead of interrupting each other
        self.wait_for_reply = wait_for_reply
        self.t0_ns = 0  # start of the input timeline (a replayed file's first sample)
        self.records: list[dict] = []  # finished turns, in order
        self.barge_ins: list[BargeIn] = []
        self.v2v = RollingStats(window=50)
        self.listen_lag_ms = RollingStats(window=6000)  # frame capture end -> processed
        self._generation = 0
        self._gen_lock = threading.Lock()
        self._turn_counter = 0
        self._turns: dict[int, Turn] = {}
        self._listening_turn: Turn | None = None  # the turn the user is speaking now
        self._reply_turn: Turn | None = None  # the turn whose reply is in progress
        self._speaker_events: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.source_finished = threading.Event()
        self.workers = ReplyWorkers(llm=llm, make_chunker=make_chunker, tts=tts,
                                    speaker=speaker, clock=clock, emit=self._emit,
                                    is_current=self.is_current, sequential=sequential,
                                    max_sentences=lambda: settings.conversation.max_reply_sentences)
        self.workers.turn_lookup = self._turns.get
        self.speculation = Speculation(self)
        self.interruptions = Interruptions(self)

    # --- generation counter ----------------------------------------------------------------

    @property
    def generation(self) -> int:
        return self._generation

    def is_current(self, generation: int) -> bool:
        return generation == self._generation

    def _bump_generation(self) -> int:
        with self._gen_lock:
            self._generation += 1
            self.speaker.generation = self._generation
            return self._generation

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, load_models: bool = True) -> None:
        """Load every model (slow; call from a worker thread in a UI) and start the threads.
        `load_models=False` when the engines were started already (kept warm by a bench)."""
        if load_models:
            self._emit(StatusChanged(t_ns=self.clock.now_ns(), state="loading"))
            self.listener.start()
            self.llm.start()
            self.tts.start()
        else:
            self.listener.reset()  # a new input stream for warm engines
        self.listener.on_vad = self._on_vad
        self.listener.deferred = self.sequential
        self.speaker.on_event = self._speaker_events.put
        self.speaker.start()
        self.source.start()
        self.t0_ns = getattr(self.source, "t0_ns", None) or self.clock.now_ns()
        self.workers.start()
        for name, target in (("listener", self._listen_loop), ("supervisor", self._supervise)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._emit(StatusChanged(t_ns=self.clock.now_ns(), state="listening"))

    def stop(self, timeout: float = 3.0, close_engines: bool = True) -> None:
        """Ordered shutdown: input, then processing, then output."""
        self._stop.set()
        self.source.close()
        self._bump_generation()
        self.llm.cancel()
        self.workers.stop(timeout)
        self._speaker_events.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self.speaker.close()
        if not close_engines:
            self.listener.cancel()
            return
        for stage in (self.listener, self.llm, self.tts):
            try:
                stage.close()
            except Exception:
                log.exception("closing %s failed", type(stage).__name__)

    def idle(self) -> bool:
        """No reply being produced or played, nobody speaking."""
        return (self._reply_turn is None and self._listening_turn is None
                and self.workers.idle() and not self.speaker.is_playing)

    # --- inputs from the UI -----------------------------------------------------------------

    def submit_text(self, text: str) -> int | None:
        """A typed question: a turn with no speech. Returns its turn id."""
        text = text.strip()
        if not text:
            return None
        turn = self._new_turn(source="text")
        now = self.clock.now_ns()
        turn.timeline.speech_end = now
        turn.timeline.mark("end_detected", now)
        turn.timeline.mark("final_transcript", now)
        self._start_reply(turn, text)
        return turn.turn_id

    def press(self) -> None:
        now = self.clock.now_ns()
        reply = self._reply_turn
        if reply is not None:  # pressing the key while it talks interrupts it
            self._cut_off(reply, onset_ns=now)
            self.interruptions.pending = True
        self.listener.press(now)

    def release(self) -> None:
        self.listener.release(self.clock.now_ns())

    def interrupt(self) -> None:
        """Stop the reply now (a Stop button)."""
        turn = self._reply_turn
        if turn is not None:
            self._cut_off(turn, onset_ns=self.clock.now_ns())

    # --- listener thread --------------------------------------------------------------------

    def _listen_loop(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self.source.read(timeout=0.05)
            except UserError as exc:  # a replayed file that turns out damaged part-way
                self._emit(Notice(t_ns=self.clock.now_ns(), level="error", message=str(exc)))
                self.source.close()
                frame = None
            if frame is None:
                if self.source.finished:
                    for event in self.listener.finish():  # speech cut off by the end
                        self._on_listener_event(event)
                    self.source_finished.set()
                    self._emit(SourceFinished(t_ns=self.clock.now_ns()))
                    return
                continue
            while self.wait_for_reply and not self._stop.is_set() and (
                    self._reply_turn is not None or not self.workers.idle()):
                self._stop.wait(0.01)
            if self.echo_filter is not None:
                frame = self.echo_filter(frame)
            if self.interruptions.deaf(frame.t_ns):
                continue
            try:
                for event in self.listener.process(frame):
                    self._on_listener_event(event)
                self.speculation.check(frame)
                self.listen_lag_ms.add((self.clock.now_ns() - frame.t_end_ns) / NS_PER_MS)
            except Exception:
                log.exception("listening failed on a frame; dropping the utterance")
                self.listener.cancel()
                self._listening_turn = None

    def _on_listener_event(self, event: Event) -> None:
        if isinstance(event, SpeechStarted):
            turn = self._new_turn(source="voice")
            turn.t_onset_ns = event.t_onset_ns
            self.interruptions.take_pending(turn)
            # speech that begins while a reply plays must win a barge-in to count: otherwise
            # it is the assistant's own echo, a cough, or noise
            turn.during_reply = self._reply_turn is not None and not turn.barge_in
            self._listening_turn = turn
            self._emit_for(turn, event)
            if self._reply_turn is None:
                self._emit(StatusChanged(t_ns=event.t_ns, state="hearing"))
            return
        turn = self._listening_turn
        if turn is None:
            return
        if isinstance(event, PartialTranscript):
            self._emit_for(turn, event)
            self.speculation.prefill(turn, event.text)
        elif isinstance(event, TranscriptCheckpoint):
            self.speculation.on_checkpoint(turn, event.text)
        elif isinstance(event, SpeechEnded):
            turn.timeline.speech_end = event.t_true_end_ns
            turn.timeline.mark("end_detected", event.t_ns)
            if event.reason == "ptt":
                turn.source = "ptt"
            self._emit_for(turn, event)
        elif isinstance(event, FinalTranscript):
            self._listening_turn = None
            turn.timeline.mark("final_transcript", event.t_ns)
            self._emit_for(turn, event)
            self._on_final(turn, event.text)

    def _on_final(self, turn: Turn, text: str) -> None:
        text = text.strip()
        if turn.during_reply and not turn.barge_in:
            log.info("ignoring speech heard while replying (no barge-in): %r", text[:60])
            self._turns.pop(turn.turn_id, None)
            return
        text = turn.spoken_text(text)
        if turn.speculative_text is not None and self._reply_turn is turn:
            if turn.committed or same_words(turn.speculative_text, text):
                turn.user_text = text or turn.speculative_text
                self.workers.release_held(turn)
                return
            self.speculation.discard(turn)
        if not text:
            self._emit(StatusChanged(t_ns=self.clock.now_ns(), state="listening"))
            return
        self._start_reply(turn, text)

    # --- replies ---------------------------------------------------------------------------

    def _new_turn(self, source: str) -> Turn:
        self._turn_counter += 1
        turn = Turn(turn_id=self._turn_counter, source=source)
        self._turns[turn.turn_id] = turn
        return turn

    def _start_reply(self, turn: Turn, text: str, speculative: bool = False) -> None:
        previous = self._reply_turn
        if previous is not None and previous is not turn:
            self._cut_off(previous, onset_ns=turn.t_onset_ns or self.clock.now_ns())
            turn.barge_in = True
        turn.generation = self._bump_generation()
        turn.user_text = text
        turn.committed = not speculative
        turn.speculative_text = text if speculative else None
        self._reply_turn = turn
        messages = self.history.messages_for(text)
        self.workers.submit(ReplyRequest(turn=turn, generation=turn.generation,
                                         messages=messages))
        self._emit(StatusChanged(t_ns=self.clock.now_ns(), state="thinking",
                                 turn_id=turn.turn_id, generation=turn.generation))

    # --- barge-in -------------------------------------------------------------------------

    def _on_vad(self, frame) -> None:
        """Right after the endpointer saw a frame, before speech recognition: barge-in, and
        committing a speculative reply the moment the turn ends."""
        endpointer = self.listener.endpointer
        if self.echo_filter is not None and hasattr(self.echo_filter, "observe"):
            self.echo_filter.observe(user_quiet=endpointer.state is VadState.QUIET)
        self.speculation.commit_at_end()
        self.interruptions.check(frame)

    def _cut_off(self, turn: Turn, onset_ns: int) -> None:
        """Silence first, then cancel; the turn is finished with what was actually played."""
        t_detected = self.clock.now_ns()
        t_silent = self.speaker.flush()
        self._bump_generation()
        self.llm.cancel()
        self.tts.cancel()
        if self._reply_turn is turn:
            self._reply_turn = None
        played = "first_played" in turn.timeline.marks
        if played:
            event = BargeIn(turn_id=turn.turn_id, generation=turn.generation,
                            t_ns=self.clock.now_ns(), t_onset_ns=onset_ns, t_silent_ns=t_silent,
                            t_detected_ns=t_detected)
            self.barge_ins.append(event)
            self._emit(event)
        self._emit(StatusChanged(t_ns=self.clock.now_ns(), state="interrupted",
                                 turn_id=turn.turn_id))
        self._finish_turn(turn, interrupted=True, t_silent_ns=t_silent)

    # --- supervisor thread: speaker reports -> finished turns --------------------------------

    def _supervise(self) -> None:
        while True:
            event = self._speaker_events.get()
            if event is None:
                return
            try:
                self._on_speaker_event(event)
            except Exception:
                log.exception("handling %s failed", type(event).__name__)

    def _on_speaker_event(self, event: Event) -> None:
        turn = self._turns.get(event.turn_id)
        if turn is None or not self.is_current(event.generation) and not isinstance(
                event, PlaybackFinished):
            return
        if isinstance(event, PlaybackStarted):
            turn.timeline.mark("first_played", event.t_ns)
            self._emit(event)
            self._emit(StatusChanged(t_ns=event.t_ns, state="speaking", turn_id=turn.turn_id))
        elif isinstance(event, ChunkPlaybackStarted):
            with turn.lock:
                info = turn.chunks.get(event.chunk_index)
                if info is not None and info.t_play_ns is None:
                    info.t_play_ns = event.t_ns
            self._emit(event)
        elif isinstance(event, PlaybackFinished) and not event.flushed:
            if self.is_current(event.generation) and not turn.finished:
                self._reply_turn = None if self._reply_turn is turn else self._reply_turn
                self._finish_turn(turn, interrupted=False)
                self._emit(StatusChanged(t_ns=event.t_ns, state="listening"))

    def _finish_turn(self, turn: Turn, interrupted: bool, t_silent_ns: int | None = None):
        with turn.lock:
            if turn.finished:
                return
            turn.finished = True
            turn.interrupted = interrupted
        record = turn.record(t0_ns=self.t0_ns, t_silent_ns=t_silent_ns)
        # a reply heard in full goes back to the model exactly as it wrote it, so the next
        # prompt shares its prefix with the model's cache and only the new words are evaluated
        heard = record["reply_text"] if interrupted else (turn.reply_text or record["reply_text"])
        self.history.add_exchange(turn.user_text, heard, interrupted)
        self.v2v.add(record["v2v_ms"])
        self.records.append(record)
        # finished turns are kept a while for late speaker reports, not forever
        for old in [t for t in list(self._turns) if t < turn.turn_id - 50]:
            del self._turns[old]
        if self.conversation_log is not None:
            try:
                self.conversation_log.append(record)
            except OSError as exc:
                self._emit(Notice(t_ns=self.clock.now_ns(), level="warning",
                                  message=f"Could not write the conversation log: {exc}."))
        self._emit(TurnCompleted(turn_id=turn.turn_id, generation=turn.generation,
                                 t_ns=self.clock.now_ns(), user_text=turn.user_text,
                                 reply_text=record["reply_text"], interrupted=interrupted,
                                 metrics=record))
        release_free_memory()  # a long session stays flat (see assistant/memory.py)

    # --- events out -----------------------------------------------------------------------

    def _emit_for(self, turn: Turn, event: Event) -> None:
        from dataclasses import replace

        self._emit(replace(event, turn_id=turn.turn_id, generation=self._generation))

    def _emit(self, event: Event) -> None:
        try:
            self.on_event(event)
        except Exception:
            log.exception("event handler failed on %s", type(event).__name__)
