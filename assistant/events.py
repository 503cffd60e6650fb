"""Every message that passes between stages.

Each event is a small frozen dataclass named for what happened. Every one carries the turn it
belongs to, the generation it was produced under (a barge-in bumps the generation and every
stage drops items from older generations; see assistant/conversation/reply_desk.py) and
`t_ns`, the time on the injected clock when it happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, kw_only=True)
class Event:
    turn_id: int = 0
    generation: int = 0
    t_ns: int = 0


# --- audio in -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AudioFrame:
    """A block of 16 kHz mono int16 samples; `t_ns` is the capture time of its first sample."""

    samples: np.ndarray
    t_ns: int
    sample_rate: int = 16000

    @property
    def duration_ns(self) -> int:
        return len(self.samples) * 1_000_000_000 // self.sample_rate

    @property
    def t_end_ns(self) -> int:
        return self.t_ns + self.duration_ns


@dataclass(frozen=True, kw_only=True)
class InputLevel(Event):
    """RMS level of the latest input block in dBFS, for meters."""

    dbfs: float


@dataclass(frozen=True, kw_only=True)
class ListenerLag(Event):
    """How late the latest frames were handled: from the end of each frame's capture to the
    end of its endpointing and barge-in decisions (ms), a batch at a time."""

    lag_ms: tuple[float, ...]


@dataclass(frozen=True, kw_only=True)
class SourceFinished(Event):
    """The audio source has no more frames (end of a replayed file)."""


# --- listening ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SpeechStarted(Event):
    """Speech onset. `t_onset_ns` is the capture time of the first voiced frame."""

    t_onset_ns: int


@dataclass(frozen=True, kw_only=True)
class SpeechEnded(Event):
    """End of a user turn.

    `t_ns` is when the end was detected; `t_true_end_ns` is the end of the last voiced frame
    (for push-to-talk, the release time). `reason` is "vad" (a silence long enough), "model"
    (the end-of-turn model was sure the sentence is complete: `probability`), "ptt" or "eof".
    """

    t_true_end_ns: int
    reason: str = "vad"
    probability: float | None = None


@dataclass(frozen=True, kw_only=True)
class TurnHeld(Event):
    """The user paused, and the end-of-turn model thinks they are not done (`probability`
    that they are): the turn stays open, nothing is said yet."""

    probability: float


@dataclass(frozen=True, kw_only=True)
class WordInfo:
    word: str
    start_s: float
    end_s: float
    confidence: float = 1.0


@dataclass(frozen=True, kw_only=True)
class PartialTranscript(Event):
    """The recognizer's current guess. `stable_text` is the prefix unlikely to change."""

    text: str
    stable_text: str = ""


@dataclass(frozen=True, kw_only=True)
class TranscriptCheckpoint(Event):
    """At a pause inside a turn: the words so far with final quality; the turn goes on
    (a speculative reply may start on them)."""

    text: str


@dataclass(frozen=True, kw_only=True)
class FinalTranscript(Event):
    text: str
    words: tuple[WordInfo, ...] = ()
    engine: str = ""


# --- the turn's life: one stream for every consumer (the window, the API, the log) --------


@dataclass(frozen=True, kw_only=True)
class TurnOpened(Event):
    """A turn began: `source` is "voice", "ptt", "text" or "timer" (a ring no one spoke)."""

    source: str = "voice"


@dataclass(frozen=True, kw_only=True)
class ReplyStarted(Event):
    """A reply to the turn began under `generation`. A speculative one (`speculative`) is
    written before the turn is known to be over: its tokens and chunks are the loop's to keep
    until `ReplyCommitted`, and are never shown or played if `ReplyDiscarded` comes first."""

    text: str  # the words it answers
    speculative: bool = False


@dataclass(frozen=True, kw_only=True)
class ReplyCommitted(Event):
    """The speculative reply of `generation` is the turn's answer: it plays and may be shown."""


@dataclass(frozen=True, kw_only=True)
class ReplyDiscarded(Event):
    """The speculative reply of `generation` is thrown away (the user went on talking): none
    of its words or audio is ever shown or played."""


@dataclass(frozen=True, kw_only=True)
class ReplyCutOff(Event):
    """The reply of `generation` was stopped part-way (a barge-in, Stop, a new question):
    `t_silent_ns` is when the output went silent."""

    t_silent_ns: int = 0
    reason: str = "barge-in"  # "barge-in", "stop", "press", "new-turn"


# --- responding -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LlmToken(Event):
    text: str
    index: int


@dataclass(frozen=True, kw_only=True)
class LlmFinished(Event):
    text: str
    n_tokens: int
    reason: str = "stop"  # "stop", "length", "cancelled", "error"


@dataclass(frozen=True, kw_only=True)
class TextChunk(Event):
    """A speakable piece of the reply. `token_index` is the token that completed it; `sound`
    ("chime") is rung before its words (a timer that is due)."""

    text: str
    index: int
    token_index: int = 0
    sound: str = ""


@dataclass(frozen=True, kw_only=True)
class AudioChunk(Event):
    """Synthesized float32 mono PCM for one text chunk (or part of one)."""

    samples: np.ndarray
    sample_rate: int
    chunk_index: int = 0
    text: str = ""
    last: bool = False


@dataclass(frozen=True, kw_only=True)
class PlaybackStarted(Event):
    """The first sample of a reply went to the output device at `t_ns`."""


@dataclass(frozen=True, kw_only=True)
class ChunkPlaybackStarted(Event):
    """The first sample of a text chunk went out (the UI highlights the chunk being spoken)."""

    chunk_index: int
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class PlaybackFinished(Event):
    """The reply's last queued sample went out, or the output was flushed."""

    flushed: bool = False


# --- control and status ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BargeIn(Event):
    """The user spoke over the reply. `t_onset_ns` is the onset of the interrupting speech;
    `t_detected_ns` is when the pipeline decided it was a barge-in (the speaker is flushed right
    after); `t_silent_ns` is when the output went silent."""

    t_onset_ns: int
    t_silent_ns: int
    t_detected_ns: int = 0


@dataclass(frozen=True, kw_only=True)
class StatusChanged(Event):
    """What the assistant is doing: loading, listening, hearing, thinking, speaking,
    interrupted, error."""

    state: str
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class Notice(Event):
    """A one-line message for the person (a fallback in use, a device that went away)."""

    message: str
    level: str = "info"  # "info", "warning", "error"


@dataclass(frozen=True, kw_only=True)
class TurnCompleted(Event):
    """A finished turn with its metrics (a dict as written to the metrics JSON)."""

    user_text: str
    reply_text: str
    interrupted: bool
    metrics: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TimerRinging(Event):
    """A turn no one spoke: a timer or alarm is due, and its reply (`turn_id`) rings now."""

    text: str


@dataclass(frozen=True, kw_only=True)
class TimersChanged(Event):
    """The timers and alarms now set, soonest first (`assistant.skills.timers.TimerView`s)."""

    timers: tuple = ()
