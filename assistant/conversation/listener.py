"""The listening stage: audio frames in; SpeechStarted, PartialTranscript, SpeechEnded and
FinalTranscript out.

Open mic: the endpointer decides where a turn starts and ends. Push-to-talk: `press(t_ns)` and
`release(t_ns)` do, with no endpointing wait. Either way the recognizer is fed the pre-roll and
then every frame as it arrives, so a streaming engine is never behind; a final-only engine
decodes once, at the end of the turn.

`press` and `release` only record the request (the conversation thread calls them when the
control arrives); the next `process()` call applies it at the frame boundary nearest to the
given time, so the utterance is exactly the audio captured between press and release even when
frames reach us a little late. `cancel` may be called from any thread.
"""

from __future__ import annotations

import collections
import threading
from typing import Callable

import numpy as np

from assistant.clock import DEFAULT_CLOCK, NS_PER_MS, Clock
from assistant.config import VadSettings
from assistant.events import (
    AudioFrame, Event, FinalTranscript, PartialTranscript, SpeechEnded, SpeechStarted,
    TranscriptCheckpoint,
)
from assistant.stt.base import Recognizer
from assistant.vad import Endpointer, VadState


PENDING, STALE = "pending", "stale"
AUDIO_KEPT_S = 8.0  # of the open utterance, for the end-of-turn model


