"""Open-mic endpointing: when does a turn start, when has it ended.

webrtcvad classifies each frame. On its own it also calls steady noise and music "speech", so
by default a second opinion gates it: the Silero VAD network that faster-whisper ships
(`SileroGate`, a network small enough to run on every 32 ms of audio, on the thread that
handles the frames). A frame counts as voiced only when both agree (or Silero is sure); the
gate uses hysteresis and a short hang-over so it does not cut the soft ends of words, and a
soft onset may take longer to be believed (see GATE_ON below).

States: QUIET -> STARTING (voiced, not yet start_speech_ms of it) -> SPEAKING -> STOPPING
(silence, not yet end_silence_ms of it) -> QUIET. All times are frame capture times, so the
endpointer needs no clock and gives the same answer in real time and in a fast replay.
"""

from __future__ import annotations

import collections
import enum
from pathlib import Path
from typing import Callable

import numpy as np

from assistant.audio.devices import dbfs
from assistant.clock import NS_PER_MS
from assistant.config import VadSettings
from assistant.events import AudioFrame, Event, SpeechEnded, SpeechStarted

START_GAP_MS = 60  # unvoiced frames tolerated inside an onset before it is abandoned
ONSET_BACKTRACK_MS = 300  # the gate lags webrtcvad; the onset may move back this far
# an onset abandoned this shortly before a new one began was the same utterance's first word
# (soft speech comes in bursts): the new onset goes back to it, at most ONSET_REACH_MS back
ONSET_REJOIN_MS, ONSET_REACH_MS = 300, 1000
# webrtcvad keeps calling the fading tail of a word speech for ~100 ms; within a turn, frames
# this far below the loudest frame so far count as silence (the end comes sooner and truer).
TAIL_DB = 30.0
# The Silero gate: a frame is voiced at GATE_ON, and stays so down to GATE_OFF (plus a hang-over)
# once an onset has begun. Soft, whispered, distant or high-pitched speech gets probabilities
# that hover around 0.5, and so does a chord of a chime; what tells them apart is the average
# over the onset and how long it lasts: a turn starts after start_speech_ms of voiced frames
# averaging ONSET_MEAN, or after SOFT_ONSET_MS of them averaging SOFT_ONSET_MEAN (a chime is
# over by then). Chosen with `python -m assistant.evaluation.soft_speech` and `.noise_eval`.
GATE_ON, GATE_OFF, GATE_HANGOVER_MS = 0.4, 0.25, 160
ONSET_MEAN = 0.5
SOFT_ONSET_MS, SOFT_ONSET_MEAN = 300, 0.35
GATE_SURE = 0.9  # so sure it is speech that webrtcvad's doubt (very quiet speech) is overruled


class VadState(enum.Enum):
    QUIET = "quiet"
    STARTING = "starting"
    SPEAKING = "speaking"
    STOPPING = "stopping"


class FrameRing:
    """The most recent frames, kept for `keep_ms()` milliseconds (read live)."""

    def __init__(self, keep_ms: Callable[[], int]):
        self._keep_ms = keep_ms
        self._frames: collections.deque[AudioFrame] = collections.deque()

    def push(self, frame: AudioFrame) -> None:
        self._frames.append(frame)
        horizon = frame.t_end_ns - self._keep_ms() * NS_PER_MS
        while self._frames and self._frames[0].t_end_ns <= horizon:
            self._frames.popleft()

    def since(self, t_ns: int) -> list[AudioFrame]:
        """Frames that end after `t_ns`, oldest first."""
        return [f for f in self._frames if f.t_end_ns > t_ns]

    def clear(self) -> None:
        self._frames.clear()


