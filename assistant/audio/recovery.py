"""Audio devices that come and go: a microphone and a speaker that survive it.

A USB headset is unplugged, a Bluetooth speaker drops out, the sound server restarts. Without
help the microphone source finishes and the pipeline stops listening, or the speaker's stream
dies and every reply after it is lost. These wrappers keep the app running instead:

- `RecoveringSource` wraps a factory of sources (`make=lambda: MicSource(...)`). When the
  source fails (it finishes with an `error`, or `read()` raises) it says so once through
  `on_notice(message, level)`, retries opening a new one every `retry_s` seconds on a thread
  of its own, and goes on yielding frames when one opens. `read()` never raises for a device
  fault and the source never finishes until it is closed.
- `RecoveringSpeaker` is a `Speaker` whose stream is watched: when it fails, it says so once,
  plays on in silence on the clock (the queued audio is dropped, but the reply is still
  "played" at its real pace so turns finish as with no speaker at all), retries every
  `retry_s` seconds and, once a stream opens, plays sound again.

Each outage gives exactly two notices: one when it begins ("warning") and one when the device
works again ("info"; for the microphone: when its first frame arrives). Failed retries in
between are only logged.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import numpy as np

from assistant.audio.sources import DeviceSource
from assistant.audio.speaker import Speaker
from assistant.clock import DEFAULT_CLOCK, NS_PER_S, Clock
from assistant.errors import AudioDeviceError
from assistant.events import AudioFrame

log = logging.getLogger(__name__)

Notify = Callable[[str, str], None]  # (one-line message, level "warning" | "info")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _reason(exc: BaseException, what: str) -> str:
    """A sentence for an exception: a UserError already is one; anything else is wrapped."""
    if isinstance(exc, AudioDeviceError):
        return _one_line(str(exc))
    text = _one_line(str(exc)) or type(exc).__name__
    return f"The {what} failed ({text})."


class RecoveringSource:
    """An audio source that reopens itself after a device fault (see the module docstring)."""

    t0_ns = None  # a live input

    def __init__(self, make: Callable[[], DeviceSource], *, on_notice: Notify | None = None,
                 retry_s: float = 1.0, wait_for_device: bool = True, frame_ms: int = 20,
                 what: str = "microphone"):
        """`make()` returns a new, unstarted source. With `wait_for_device=False`, a device
        missing at `start()` raises AudioDeviceError as the plain source would; with True it
        is reported and waited for like any other outage."""
        self._make = make
        self.on_notice = on_notice or (lambda message, level: None)
        self.retry_s = retry_s
        self.wait_for_device = wait_for_device
        self.frame_ms = frame_ms
        self.what = what
        self.outages = 0  # how many times the device went away (or was missing at start)
        self.error: str | None = None  # what is wrong now; None while frames flow
        self._inner = None
        self._lock = threading.Lock()
        self._opened = threading.Event()  # set when a new source is ready for `read()`
        self._stop = threading.Event()
        self._reconnector: threading.Thread | None = None
        self._failed: list = []  # failed sources, closed off the reader's thread
        self._past_overflows = 0

    # --- the source interface --------------------------------------------------------------

    def start(self) -> None:
        if self._inner is not None or self._reconnector is not None:  # started already
            return
        try:
            source = self._open()
        except Exception as exc:
            if not self.wait_for_device or not isinstance(exc, AudioDeviceError):
                raise
            self._outage(_reason(exc, self.what))
            return
        self._inner = source
        self.frame_ms = source.frame_ms

    def read(self, timeout: float | None = None) -> AudioFrame | None:
        """The next frame, or None after `timeout` seconds (also during an outage). Never
        raises for a device fault."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stop.is_set():
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            inner = self._inner
            if inner is None:  # an outage: wait for the reconnector
                if left == 0.0:
                    return None
                self._opened.wait(0.1 if left is None else min(left, 0.1))
                continue
            try:
                frame = inner.read(left)
            except Exception as exc:  # PortAudioError, OSError...: the device, not the caller
                self._lost(inner, _reason(exc, self.what))
                continue
            if frame is not None:
                if self.error is not None:
                    self._back()
                return frame
            if inner.finished:
                self._lost(inner, _one_line(inner.error or f"The {self.what} stopped."))
                continue
            return None
        return None

    @property
    def finished(self) -> bool:
        """Only after `close()`: an outage is waited out, not the end of the input."""
        return self._stop.is_set()

    @property
    def level_dbfs(self) -> float:
        inner = self._inner
        return inner.level_dbfs if inner is not None else -120.0

    @property
    def overflows(self) -> int:
        inner = self._inner
        return self._past_overflows + (inner.overflows if inner else 0)

    @property
    def device_name(self) -> str:
        return self._inner.device_name if self._inner is not None else ""

    def close(self) -> None:
        self._stop.set()
        self._opened.set()
        with self._lock:
            inner, self._inner = self._inner, None
        if inner is not None:
            inner.close()
        thread = self._reconnector
        if thread is not None and thread is not threading.current_thread():
            thread.join(2.0)
        self._bury(wait_s=2.0)

    # --- outages ----------------------------------------------------------------------------

    def _open(self):
        source = self._make()
        try:
            source.start()
        except BaseException:
            try:
                source.close()
            except Exception:
                pass
            raise
        return source

    def _lost(self, inner, reason: str) -> None:
        with self._lock:
            if self._inner is not inner:
                return
            self._inner = None
            self._opened.clear()
            self._past_overflows += inner.overflows
            self._failed.append(inner)  # closing a dead device may be slow: not on this thread
        self._outage(reason)

    def _bury(self, wait_s: float = 0.0) -> None:
        """Close the failed sources on a thread of their own: closing a stream whose server
        died can hang in the driver (PortAudio waits for an ALSA poll that never returns),
        and that must not hold up reopening or closing."""
        with self._lock:
            failed, self._failed = self._failed, []
        if not failed:
            return

        def close_all() -> None:
            for source in failed:
                try:
                    source.close()
                except Exception:
                    log.debug("closing the failed %s", self.what, exc_info=True)

        closer = threading.Thread(target=close_all, daemon=True, name=f"close-failed-{self.what}")
        closer.start()
        closer.join(wait_s)
        if closer.is_alive() and wait_s:
            log.warning("closing the failed %s takes over %g s; left to finish in the background",
                        self.what, wait_s)

    def _outage(self, reason: str) -> None:
        """Say it once per outage (a source that reopens but fails before its first frame is
        the same outage), then retry in the background."""
        with self._lock:
            new = self.error is None
            if new:
                self.outages += 1
                self.error = reason
            if self._stop.is_set():
                return
            if self._reconnector is None:
                self._reconnector = threading.Thread(target=self._reconnect, daemon=True,
                                                     name=f"reopen-{self.what}")
                self._reconnector.start()
        if new:
            log.warning("%s", reason)
            self._notify(f"{reason} Listening resumes by itself when it is back.", "warning")

    def _reconnect(self) -> None:
        self._bury()
        while not self._stop.wait(self.retry_s):
            self._bury()
            try:
                source = self._open()
            except Exception as exc:
                log.debug("reopening the %s: %s", self.what, _one_line(str(exc)))
                continue
            with self._lock:
                self._reconnector = None  # a new outage from here on needs a new thread
                if not self._stop.is_set():
                    self._inner = source
                    self._opened.set()
                    return
            source.close()
            return

    def _back(self) -> None:
        with self._lock:
            if self.error is None:
                return
            self.error = None
        name = self.device_name
        self._notify(f"The {self.what}{f' {name!r}' if name else ''} is back; listening again.",
                     "info")

    def _notify(self, message: str, level: str) -> None:
        try:
            self.on_notice(_one_line(message), level)
        except Exception:
            log.exception("the notice handler failed")