class Listener:
    def __init__(self, recognizer: Recognizer, vad_settings: VadSettings | None = None, *,
                 mode: str = "open-mic", clock: Clock = DEFAULT_CLOCK,
                 endpointer: Endpointer | None = None, gate="auto"):
        self.recognizer = recognizer
        self.endpointer = endpointer or Endpointer(vad_settings, gate=gate)
        self.mode = mode  # "open-mic" or "ptt"; may be changed while running
        self.clock = clock
        self.generation = 0  # set by the owner; stamped on every event
        self.turn_id = 0  # the latest turn (increases by one per utterance)
        self._lock = threading.RLock()
        self._controls: collections.deque = collections.deque()  # ("press"|"release", t_ns)
        self._cancel = threading.Event()
        self._active = False  # an utterance is being fed to the recognizer
        self._ptt_since: int | None = None  # press time while push-to-talk holds the turn
        self._text, self._partial_is_newest = "", False
        self._last_end_ns = 0
        self._told_speaking: bool | None = None  # what the recognizer was last told
        self.utterance_start_ns = 0  # capture time of the first sample fed for the turn
        # called with each open-mic frame right after the endpointer has seen it and before
        # the recognizer does, so a barge-in decision never waits behind speech recognition
        self.on_vad: Callable[[AudioFrame], None] | None = None
        self._checkpoints: collections.deque = collections.deque()  # (turn_id, request, Transcript)
        # After a checkpoint is asked for, the pause's frames are held back from the
        # recognizer: if the user says nothing more, the checkpoint is the final transcript
        # and the recognizer never spends CPU on the silence (the LLM needs it then).
        self._checkpoint: str | object | None = None  # None, PENDING, STALE or a Transcript
        self._checkpoint_request = 0  # which request the PENDING one is
        self._paused: list[AudioFrame] = []
        # the open utterance's latest audio, pre-roll included (what the end-of-turn model
        # hears): at most AUDIO_KEPT_S
        self._audio: collections.deque[np.ndarray] = collections.deque()
        self._audio_samples = 0

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Load the recognizer's model and the endpointer (slow; once)."""
        self.recognizer.start()
        self.endpointer.start()

    def close(self) -> None:
        with self._lock:
            self._active = False
            self.recognizer.close()
            self.endpointer.close()

    def reset(self) -> None:
        """For a new input stream (another file): drop everything in progress and the
        pre-roll; turn ids go on increasing."""
        with self._lock:
            self._controls.clear()
            self._cancel.clear()
            if self._active:
                self.recognizer.cancel()
            self._active = False
            self._ptt_since = None
            self._text, self._partial_is_newest = "", False
            self.endpointer.restart()

    # --- control, from any thread -----------------------------------------------------------

    def press(self, t_ns: int | None = None) -> None:
        self._controls.append(("press", self.clock.now_ns() if t_ns is None else t_ns))

    def release(self, t_ns: int | None = None) -> None:
        self._controls.append(("release", self.clock.now_ns() if t_ns is None else t_ns))

    def cancel(self) -> None:
        """Drop the current utterance (no SpeechEnded or FinalTranscript for it); speech that
        goes on after the cancel does not open a turn until the user has paused."""
        self._controls.clear()
        self._cancel.set()
        self.recognizer.cancel()

    # --- what the pipeline asks while a turn is open ----------------------------------------

    @property
    def active(self) -> bool:
        return self._active

    def current_text(self) -> str:
        """The latest partial transcript of the open utterance ("" if none)."""
        return self._text if self._active else ""

    def partial_words(self) -> str:
        """The streaming recognizer's latest words when they are newer than the last
        checkpoint ("" when none came since, or when the partials lag the audio, as
        Whisper's do: they may miss the last words)."""
        if self.recognizer.live_partials or not self._partial_is_newest or not self._active:
            return ""
        return self._text

    def request_checkpoint(self) -> bool:
        """At a pause in an open-mic turn: ask for the words so far with final quality while
        the utterance stays open. A `TranscriptCheckpoint` comes out of a later `process()`
        (at once with a synchronous recognizer). False when there is nothing to ask."""
        with self._lock:
            if not self._active or self._ptt_since is not None or self._checkpoint is PENDING:
                return False
            if not self.recognizer.supports_checkpoint:
                return False
            turn = self.turn_id
            # only the newest request's words may stand for the pause: an earlier one, still
            # being decoded when the user went on and paused again, ends before their words
            self._checkpoint_request += 1
            request = self._checkpoint_request
            self._checkpoint, self._paused = PENDING, []
            # maybe called on the recognizer's thread: hand over only, never take a lock
            # that this thread may hold while it waits for that recognizer
            self.recognizer.checkpoint_async(
                lambda result: self._checkpoints.append((turn, request, result)))
            return True

    @property
    def checkpoint_pending(self) -> bool:
        """A checkpoint was asked for and its words have not come yet."""
        return self._active and self._checkpoint is PENDING

    def _take_checkpoints(self) -> list[Event]:
        events: list[Event] = []
        while self._checkpoints:
            turn, request, result = self._checkpoints.popleft()
            if (result is None or turn != self.turn_id or not self._active
                    or self._cancel.is_set() or self._checkpoint is not PENDING
                    or request != self._checkpoint_request):
                continue
            self._checkpoint = result
            self._text, self._partial_is_newest = result.text, False
            events.append(TranscriptCheckpoint(turn_id=turn, generation=self.generation,
                                               t_ns=self.clock.now_ns(), text=result.text))
        return events

    def silence_ms(self) -> float:
        """How long the user has been silent in the open turn (0 while speaking or in PTT)."""
        if not self._active or self._ptt_since is not None:
            return 0.0
        return self.endpointer.silence_ms()

    def recent_audio(self) -> np.ndarray:
        """The open utterance's last AUDIO_KEPT_S of audio, from before its onset (int16)."""
        with self._lock:
            if not self._audio:
                return np.zeros(0, np.int16)
            return np.concatenate(self._audio)

    def end_now(self, reason: str) -> list[Event]:
        """End the open open-mic utterance now, at its last voiced frame (the end-of-turn model
        is sure it is complete): SpeechEnded and FinalTranscript, as the endpointer would."""
        with self._lock:
            if not self._active or self._ptt_since is not None:
                return []
            return self._end(self.endpointer.last_voiced_end_ns, reason)

    def _keep_audio(self, frame: AudioFrame) -> None:
        self._audio.append(frame.samples)
        self._audio_samples += len(frame.samples)
        limit = int(AUDIO_KEPT_S * frame.sample_rate)
        while self._audio_samples - len(self._audio[0]) >= limit:
            self._audio_samples -= len(self._audio.popleft())

    def voiced_ms(self) -> float:
        if not self._active:
            return 0.0
        if self._ptt_since is not None:
            return max(0, self._last_end_ns - self._ptt_since) / NS_PER_MS
        return self.endpointer.voiced_ms

    # --- frames -----------------------------------------------------------------------------

    def process(self, frame: AudioFrame) -> list[Event]:
        with self._lock:
            events = self._apply_cancel()
            events += self._take_checkpoints()
            events += self._apply_controls(until_ns=frame.t_ns + frame.duration_ns // 2)
            self._last_end_ns = frame.t_end_ns
            if self._active:
                self._keep_audio(frame)
            if self._ptt_since is not None:
                self.endpointer.ring.push(frame)
                events += self._feed(frame)
            elif self.mode == "ptt":
                self.endpointer.ring.push(frame)
            else:
                events += self._open_mic(frame)
            return events

    def finish(self) -> list[Event]:
        """The input has ended: apply pending requests and close an open utterance."""
        with self._lock:
            events = self._apply_cancel()
            events += self._apply_controls(until_ns=None)
            if self._active:
                end = self._last_end_ns if self._ptt_since is not None else \
                    self.endpointer.last_voiced_end_ns
                events += self._end(end, "eof")
            return events

    def _open_mic(self, frame: AudioFrame) -> list[Event]:
        vad_events = self.endpointer.process(frame)
        if self.on_vad is not None:
            self.on_vad(frame)
        for event in vad_events:
            if isinstance(event, SpeechStarted):  # the pre-roll ends with this frame
                return self._begin(event.t_onset_ns, self.endpointer.preroll())
            if isinstance(event, SpeechEnded) and self._active:
                return self._feed(frame) + self._end(event.t_true_end_ns, "vad")
        return self._feed(frame) if self._active else []

    def _apply_controls(self, until_ns: int | None) -> list[Event]:
        events: list[Event] = []
        while self._controls and (until_ns is None or self._controls[0][1] <= until_ns):
            kind, t_ns = self._controls.popleft()
            if kind == "press" and self._ptt_since is None:
                if self._active:  # an open-mic turn is in progress: the key now holds it
                    self.endpointer.reset()
                else:
                    preroll_ns = self.endpointer.settings.preroll_ms * NS_PER_MS
                    events += self._begin(t_ns, self.endpointer.ring.since(t_ns - preroll_ns))
                self._ptt_since = t_ns
            elif kind == "release" and self._ptt_since is not None:
                self._ptt_since = None
                events += self._end(t_ns, "ptt")
        return events

    def _apply_cancel(self) -> list[Event]:
        if self._cancel.is_set():
            self._cancel.clear()
            self._active = False
            self._ptt_since = None
            self._text, self._partial_is_newest = "", False
            # The endpointer keeps its state: the rest of the cancelled speech must not open
            # a new turn; the next one starts after the next silence.
        return []

    # --- one utterance ----------------------------------------------------------------------

    def _begin(self, onset_ns: int, preroll: list[AudioFrame]) -> list[Event]:
        self.turn_id += 1
        self._active = True
        self._text, self._partial_is_newest = "", False
        self.recognizer.begin()
        self._checkpoint, self._paused = None, []
        self.utterance_start_ns = preroll[0].t_ns if preroll else onset_ns
        self._audio.clear()
        self._audio_samples = 0
        for frame in preroll:
            self._keep_audio(frame)
        events: list[Event] = [SpeechStarted(turn_id=self.turn_id, generation=self.generation,
                                             t_ns=self.clock.now_ns(), t_onset_ns=onset_ns)]
        for frame in preroll:
            events += self._feed(frame)
        return events

    def _feed(self, frame: AudioFrame) -> list[Event]:
        if self._checkpoint is not None and self._checkpoint is not STALE:
            if self.endpointer.state is not VadState.SPEAKING or self._ptt_since is not None:
                self._paused.append(frame)  # still the pause the checkpoint was taken in
                return []
            # the user goes on talking: the checkpoint is no longer the whole turn
            self._checkpoint = STALE
            paused, self._paused = self._paused, []
            events: list[Event] = []
            for held in paused:
                events += self._feed(held)
            return events + self._feed(frame)
        self._tell_speaking()
        partial = self.recognizer.accept(frame.samples)
        if partial is None or self._cancel.is_set():
            return []
        self._text, self._partial_is_newest = partial.text, True
        return [PartialTranscript(turn_id=self.turn_id, generation=self.generation,
                                  t_ns=self.clock.now_ns(), text=partial.text,
                                  stable_text=partial.stable_text)]

    def _tell_speaking(self) -> None:
        """Whether the user is talking or pausing, told to the recognizer as it changes (a
        recognizer with live partials decodes none in a pause)."""
        speaking = self._ptt_since is not None or self.endpointer.state is not VadState.STOPPING
        if speaking != self._told_speaking:
            self._told_speaking = speaking
            self.recognizer.user_speaking(speaking)

    def _end(self, true_end_ns: int, reason: str) -> list[Event]:
        self._active = False
        self._ptt_since = None
        self.endpointer.reset()
        ended = SpeechEnded(turn_id=self.turn_id, generation=self.generation,
                            t_ns=self.clock.now_ns(), t_true_end_ns=true_end_ns, reason=reason)
        checkpoint, self._checkpoint, self._paused = self._checkpoint, None, []
        if checkpoint is not None and checkpoint not in (PENDING, STALE):
            result = checkpoint  # nothing was said after the pause: no second decode
        else:
            if checkpoint is PENDING:  # still decoding; its result comes with the finish
                self._checkpoints.clear()
            result = self.recognizer.finish()
        if self._cancel.is_set() or self.recognizer.cancelled:
            return []  # cancelled while decoding: the turn is dropped
        final = FinalTranscript(turn_id=self.turn_id, generation=self.generation,
                                t_ns=self.clock.now_ns(), text=result.text, words=result.words,
                                engine=self.recognizer.engine)
        self._text, self._partial_is_newest = "", False
        return [ended, final]

    @property
    def state(self) -> VadState:
        return self.endpointer.state


def feed_file(listener: Listener, path, *, realtime: bool,
              on_event: Callable[[int, Event], None],
              timer: Callable[[float, list[Event]], None] | None = None) -> int:
    """A sound file through a started listener as if spoken: in real time on the real clock,
    or as fast as it goes on a clock that follows the file (event times are then positions
    in the audio). `on_event(t0_ns, event)` gets every event; `timer(seconds, events)` how
    long each step of the listener took (for measurements). The file is read a block at a
    time; the listener is reset first (a new input stream). Returns the file's t0_ns."""
    import time

    from assistant.audio.sources import WavSource
    from assistant.clock import ManualClock

    clock = DEFAULT_CLOCK if realtime else ManualClock()
    listener.clock = clock
    listener.reset()
    source = WavSource(path, clock=clock, realtime=True)
    source.start()
    try:
        while True:
            frame = source.read()
            began = time.perf_counter()
            events = listener.process(frame) if frame is not None else listener.finish()
            if timer is not None:
                timer(time.perf_counter() - began, events)
            for event in events:
                on_event(source.t0_ns, event)
            if frame is None:
                return source.t0_ns
    finally:
        source.close()