class SileroGate:
    """Speech probability from the Silero VAD model bundled with faster-whisper."""

    CHUNK, CONTEXT = 512, 64

    def __init__(self, model_path: str | Path | None = None):
        self.model_path = model_path
        self._session = None
        self._buffer = np.zeros(0, np.float32)
        self.probability = 0.0

    @staticmethod
    def available() -> bool:
        try:
            import onnxruntime  # noqa: F401
            from faster_whisper.utils import get_assets_path
        except ImportError:
            return False
        return (Path(get_assets_path()) / "silero_vad_v6.onnx").is_file()

    def start(self) -> None:
        import onnxruntime
        from faster_whisper.utils import get_assets_path

        from assistant.offline import disable_onnxruntime_telemetry

        disable_onnxruntime_telemetry()
        path = self.model_path or Path(get_assets_path()) / "silero_vad_v6.onnx"
        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = options.intra_op_num_threads = 1
        options.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"])
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros((1, self.CONTEXT), np.float32)
        self._buffer = np.zeros(0, np.float32)
        self.probability = 0.0

    def push(self, samples: np.ndarray) -> float:
        """Feed int16 samples; returns the probability of the latest complete 32 ms chunk."""
        self._buffer = np.concatenate([self._buffer, samples.astype(np.float32) / 32768.0])
        while len(self._buffer) >= self.CHUNK:
            chunk = self._buffer[None, : self.CHUNK]
            self._buffer = self._buffer[self.CHUNK:]
            out, self._h, self._c = self._session.run(
                None, {"input": np.concatenate([self._context, chunk], axis=1),
                       "h": self._h, "c": self._c})
            self._context = chunk[:, -self.CONTEXT:]
            self.probability = float(np.asarray(out).ravel()[0])
        return self.probability


