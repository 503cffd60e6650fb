"""Audio out: a sounddevice stream fed from a queue, and a recording stand-in for tests/replay.

`play(chunk)` queues the samples on the caller's thread, resampled there if they are not at
the device's rate (the conversation's output hands them over at that rate already: the
synthesizer's thread resampled them); the output callback only copies at most one block out of
what is queued (no blocking, no resampling, no allocation) and hands its reports to a reporter
thread, which calls `on_event` and the taps. So nothing slow ever runs in the audio callback.

Barge-in: `flush()` drops everything queued; the callback outputs zeros from its next block
on and records when that was, which `flush()` returns. Items from a generation older than
`speaker.generation` are dropped when they reach the head of the queue and mid-chunk.

Times: a reply's first sample (and each text chunk's) is reported at the time its block was
handed to the device plus its offset inside the block, on the injected clock.
"""

from __future__ import annotations

import functools
import threading
import time

import numpy as np

from assistant.audio.devices import close_stream
from assistant.audio.speaker_queue import PlaybackQueue, Tap
from assistant.clock import DEFAULT_CLOCK, NS_PER_S, Clock
from assistant.errors import AudioDeviceError, first_line
from assistant.events import AudioChunk


__all__ = ["RecordingSpeaker", "Speaker", "Tap"]

SERVER_LATENCY_S = 0.1  # measured: 60 ms still underruns through the ALSA pulse plugin
SERVER_DEVICES = {"pulse", "pipewire", "default", "jack"}  # ALSA devices that are a server


class _BaseSpeaker:
    """What `Speaker` and `RecordingSpeaker` share: queueing, flush, events, taps."""

    def __init__(self, clock: Clock, block_ms: int, on_event, sample_rate: int):
        self.clock = clock
        self.block_ms = block_ms
        self._pq = PlaybackQueue(sample_rate, clock)
        self._pq.on_event = on_event
        self._started = False

    sample_rate = property(lambda self: self._pq.sample_rate)
    is_playing = property(lambda self: self._pq.busy, doc="Audio is queued or playing.")

    @property
    def generation(self) -> int:
        """Items from older generations are dropped; the pipeline sets this on barge-in."""
        return self._pq.generation

    @generation.setter
    def generation(self, value: int) -> None:
        self._pq.generation = value

    def report_to(self, handler) -> None:
        """Where what played is reported from now on (a speaker outlives the conversations
        that use it: each one connects it to its own inbox when it is assembled)."""
        self._pq.on_event = handler

    def add_tap(self, fn: Tap, sync: bool = False) -> None:
        """`fn(samples, t_ns)` gets every block played, in order: off the audio thread, or
        with `sync=True` on it, before the block is played (for an echo reference, which must
        never arrive later than the echo; `fn` must be quick and copy what it keeps)."""
        self._pq.add_tap(fn, sync)

    def remove_tap(self, fn: Tap) -> None:
        self._pq.remove_tap(fn)

    def play(self, chunk: AudioChunk) -> None:
        """Queue one chunk (float32 mono; at `sample_rate`, or resampled here, on the caller's
        thread). An empty chunk with `last=True` marks the end of a reply: PlaybackFinished is
        reported when everything before it played."""
        if not self._started:
            raise RuntimeError("start() the speaker before playing")
        self._pq.put(chunk)

    def flush(self) -> int:
        """Drop everything queued and playing; return the clock time the output went silent."""
        ticket = self._pq.request_flush()
        if self._consumer_running() and self._pq.wait_flushed(ticket, 3 * self.block_ms / 1000 + 0.2):
            return self._pq.t_silent_ns
        self._pq.flush_now(self.clock.now_ns())
        return self._pq.t_silent_ns

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or playing (for commands like `say`). The timeout is
        in real seconds, whatever clock the speaker runs on."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.is_playing:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(self.block_ms / 1000)
        self._pq.drain_reports()
        return True

    def _consumer_running(self) -> bool:
        return self._started


