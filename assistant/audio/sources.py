"""Where input audio comes from: the microphone or a replayed file, behind one interface.

A source delivers 16 kHz mono int16 `AudioFrame`s of `frame_ms`; each frame's `t_ns` is the
capture time of its first sample on the injected clock. `read(timeout)` returns None on a
timeout or when the source is finished.
"""

from __future__ import annotations

import collections
import threading
import time
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np

from assistant.audio.audio_file import AudioFileReader, load_audio  # noqa: F401 (re-export)
from assistant.audio.devices import (
    SAMPLE_RATE, StreamResampler, choose_input_device, close_stream, dbfs, load_sounddevice,
    supports_rate,
)
from assistant.clock import DEFAULT_CLOCK, NS_PER_S, Clock
from assistant.errors import AudioDeviceError, first_line
from assistant.events import AudioFrame

RESYNC_NS = 50_000_000  # re-anchor the frame timeline when it drifts this far from the callback
HEALTH_CHECK_S = 0.25  # a blocking read looks at the stream at least this often
MixHook = Callable[[int, int], "np.ndarray | None"]


class AudioSource(Protocol):
    """Frames of 16 kHz mono int16 audio: the microphone, or a file played as if spoken.
    `start()` may be called again on a started source (it does nothing then)."""

    frame_ms: int
    t0_ns: int | None  # the input timeline's origin (a file's first sample); None for a mic

    def start(self) -> None: ...  # idempotent

    def read(self, timeout: float | None = None) -> AudioFrame | None: ...

    @property
    def finished(self) -> bool: ...

    @property
    def level_dbfs(self) -> float: ...

    def close(self) -> None: ...


class DeviceSource(Protocol):
    """What `RecoveringSource` needs of the source it reopens (a `MicSource`)."""

    frame_ms: int
    finished: bool  # closed, or the device stopped by itself
    error: str | None  # then: why, in one sentence
    overflows: int
    device_name: str
    level_dbfs: float

    def start(self) -> None: ...

    def read(self, timeout: float | None = None) -> AudioFrame | None: ...

    def close(self) -> None: ...


def _frame_samples(frame_ms: int) -> int:
    if frame_ms not in (10, 20, 30):
        raise ValueError(f"frame_ms must be 10, 20 or 30 (webrtcvad sizes), not {frame_ms}")
    return SAMPLE_RATE * frame_ms // 1000


class WavSource:
    """A WAV or FLAC file (anything libsndfile reads) as if spoken into the microphone.

    With `realtime=True` a frame is delivered when its last sample would have been captured
    (`clock.sleep_until(t0 + end offset)`); with `realtime=False` frames come as fast as they
    are read, still stamped `t0 + offset`. `mix(t_ns, n)` may return samples (int16, or float
    in [-1, 1]) that are added to the frame at delivery time, e.g. simulated echo. The file is
    read a block at a time (`AudioFileReader`), so its length costs no memory.
    """

    def __init__(self, path: str | Path, *, frame_ms: int = 20, realtime: bool = True,
                 clock: Clock = DEFAULT_CLOCK, mix: MixHook | None = None):
        self.path = Path(path)
        self.frame_ms = frame_ms
        self.realtime = realtime
        self.clock = clock
        self.mix = mix
        self._n = _frame_samples(frame_ms)
        self._reader: AudioFileReader | None = None
        self._file_lock = threading.Lock()  # a close from another thread waits for a read
        self._index = 0
        self._closed = False
        self._level = -120.0
        self.t0_ns = 0

    def start(self) -> None:
        """Open the file; its timeline starts now. Starting a started source does nothing."""
        if self._reader is not None:
            return
        self._reader = AudioFileReader(self.path).open()
        self._closed = False
        self._index = 0
        self.t0_ns = self.clock.now_ns()

    @property
    def duration_s(self) -> float:
        return 0.0 if self._reader is None else self._reader.info.duration_s

    def offset_ns(self, sample_index: int) -> int:
        return sample_index * NS_PER_S // SAMPLE_RATE

    @property
    def finished(self) -> bool:
        return self._closed or (self._reader is not None and self._reader.finished)

    @property
    def level_dbfs(self) -> float:
        return self._level

    def read(self, timeout: float | None = None) -> AudioFrame | None:
        if self.finished:
            return None
        if self._reader is None:
            raise RuntimeError("WavSource.start() was not called")
        begin = self._index
        t_ns = self.t0_ns + self.offset_ns(begin)
        if self.realtime:
            due = self.t0_ns + self.offset_ns(begin + self._n)
            if timeout is not None and due - self.clock.now_ns() > timeout * NS_PER_S:
                self.clock.sleep_until(self.clock.now_ns() + int(timeout * NS_PER_S))
                return None
            self.clock.sleep_until(due)
        with self._file_lock:
            if self._reader is None:  # closed while this read waited for its frame's time
                return None
            chunk = self._reader.read(self._n)
        if len(chunk) == 0:  # the file ended exactly on the previous frame
            return None
        self._index = begin + self._n
        if len(chunk) < self._n:  # the last frame is padded with silence
            chunk = np.concatenate([chunk, np.zeros(self._n - len(chunk), np.int16)])
        if self.mix is not None:
            chunk = _mixed(chunk, self.mix(t_ns, self._n))
        self._level = dbfs(chunk)
        return AudioFrame(samples=chunk, t_ns=t_ns)

    def close(self) -> None:
        self._closed = True
        self.close_file()

    def close_file(self) -> None:
        with self._file_lock:
            reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()