class Endpointer:
    """Frames in, `SpeechStarted` / `SpeechEnded` out, with a pre-roll of recent audio.

    `settings` is read on every frame, so changes (end_silence_ms, aggressiveness...) apply to
    a running endpointer. `gate` is "auto" (Silero when available), None (webrtcvad alone) or
    an object with `start()`, `reset()` and `push(samples) -> probability`. `detector` stands
    in for webrtcvad (an object with `set_mode(n)` and `is_speech(pcm_bytes, rate)`).
    """

    def __init__(self, settings: VadSettings | None = None, *, gate="auto", detector=None):
        self.settings = settings or VadSettings()
        self._gate_spec = gate
        self._detector = detector
        self.tail_db = TAIL_DB  # 0 turns the tail trimming off
        self.gate = None
        self._vad = None
        self._mode = -1
        self._last_end_ns = 0
        self._probability = 1.0  # the gate's latest answer (1 without a gate)
        self.ring = FrameRing(lambda: self.settings.preroll_ms + self.settings.start_speech_ms
                              + ONSET_BACKTRACK_MS + 1000)
        self.reset()

    def start(self) -> None:
        if self._detector is not None:
            self._vad = self._detector
        else:
            import webrtcvad

            self._vad = webrtcvad.Vad(self.settings.aggressiveness)
        self._mode = self.settings.aggressiveness
        if self._gate_spec == "auto":
            self.gate = SileroGate() if SileroGate.available() else None
        else:
            self.gate = self._gate_spec
        if self.gate is not None:
            self.gate.start()

    def reset(self) -> None:
        """Back to QUIET, forgetting any onset in progress (the pre-roll is kept)."""
        self.state = VadState.QUIET
        self.onset_ns = 0
        self.last_voiced_end_ns = 0
        self.voiced_ms = 0.0  # voiced time since the onset (for a minimum barge-in length)
        self._peak_dbfs = -120.0
        self._gap_ms = 0
        self._raw_run_start = None  # first frame of the current webrtcvad-only voiced run
        self._gate_high_until = 0
        self._abandoned = None  # (onset, last voiced end) of an onset that did not become a turn
        self._onset_p = []  # the gate's probability on each voiced frame of the onset

    def restart(self) -> None:
        """For a new input stream: reset, and forget the pre-roll and the gate's state."""
        self.reset()
        self.ring.clear()
        if self.gate is not None:
            self.gate.reset()

    @property
    def end_silence_ms(self) -> int:
        return self.settings.end_silence_ms

    def silence_ms(self, now_ns: int | None = None) -> float:
        """How long the silence has lasted while STOPPING (0 in any other state). `now_ns`
        defaults to the end of the last frame processed."""
        if self.state is not VadState.STOPPING:
            return 0.0
        now = self._last_end_ns if now_ns is None else now_ns
        return max(0, now - self.last_voiced_end_ns) / NS_PER_MS

    def preroll(self) -> list[AudioFrame]:
        """The frames from `preroll_ms` before the onset up to the latest frame."""
        return self.ring.since(self.onset_ns - self.settings.preroll_ms * NS_PER_MS)

    def is_voiced(self, frame: AudioFrame) -> bool:
        if self._vad is None:
            self.start()
        if self._mode != self.settings.aggressiveness:
            self._vad.set_mode(self.settings.aggressiveness)
            self._mode = self.settings.aggressiveness
        raw = self._vad.is_speech(frame.samples.tobytes(), frame.sample_rate)
        if raw:
            if self._raw_run_start is None:
                self._raw_run_start = frame.t_ns
        else:
            self._raw_run_start = None
        if self.gate is None:
            return raw
        probability = self.gate.push(frame.samples)
        self._probability = probability
        in_speech = self.state is not VadState.QUIET
        if probability >= (GATE_OFF if in_speech else GATE_ON):
            self._gate_high_until = frame.t_end_ns + GATE_HANGOVER_MS * NS_PER_MS
        gate_open = probability >= GATE_ON or (in_speech and frame.t_end_ns <= self._gate_high_until)
        return (raw and gate_open) or probability >= GATE_SURE

    def _loud_enough(self, frame: AudioFrame) -> bool:
        level = dbfs(frame.samples)
        self._peak_dbfs = max(self._peak_dbfs, level)
        return level >= self._peak_dbfs - self.tail_db

    def process(self, frame: AudioFrame, end_silence_ms: int | None = None) -> list[Event]:
        """`end_silence_ms`: how much silence ends the speech this time (default: the
        setting; the conversation's turn machine gives its own limit)."""
        self.ring.push(frame)
        self._last_end_ns = frame.t_end_ns
        voiced = self.is_voiced(frame)
        if voiced and self.tail_db:
            voiced = self._loud_enough(frame)
        frame_ms = frame.duration_ns / NS_PER_MS
        if voiced and self.state in (VadState.QUIET, VadState.STARTING):
            self._onset_p.append(self._probability)
        if self.state is VadState.QUIET:
            if voiced:
                self.state = VadState.STARTING
                raw_start = self._raw_run_start if self._raw_run_start is not None else frame.t_ns
                self.onset_ns = max(raw_start, frame.t_ns - ONSET_BACKTRACK_MS * NS_PER_MS)
                if self._abandoned is not None:
                    onset, voiced_end = self._abandoned
                    if frame.t_ns - voiced_end <= ONSET_REJOIN_MS * NS_PER_MS:
                        reach = frame.t_ns - ONSET_REACH_MS * NS_PER_MS
                        self.onset_ns = min(self.onset_ns, max(onset, reach))
                self.voiced_ms, self._gap_ms = frame_ms, 0
                self.last_voiced_end_ns = frame.t_end_ns
                return self._maybe_started(frame)
        elif self.state is VadState.STARTING:
            if voiced:
                self.voiced_ms += frame_ms
                self._gap_ms = 0
                self.last_voiced_end_ns = frame.t_end_ns
                return self._maybe_started(frame)
            self._gap_ms += frame_ms
            if self._gap_ms > START_GAP_MS:
                abandoned = (self.onset_ns, self.last_voiced_end_ns)
                self.reset()
                self._abandoned = abandoned
        elif voiced:  # SPEAKING or STOPPING
            self.voiced_ms += frame_ms
            self.state = VadState.SPEAKING
            self.last_voiced_end_ns = frame.t_end_ns
        else:
            self.state = VadState.STOPPING
            limit = self.settings.end_silence_ms if end_silence_ms is None else end_silence_ms
            if frame.t_end_ns - self.last_voiced_end_ns >= limit * NS_PER_MS:
                ended = SpeechEnded(t_ns=frame.t_end_ns, t_true_end_ns=self.last_voiced_end_ns)
                self.reset()
                return [ended]
        return []

    def _maybe_started(self, frame: AudioFrame) -> list[Event]:
        if self.voiced_ms < self.settings.start_speech_ms:
            return []
        if self.gate is not None:
            mean = float(np.mean(self._onset_p))
            soft = self.voiced_ms >= SOFT_ONSET_MS and mean >= SOFT_ONSET_MEAN
            if mean < ONSET_MEAN and not soft:
                return []  # not sure enough yet: more voiced frames may settle it
        self.state = VadState.SPEAKING
        return [SpeechStarted(t_ns=frame.t_end_ns, t_onset_ns=self.onset_ns)]

    def close(self) -> None:
        self._vad = None
        self.gate = None
