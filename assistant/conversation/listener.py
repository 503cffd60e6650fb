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

Words that take a decode (a checkpoint at a pause, the final words of an utterance) are asked
for and never waited on when the listener is given `post` (the conversation's inbox): the
recognizer hands them to `post` as `WordsReady`, and `take(words)` turns them into events on
the conversation thread. Without `post` (`transcribe`, evaluations) the final words are
decoded in place.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from assistant.clock import DEFAULT_CLOCK, NS_PER_MS, Clock
from assistant.config import VadSettings
from assistant.events import (
    AudioFrame, Event, FinalTranscript, PartialTranscript, SpeechEnded, SpeechStarted,
    TranscriptCheckpoint,
)
from assistant.stt.base import Recognizer, Transcript
from assistant.conversation.recent_audio import RecentAudio
from assistant.vad import Endpointer, VadState


PENDING, STALE = "pending", "stale"


@dataclass(frozen=True)
class WordsReady:
    """A decode the listener asked for has come back (on the recognizer's thread)."""

    kind: str  # "checkpoint" or "final"
    turn_id: int
    request: int
    transcript: Transcript | None  # None: the decode failed


class Listener:
    def __init__(self, recognizer: Recognizer, vad_settings: VadSettings | None = None, *,
                 mode: str = "open-mic", clock: Clock = DEFAULT_CLOCK,
                 endpointer: Endpointer | None = None, gate="auto",
                 post: Callable[[WordsReady], None] | None = None,
                 next_turn_id: Callable[[], int] | None = None,
                 on_vad: Callable[[AudioFrame], None] | None = None,
                 end_silence_ms: Callable[[], int] | None = None):
        self.recognizer = recognizer
        self.endpointer = endpointer or Endpointer(vad_settings, gate=gate)
        self.mode = mode  # "open-mic" or "ptt"; may be changed while running
        self.clock = clock
        # where decodes come back to (the conversation's inbox); None: final words in place
        self._post = post
        self._next_turn_id = next_turn_id or self._count_turns
        self.turn_id = 0  # the latest utterance's turn
        self._finals: dict[int, int] = {}  # turn id -> request, of finals being decoded
        self._final_request = 0
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
        self.on_vad = on_vad
        # how much silence ends an utterance, asked on each frame (None: the endpointer's
        # setting); the conversation's turn machine gives it
        self.end_silence_ms = end_silence_ms
        self._checkpoints: collections.deque = collections.deque()  # (turn_id, request, Transcript)
        # After a checkpoint is asked for, the pause's frames are held back from the
        # recognizer: if the user says nothing more, the checkpoint is the final transcript
        # and the recognizer never spends CPU on the silence (the LLM needs it then).
        self._checkpoint: str | object | None = None  # None, PENDING, STALE or a Transcript
        self._checkpoint_request = 0  # which request the PENDING one is
        self._paused: list[AudioFrame] = []
        # the open utterance's latest audio, pre-roll included (what the end-of-turn model
        # hears)
        self._audio = RecentAudio()

    def _count_turns(self) -> int:
        return self.turn_id + 1

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
        self._finals.clear()
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
            # called on the recognizer's thread: hand over only, never take a lock
            if self._post is not None:
                post = self._post
                self.recognizer.checkpoint_async(
                    lambda result: post(WordsReady("checkpoint", turn, request, result)))
            else:
                self.recognizer.checkpoint_async(
                    lambda result: self._checkpoints.append((turn, request, result)))
            return True

    @property
    def checkpoint_pending(self) -> bool:
        """A checkpoint was asked for and its words have not come yet."""
        return self._active and self._checkpoint is PENDING

    def take(self, words: WordsReady) -> list[Event]:
        """A decode that came back through the inbox, as events (none when it is stale: the
        turn went on, ended another way or was cancelled)."""
        with self._lock:
            if words.kind == "checkpoint":
                return self._checkpoint_words(words.turn_id, words.request, words.transcript)
            if self._finals.get(words.turn_id) != words.request:
                return []
            del self._finals[words.turn_id]
            return [self._final_event(words.turn_id, words.transcript)]

    def forget_final(self, turn_id: int) -> None:
        """The final words of `turn_id` are given up on: whatever comes later is dropped."""
        with self._lock:
            self._finals.pop(turn_id, None)

    def _take_checkpoints(self) -> list[Event]:
        events: list[Event] = []
        while self._checkpoints:
            events += self._checkpoint_words(*self._checkpoints.popleft())
        return events

    def _checkpoint_words(self, turn: int, request: int, result) -> list[Event]:
        if (result is None or turn != self.turn_id or not self._active
                or self._cancel.is_set() or self._checkpoint is not PENDING
                or request != self._checkpoint_request):
            return []
        self._checkpoint = result
        self._text, self._partial_is_newest = result.text, False
        return [TranscriptCheckpoint(turn_id=turn, t_ns=self.clock.now_ns(), text=result.text)]

    def silence_ms(self) -> float:
        """How long the user has been silent in the open turn (0 while speaking or in PTT)."""
        if not self._active or self._ptt_since is not None:
            return 0.0
        return self.endpointer.silence_ms()

    def recent_audio(self) -> np.ndarray:
        """The open utterance's latest audio, from before its onset (int16; see
        recent_audio.py for how much)."""
        with self._lock:
            return self._audio.samples()

    def end_now(self, reason: str) -> list[Event]:
        """End the open open-mic utterance now, at its last voiced frame (the end-of-turn model
        is sure it is complete): SpeechEnded and FinalTranscript, as the endpointer would."""
        with self._lock:
            if not self._active or self._ptt_since is not None:
                return []
            return self._end(self.endpointer.last_voiced_end_ns, reason)

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
                self._audio.keep(frame)
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
        limit = self.end_silence_ms() if self.end_silence_ms is not None else None
        vad_events = self.endpointer.process(frame, end_silence_ms=limit)
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
        self.turn_id = self._next_turn_id()
        self._active = True
        self._text, self._partial_is_newest = "", False
        self.recognizer.begin()
        self._checkpoint, self._paused = None, []
        self.utterance_start_ns = preroll[0].t_ns if preroll else onset_ns
        self._audio.clear()
        for frame in preroll:
            self._audio.keep(frame)
        events: list[Event] = [SpeechStarted(turn_id=self.turn_id, t_ns=self.clock.now_ns(),
                                             t_onset_ns=onset_ns)]
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
        return [PartialTranscript(turn_id=self.turn_id, t_ns=self.clock.now_ns(),
                                  text=partial.text, stable_text=partial.stable_text)]

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
        turn = self.turn_id
        ended = SpeechEnded(turn_id=turn, t_ns=self.clock.now_ns(), t_true_end_ns=true_end_ns,
                            reason=reason)
        checkpoint, self._checkpoint, self._paused = self._checkpoint, None, []
        self._text, self._partial_is_newest = "", False
        if checkpoint is not None and checkpoint not in (PENDING, STALE):
            # nothing was said after the pause: its words are the final ones, no second decode
            return [ended, self._final_event(turn, checkpoint)]
        if checkpoint is PENDING:  # still decoding; the final decode comes after it
            self._checkpoints.clear()
        if self._post is None:  # no inbox to come back through: decode in place
            result = self.recognizer.finish()
            if self._cancel.is_set() or self.recognizer.cancelled:
                return []  # cancelled while decoding: the turn is dropped
            return [ended, self._final_event(turn, result)]
        self._final_request += 1
        request, post = self._final_request, self._post
        self._finals[turn] = request
        self.recognizer.finish_async(lambda result: post(WordsReady("final", turn, request, result)))
        return [ended]

    def _final_event(self, turn: int, result: Transcript | None) -> FinalTranscript:
        if result is None:
            result = Transcript(text="")  # the decode failed (logged where it did)
        return FinalTranscript(turn_id=turn, t_ns=self.clock.now_ns(), text=result.text,
                               words=result.words, engine=self.recognizer.engine)
