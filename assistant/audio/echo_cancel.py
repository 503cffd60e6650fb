"""Acoustic echo cancellation: the microphone hears the assistant's own voice from the
speakers; WebRTC's AEC3 (pywebrtc-audio) removes it, using what the speaker played as the
reference.

Why AEC3: it is the canceller every browser runs, with delay estimation, a nonlinear residual
suppressor and double-talk handling; pywebrtc-audio ships it prebuilt for Linux, macOS and
Windows, so nothing compiles at install. SpeexDSP's canceller is simpler but needs the echo
delay given exactly and leaves more residual echo.

Besides cleaning frames, the canceller estimates how much echo survives (the coupling from
played audio to the cleaned microphone signal, learned while only the assistant talks) and
says whether the cleaned signal since some moment stands clearly above that: the double-talk
rule a barge-in must pass, so an echo remnant never interrupts the assistant.

Frames are cleaned where they arrive, on the thread that reads the microphone (the lane's
reader), so neither the reference's resampling nor AEC3 runs on the conversation thread; the
conversation thread tells it what the endpointer made of each frame (`observe`) and asks the
double-talk rule (`user_above_echo`). The levels of recent frames are shared under a lock.
"""

from __future__ import annotations

import collections
import logging
import threading

import numpy as np

from assistant.audio.devices import dbfs
from assistant.audio.played_timeline import PlayedTimeline
from assistant.events import AudioFrame

log = logging.getLogger(__name__)

PIECE = 160  # AEC3 works on 10 ms at 16 kHz
FAR_ACTIVE_DBFS = -55.0  # the assistant is audibly playing
USER_MARGIN_DB = 6.0  # cleaned audio must exceed the expected echo remnant by this much
# When the assistant starts talking after a silence, the canceller needs a moment to find the
# echo again and lets some through: no barge-in is believed in that window.
SETTLE_NS = 300_000_000
ECHO_HEARD_DB = -40.0  # the microphone picks up the speakers at least this loud
QUIET_BEFORE_ONSET_NS = 200_000_000
# A frame counts as echo alone only once the user has stayed quiet this long after it: the
# endpointer calls the first frames of speech quiet until it is sure of them, and learning the
# user's voice as echo would turn the canceller on against it
QUIET_CONFIRMED_NS = 500_000_000