class Speaker(_BaseSpeaker):
    """The real output device through a sounddevice OutputStream.

    `stream_factory(samplerate, blocksize, channels, dtype, device, callback)` builds the stream
    (tests inject a fake); `sample_rate` forces the device rate instead of its default.
    `stream_problem()` says when the device has failed under a running stream;
    `RecoveringSpeaker` (assistant/audio/recovery.py) acts on it.

    `latency` is the device buffer in seconds (or PortAudio's "low"/"high"); None picks it:
    a sound server reached through ALSA (the "pulse", "pipewire" or "default" device) gets
    SERVER_LATENCY_S, since the ALSA pulse plugin underruns on nearly every block with
    PortAudio's 35 ms default and then plays almost nothing; a hardware device keeps "high".
    """

    def __init__(self, device=None, clock: Clock = DEFAULT_CLOCK, block_ms: int = 20,
                 on_event=None, stream_factory=None, sample_rate: int | None = None,
                 latency: float | str | None = None):
        super().__init__(clock, block_ms, on_event, sample_rate or 48000)
        self.device = _parse_device(device)
        self.latency = latency
        self._stream_factory = stream_factory
        self._forced_rate = sample_rate
        self._stream = None
        self._channels = 1
        self._block = np.zeros(0, dtype=np.float32)
        self._last_callback_s = 0.0  # time.monotonic() of the latest callback (or the open)

    def start(self) -> None:
        if self._started:
            return
        self._pq.start_reporting()
        self._open_stream()
        self._started = True

    def _open_stream(self) -> None:
        """Open and start the output stream; AudioDeviceError in one sentence if it cannot."""
        factory, rate = self._stream_factory, self._forced_rate
        if factory is None:
            try:
                import sounddevice as sd

                info = sd.query_devices(self.device, "output")
            except Exception as exc:  # PortAudioError, ValueError (no such name), OSError
                raise AudioDeviceError(_no_device_message(self.device, exc)) from None
            latency = self.latency if self.latency is not None else _auto_latency(info)
            factory = functools.partial(sd.OutputStream, latency=latency)
            rate = rate or int(info["default_samplerate"])
            self._channels = max(1, min(2, int(info["max_output_channels"])))
        self._pq.sample_rate = rate = rate or 48000
        blocksize = max(1, rate * self.block_ms // 1000)
        self._block = np.zeros(blocksize, dtype=np.float32)
        self._last_callback_s = time.monotonic()
        try:
            self._stream = factory(samplerate=rate, blocksize=blocksize, channels=self._channels,
                                   dtype="float32", device=self.device, callback=self._callback)
            self._stream.start()
        except Exception as exc:
            self._discard_stream()
            raise AudioDeviceError(_no_device_message(self.device, exc)) from None

    def stream_problem(self, stall_s: float = 2.0) -> str | None:
        """Why the running stream no longer plays (one phrase), or None while it does: PortAudio
        stopped it by itself, it cannot say, or its callback has not run for `stall_s` s."""
        stream = self._stream
        if stream is None:
            return "the stream is not open"
        try:
            active = bool(getattr(stream, "active", True))
        except Exception as exc:  # PortAudioError
            return f"the stream reports: {first_line(exc)}"
        if not active:
            return "the stream stopped by itself"
        if stall_s and time.monotonic() - self._last_callback_s > stall_s:
            return f"the device asked for no audio for {stall_s:g} s"
        return None

    def _callback(self, outdata, frames, time_info, status) -> None:
        self._last_callback_s = time.monotonic()
        t_ns = self.clock.now_ns()
        if len(self._block) != frames:  # PortAudio asked for another size: made once, kept
            self._block = np.zeros(frames, np.float32)
        block = self._block
        self._pq.read(block, t_ns)
        outdata[:] = block[:, None]

    def close(self) -> None:
        self._started = False
        self._discard_stream()
        self._pq.stop_reporting(0.5)

    def _discard_stream(self) -> None:
        stream, self._stream = self._stream, None
        close_stream(stream)


class RecordingSpeaker(_BaseSpeaker):
    """A speaker without a device: a thread "plays" blocks on the clock and keeps them.

    Blocks sit on a free-running grid from `start()`, like a device callback; while nothing is
    queued the thread sleeps. With `realtime=False` blocks are played as fast as they come,
    their times still advancing one block each.
    """

    def __init__(self, clock: Clock = DEFAULT_CLOCK, block_ms: int = 20, on_event=None,
                 sample_rate: int = 48000, realtime: bool = True, keep: bool = True):
        """`keep=False` plays without keeping the blocks (a stand-in for a missing device in
        a long session); `played_blocks()` and `render()` then have nothing to show."""
        super().__init__(clock, block_ms, on_event, sample_rate)
        self.realtime = realtime
        self.keep = keep
        self.block_size = max(1, sample_rate * block_ms // 1000)
        self._block_ns = self.block_size * NS_PER_S // sample_rate
        self._played: list[tuple[int, np.ndarray]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t_next = 0

    def start(self) -> None:
        if self._started:
            return
        self._pq.start_reporting()
        self._t_origin = self._t_next = self.clock.now_ns()
        self._started = True
        self._thread = threading.Thread(target=self._run, name="recording-speaker", daemon=True)
        self._thread.start()

    def align(self, t_ns: int) -> None:
        """Put the block grid through `t_ns` (before anything plays). A real device's blocks
        fall at any phase to the microphone's frames; a replay puts this stand-in's half a
        block after the input's, the average, instead of wherever start-up left it."""
        self._t_origin = self._t_next = t_ns

    def play(self, chunk: AudioChunk) -> None:
        super().play(chunk)
        self._wake.set()

    def flush(self) -> int:
        self._wake.set()
        return super().flush()

    def _run(self) -> None:
        block = np.zeros(self.block_size, dtype=np.float32)
        while not self._stop.is_set():
            if not self._pq.busy and not self._pq.flush_pending:
                self._wake.wait(0.05)
                self._wake.clear()
                continue
            now = self.clock.now_ns()
            if self._t_next < now:  # resume on the grid after an idle spell
                self._t_next += -(-(now - self._t_next) // self._block_ns) * self._block_ns
            if self.realtime:
                self.clock.sleep_until(self._t_next)
            self._pq.read(block, self._t_next)
            if self.keep:
                self._played.append((self._t_next, block.copy()))
            self._t_next += self._block_ns

    def played_blocks(self) -> list[tuple[int, np.ndarray]]:
        """Every block played so far: (time it was handed out, samples at `sample_rate`)."""
        return list(self._played)

    def render(self, t0_ns: int, sample_rate: int, n_samples: int) -> np.ndarray:
        """The played audio on a timeline whose sample 0 is at `t0_ns`, at `sample_rate`."""
        pieces = list(self.render_blocks(t0_ns, sample_rate, n_samples))
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)

    def render_blocks(self, t0_ns: int, sample_rate: int, n_samples: int,
                      block_s: float = 10.0):
        """`render()` a stretch of `block_s` at a time (float32 arrays that add up to
        `n_samples`), so a timeline of hours never has to be held whole."""
        import soxr

        rate = self.sample_rate
        blocks = sorted(self.played_blocks(), key=lambda b: b[0])
        starts = [round((t - t0_ns) * rate / NS_PER_S) for t, _ in blocks]
        n_dev = -(-n_samples * rate // sample_rate) + self.block_size
        step = max(1, int(block_s * rate))
        resampler = (soxr.ResampleStream(rate, sample_rate, 1, dtype="float32")
                     if sample_rate != rate else None)
        left, first = n_samples, 0
        for lo in range(0, n_dev, step):
            hi = min(lo + step, n_dev)
            out = np.zeros(hi - lo, dtype=np.float32)
            while first < len(blocks) and starts[first] + len(blocks[first][1]) <= lo:
                first += 1
            i = first
            while i < len(blocks) and starts[i] < hi:
                samples, start = blocks[i][1], starts[i]
                a, b = max(start, lo), min(start + len(samples), hi)
                if b > a:
                    out[a - lo:b - lo] = samples[a - start:b - start]
                i += 1
            if resampler is not None:
                out = resampler.resample_chunk(out, last=hi == n_dev)
            out = out[:left]
            left -= len(out)
            if len(out):
                yield out
        if left > 0:
            yield np.zeros(left, dtype=np.float32)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(1.0)
        self._started = False
        self._pq.stop_reporting(0.5)


def _auto_latency(info) -> float | str:
    name = str(info.get("name", "")).strip().lower()
    return SERVER_LATENCY_S if name in SERVER_DEVICES else "high"


def _parse_device(device):
    if device in (None, ""):
        return None
    if isinstance(device, str) and device.strip().isdigit():
        return int(device)
    return device


def _no_device_message(device, exc: Exception) -> str:
    which = f"output device {device!r}" if device is not None else "audio output device"
    reason = first_line(exc)
    return (f"No usable {which} ({reason}); connect speakers or headphones, or choose one "
            "with --output-device.")