class RecoveringSpeaker(Speaker):
    """A `Speaker` that survives its output device failing (see the module docstring).

    A watchdog thread looks at the stream every `check_s` seconds (`stream_problem`, with
    `stall_s` for a callback that stopped coming). The device-callback and the silent player
    never consume the queue at the same time: each takes a lock without waiting, and the
    callback plays silence when it cannot have it.
    """

    def __init__(self, device=None, clock: Clock = DEFAULT_CLOCK, block_ms: int = 20,
                 on_event=None, stream_factory=None, sample_rate: int | None = None, *,
                 on_notice: Notify | None = None, retry_s: float = 1.0, stall_s: float = 2.0,
                 check_s: float = 0.2, wait_for_device: bool = True):
        super().__init__(device, clock=clock, block_ms=block_ms, on_event=on_event,
                         stream_factory=stream_factory, sample_rate=sample_rate)
        self.on_notice = on_notice or (lambda message, level: None)
        self.retry_s, self.stall_s, self.check_s = retry_s, stall_s, check_s
        self.wait_for_device = wait_for_device
        self.outages = 0
        self.error: str | None = None  # what is wrong now; None while sound plays
        self._silent = threading.Event()  # set during an outage: the silent player consumes
        self._consume = threading.Lock()
        self._quit = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._player: threading.Thread | None = None
        self._callbacks = 0  # device callbacks so far (a reopened stream proves itself by one)

    def start(self) -> None:
        if self._started:
            return
        try:
            super().start()
        except AudioDeviceError as exc:
            if not self.wait_for_device:
                raise
            self._started = True
            self._outage(_one_line(str(exc)))
        self._quit.clear()
        self._watchdog = threading.Thread(target=self._watch, daemon=True, name="speaker-watch")
        self._watchdog.start()

    def _callback(self, outdata, frames, time_info, status) -> None:
        self._callbacks += 1
        if self._silent.is_set() or not self._consume.acquire(blocking=False):
            self._last_callback_s = time.monotonic()
            outdata.fill(0)
            return
        try:
            super()._callback(outdata, frames, time_info, status)
        finally:
            self._consume.release()

    def close(self) -> None:
        self._quit.set()
        for thread in (self._watchdog, self._player):
            if thread is not None and thread is not threading.current_thread():
                thread.join(2.0)
        super().close()

    # --- outages ----------------------------------------------------------------------------

    def _watch(self) -> None:
        last_try = time.monotonic()
        trial: int | None = None  # callbacks seen before a reopened stream started
        while not self._quit.wait(self.check_s):
            now = time.monotonic()
            if not self._silent.is_set():
                problem = self.stream_problem(self.stall_s)
                if problem is not None:
                    which = f"output device {self.device!r}" if self.device is not None \
                        else "audio output device"
                    self._outage(f"The {which} stopped playing ({problem}).")
                    self._discard_stream()
                    last_try = now
                continue
            if trial is not None:  # a reopened stream is back only once it asks for audio
                if self._callbacks > trial:
                    trial = None
                    self._back()
                elif self.stream_problem(self.stall_s) is not None:
                    trial = None  # the same outage goes on: no second notice
                    self._discard_stream()
                    last_try = now
                continue
            if now - last_try < self.retry_s:
                continue
            last_try = now
            before = self._callbacks
            try:
                self._open_stream()  # its callback plays silence until `_silent` is cleared
            except AudioDeviceError as exc:
                log.debug("reopening the speaker: %s", exc)
                continue
            trial = before

    def _outage(self, reason: str) -> None:
        self._silent.set()
        self.error = reason
        self.outages += 1
        log.warning("%s", reason)
        self._notify(f"{reason} Replies are shown but not spoken until it is back.", "warning")
        if self._player is None or not self._player.is_alive():
            self._player = threading.Thread(target=self._play_silently, daemon=True,
                                            name="speaker-silent")
            self._player.start()

    def _back(self) -> None:
        self._silent.clear()
        player = self._player
        if player is not None:
            player.join(2.0)
        self.error = None
        self._notify("The speaker is back; replies are spoken again.", "info")

    def _play_silently(self) -> None:
        """Consume the queue on the clock, a block at a time, as a device would."""
        rate = self.sample_rate
        size = max(1, rate * self.block_ms // 1000)
        block_ns = size * NS_PER_S // rate
        block = np.zeros(size, dtype=np.float32)
        t_next = self.clock.now_ns()
        while self._silent.is_set() and not self._quit.is_set():
            if not self._pq.busy and not self._pq.flush_pending:
                time.sleep(self.block_ms / 1000)
                continue
            now = self.clock.now_ns()
            if t_next < now:  # back on the grid after an idle spell
                t_next += -(-(now - t_next) // block_ns) * block_ns
            self.clock.sleep_until(t_next)
            with self._consume:
                self._pq.read(block, t_next, muted=True)  # taps (echo reference) hear nothing
            t_next += block_ns

    def _notify(self, message: str, level: str) -> None:
        try:
            self.on_notice(_one_line(message), level)
        except Exception:
            log.exception("the notice handler failed")