class EchoCanceller:
    def __init__(self, speaker_rate: int = 48000, stream_delay_ms: int = 0):
        self.played = PlayedTimeline(speaker_rate)
        self.on_played = self.played.on_played  # the speaker tap
        self.stream_delay_ms = stream_delay_ms
        # cleaned level minus played level while only echo is heard; AEC3 removes 30 dB and
        # more once converged, so start there and learn the real figure as the reply plays
        self.coupling_db = -30.0
        self._aec = None
        # (t_end_ns, out dBFS, far dBFS, near dBFS, settling, echo heard) of recent frames
        self._frames: collections.deque = collections.deque(maxlen=200)
        self._lock = threading.Lock()  # the reader appends frames, the conversation reads them
        self._far_active_since: int | None = None
        # how loud the microphone is against what plays (before cancellation): with a headset
        # there is no echo at all, and a fresh canceller would only dampen the user's voice
        # while it learns, so its output is used only once an echo has been heard
        self.echo_path_db = -30.0
        self._far_quiet_since: int | None = 0
        self._echo_in: list[float] = []  # near level while only the assistant plays
        self._echo_out: list[float] = []  # the same after cancellation
        self._unconfirmed: collections.deque = collections.deque()  # quiet, not for long yet

    def start(self) -> None:
        from pywebrtc_audio import EchoCanceller as Aec3

        self._aec = Aec3(sample_rate=16000, num_channels=1,
                         stream_delay_ms=self.stream_delay_ms)

    def __call__(self, frame: AudioFrame) -> AudioFrame:
        if self._aec is None:
            self.start()
        near = np.ascontiguousarray(frame.samples, dtype=np.int16)
        far = np.clip(self.played.read(frame.t_ns, len(near)) * 32767, -32768, 32767)
        far = far.astype(np.int16)
        out = np.empty_like(near)
        for i in range(0, len(near), PIECE):
            piece = near[i:i + PIECE]
            if len(piece) < PIECE:  # a short last frame: pass through
                out[i:] = piece
                break
            out[i:i + PIECE] = self._aec.process(piece, far[i:i + PIECE])
        near_db, out_db, far_db = dbfs(near), dbfs(out), dbfs(far)
        heard = self.echo_heard
        if not heard:
            out, out_db = near, near_db
        entry = (frame.t_end_ns, out_db, far_db, near_db, self._settling(frame.t_ns, far_db),
                 heard)
        with self._lock:
            self._frames.append(entry)
        return AudioFrame(samples=out, t_ns=frame.t_ns, sample_rate=frame.sample_rate)

    @property
    def echo_heard(self) -> bool:
        return self.echo_path_db > ECHO_HEARD_DB

    def _settling(self, t_ns: int, far_db: float) -> bool:
        """Track when the assistant's voice starts after a pause; True within SETTLE_NS."""
        if far_db < FAR_ACTIVE_DBFS:
            if self._far_quiet_since is None:
                self._far_quiet_since = t_ns
            return False
        if self._far_quiet_since is not None:
            if t_ns - self._far_quiet_since >= QUIET_BEFORE_ONSET_NS or self._far_active_since is None:
                self._far_active_since = t_ns  # a new stretch of assistant speech
            self._far_quiet_since = None
        return t_ns - self._far_active_since < SETTLE_NS

    def observe(self, user_quiet: bool, t_end_ns: int | None = None) -> None:
        """After the endpointer saw the frame that ends at `t_end_ns` (default: the latest
        one cleaned): while nobody speaks but the assistant plays, learn how much of it
        survives cancellation. A quiet frame is learned from once the user has stayed quiet
        for QUIET_CONFIRMED_NS after it; speech drops the frames just before it."""
        if not user_quiet:
            self._unconfirmed.clear()  # the onset of the user's speech, not echo
            return
        entry = self._entry(t_end_ns)
        if entry is None:
            return
        self._unconfirmed.append(entry)
        while self._unconfirmed and self._unconfirmed[0][0] <= entry[0] - QUIET_CONFIRMED_NS:
            self._learn(self._unconfirmed.popleft())

    def _learn(self, entry) -> None:
        _t, out_db, far_db, near_db, settling, _heard = entry
        if far_db < FAR_ACTIVE_DBFS:
            return
        # how loud the speakers reach the microphone; learned only while the user is quiet,
        # or talking over the assistant would look like an echo
        self.echo_path_db += 0.05 * (max(near_db - far_db, -60.0) - self.echo_path_db)
        if settling:  # the onset leak is covered by SETTLE_NS
            return
        observed = max(out_db - far_db, -60.0)  # digital silence would drag it to -100
        # quicker to rise than to fall: a remnant that grows raises the bar soon
        rate = 0.1 if observed > self.coupling_db else 0.03
        self.coupling_db += rate * (observed - self.coupling_db)
        self._echo_in.append(near_db)
        self._echo_out.append(out_db)
        del self._echo_in[:-3000], self._echo_out[:-3000]

    def _entry(self, t_end_ns: int | None):
        with self._lock:
            if not self._frames:
                return None
            if t_end_ns is None:
                return self._frames[-1]
            for entry in reversed(self._frames):
                if entry[0] == t_end_ns:
                    return entry
                if entry[0] < t_end_ns:
                    return None
        return None

    def user_above_echo(self, since_ns: int) -> bool:
        """True when, since `since_ns`, most frames stand above the expected echo remnant (or
        the assistant was silent, or no echo reaches the microphone at all, as with a
        headset): speech of the user's, not of the assistant's."""
        with self._lock:
            recent = [f for f in self._frames if f[0] > since_ns]
        if not recent:
            return False
        above = sum(1 for _t, out_db, far_db, _n, settling, heard in recent
                    if far_db < FAR_ACTIVE_DBFS or not heard
                    or (not settling and out_db > far_db + self.coupling_db + USER_MARGIN_DB))
        return above * 2 > len(recent)

    def stats(self) -> dict:
        """Echo level before and after cancellation while only the assistant spoke."""
        if not self._echo_in:
            return {"frames": 0}
        echo_in = float(np.median(self._echo_in))
        echo_out = float(np.median(self._echo_out))
        return {"frames": len(self._echo_in), "echo_in_dbfs": round(echo_in, 1),
                "residual_dbfs": round(echo_out, 1), "reduction_db": round(echo_in - echo_out, 1)}