def _mixed(frame: np.ndarray, extra: np.ndarray | None) -> np.ndarray:
    if extra is None or len(extra) == 0:
        return frame
    extra = np.asarray(extra)[: len(frame)]
    if extra.dtype.kind == "f":
        extra = np.rint(extra * 32768.0)
    out = frame.astype(np.int32)
    out[: len(extra)] += extra.astype(np.int32)
    return np.clip(out, -32768, 32767).astype(np.int16)


class MicSource:
    """The microphone through a sounddevice InputStream.

    The callback copies the block into a bounded deque and nothing more; when the reader falls
    behind, the oldest block is dropped and counted in `overflows`. Resampling (when the device
    cannot record at 16 kHz), framing and the level meter happen in `read()`, on the reader's
    thread.

    A device that fails mid-stream finishes the source with a one-line `error`: PortAudio
    stopping the stream by itself (unplugged), the stream refusing to answer, or no audio at
    all for `stall_s` real seconds while the stream claims to run (a hung driver or server).
    `RecoveringSource` (assistant/audio/recovery.py) reopens it when the device is back.
    """

    t0_ns = None  # a live input: its timeline is the clock's

    def __init__(self, device: str | int | None = None, *, frame_ms: int = 20,
                 clock: Clock = DEFAULT_CLOCK, max_queue_ms: int = 2000, sd: Any = None,
                 stall_s: float = 3.0):
        self.device_spec = device
        self.frame_ms = frame_ms
        self.clock = clock
        self.overflows = 0  # blocks dropped because the reader fell behind
        self.device_overflows = 0  # overruns reported by the audio driver
        self.device_name = ""
        self.error: str | None = None  # set when the device stopped by itself
        self.rate = SAMPLE_RATE
        self.stall_s = stall_s  # (real seconds; generous: a sound server may take ~2 s to start)
        self._last_block_s = 0.0  # time.monotonic() of the latest callback (or of start)
        self._sd = sd
        self._n = _frame_samples(frame_ms)
        self._blocks: collections.deque = collections.deque(maxlen=max(2, max_queue_ms // frame_ms))
        self._ready = threading.Event()
        self._stream = None
        self._resampler: StreamResampler | None = None
        self._pending = np.zeros(0, np.int16)
        self._pending_t = 0
        self._seq = 0  # blocks seen by the callback
        self._last_seq = -1  # last block read; a jump means blocks were dropped
        self._next_in_t = 0
        self._level = -120.0
        self._closed = False

    def start(self) -> None:
        if self._stream is not None:  # started already
            return
        sd = self._sd or load_sounddevice()
        device = choose_input_device(self.device_spec, sd)
        self.device_name = device.name
        if supports_rate(device, SAMPLE_RATE, sd):
            self.rate = SAMPLE_RATE
        else:
            self.rate = int(device.default_samplerate)
            self._resampler = StreamResampler(self.rate, SAMPLE_RATE)
        self._last_block_s = time.monotonic()
        try:
            self._stream = sd.InputStream(
                device=device.index, samplerate=self.rate, channels=1, dtype="int16",
                blocksize=self.rate * self.frame_ms // 1000, callback=self._callback,
            )
            self._stream.start()
        except Exception as exc:  # PortAudioError, or a host API refusing the settings
            reason = first_line(exc)
            self._discard_stream()
            raise AudioDeviceError(
                f"Cannot record from '{device.name}' ({reason}); "
                "choose another with --input-device."
            ) from None

    def _callback(self, indata, frames, time_info, status) -> None:
        # Runs on the audio thread: copy, stamp, enqueue; never block, never compute.
        t_first = self.clock.now_ns() - frames * NS_PER_S // self.rate
        self._last_block_s = time.monotonic()
        if status and getattr(status, "input_overflow", False):
            self.device_overflows += 1
        if len(self._blocks) == self._blocks.maxlen:
            self.overflows += 1  # the deque drops the oldest block on append
        self._seq += 1
        samples = indata[:, 0].copy() if indata.ndim == 2 else indata.copy()
        self._blocks.append((self._seq, t_first, samples))
        self._ready.set()

    @property
    def finished(self) -> bool:
        """Closed, or the device stopped by itself (unplugged); `error` then says so."""
        return self._closed or self.error is not None

    @property
    def level_dbfs(self) -> float:
        """The level of the latest frame read (a one-slot value for meters)."""
        return self._level

    def read(self, timeout: float | None = None) -> AudioFrame | None:
        """The next frame; None after `timeout` real seconds, or when finished (closed, or the
        device failed: then `error` says how)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if len(self._pending) >= self._n:
                return self._next_frame()
            try:
                seq, t_first, block = self._blocks.popleft()
            except IndexError:
                if self._closed or self._check_stream():
                    return None
                self._ready.clear()
                if self._blocks:
                    continue
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                # wake now and then to notice a stream that died without a word
                wait = HEALTH_CHECK_S if left is None else min(left, HEALTH_CHECK_S)
                self._ready.wait(wait)
                continue
            self._append(seq, t_first, block)

    def _check_stream(self) -> bool:
        """True when the stream died under us (the device went away or hung)."""
        stream = self._stream
        if self.error is not None or stream is None:
            return self.error is not None
        try:
            active = bool(getattr(stream, "active", True))
        except Exception as exc:  # PortAudioError: the stream cannot even say
            self._fail(f"the stream reports: {first_line(exc)}")
            return True
        if not active:
            self._fail("the stream stopped by itself")
        elif self.stall_s and time.monotonic() - self._last_block_s > self.stall_s:
            self._fail(f"no audio for {self.stall_s:g} s")
        return self.error is not None

    def _fail(self, how: str) -> None:
        self.error = (f"The microphone '{self.device_name}' stopped delivering audio ({how}); "
                      "plug it back in or choose another with --input-device.")

    def _append(self, seq: int, t_first: int, block: np.ndarray) -> None:
        # The timeline follows the sample count (no callback jitter); it restarts at a block's
        # own time after dropped blocks, or when the device clock has drifted from ours.
        expected = self._next_in_t
        self._next_in_t = t_first + len(block) * NS_PER_S // self.rate
        if seq != self._last_seq + 1 or abs(t_first - expected) > RESYNC_NS:
            if self._resampler is not None:
                self._resampler = StreamResampler(self.rate, SAMPLE_RATE)
            self._pending, self._pending_t = np.zeros(0, np.int16), t_first
        else:
            self._next_in_t = expected + len(block) * NS_PER_S // self.rate
        self._last_seq = seq
        if self._resampler is not None:
            block = self._resampler.process(block)
        self._pending = np.concatenate([self._pending, block])

    def _next_frame(self) -> AudioFrame:
        samples, self._pending = self._pending[: self._n], self._pending[self._n:]
        frame = AudioFrame(samples=samples, t_ns=self._pending_t)
        self._pending_t += self._n * NS_PER_S // SAMPLE_RATE
        self._level = dbfs(samples)
        return frame

    def close(self) -> None:
        self._closed = True
        self._ready.set()
        self._discard_stream()

    def _discard_stream(self) -> None:
        stream, self._stream = self._stream, None
        close_stream(stream)
