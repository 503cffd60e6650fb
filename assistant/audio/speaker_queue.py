"""The playback queue both speakers share: queued PCM, generations, flush, reports.

The consumer (a device callback or the recording thread) calls `read(block, t_ns)` once per
block; it only copies samples that are already at the output rate (the producer resampled
them: `put`) and puts reports on a queue. The taps' copies of each block go into a preallocated
ring, not a new array. A reporter thread calls `on_event` and the taps, so nothing slow ever
runs on the audio thread; the only lock it takes is the flush condition's, to say a flush is
done, which no thread holds for more than a few operations.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from assistant.audio.block_ring import BlockRing
from assistant.audio.resample import to_rate
from assistant.clock import NS_PER_S, Clock
from assistant.events import AudioChunk, ChunkPlaybackStarted, Event, PlaybackFinished, PlaybackStarted

log = logging.getLogger(__name__)

Tap = Callable[[np.ndarray, int], None]

TAP_RING_SECONDS = 8  # how far the reporter thread may fall behind the taps' blocks


@dataclass
class _Item:
    samples: np.ndarray  # float32 mono at the output rate
    turn_id: int
    generation: int
    chunk_index: int
    text: str
    last: bool


class PlaybackQueue:
    """The state both speakers share: what is queued, what is playing, what to report."""

    def __init__(self, sample_rate: int, clock: Clock):
        self.sample_rate = sample_rate
        self.clock = clock
        self.generation = 0
        self.taps: list[Tap] = []  # called on the reporter thread with a copy of each block
        self.sync_taps: list[Tap] = []  # called on the audio thread itself (must be quick)
        self._tap_blocks: BlockRing | None = None  # the blocks for `taps`, made by `add_tap`
        self._silence = np.zeros(0, dtype=np.float32)  # what taps hear when `muted`
        self.on_event: Callable[[Event], None] | None = None
        self._queue: collections.deque[_Item] = collections.deque()
        self._current: _Item | None = None
        self._offset = 0
        self._reply: tuple[int, int] | None = None  # (turn_id, generation) now playing
        self._chunk_started: int | None = None
        self._flush_requested = 0
        self._flush_done = 0
        self._flush_cond = threading.Condition()
        self.t_silent_ns = 0
        self._reports: queue.SimpleQueue = queue.SimpleQueue()
        self._reporter: threading.Thread | None = None

    # --- producer side (any thread) -------------------------------------------------------

    def put(self, chunk: AudioChunk) -> None:
        """Queue a chunk, on the producer's thread. The conversation's output resamples to
        `sample_rate` before it gets here; audio at another rate (a command's, or queued
        before the device was reopened at another rate) is resampled here, never by `read`."""
        if chunk.generation < self.generation:
            return
        samples = to_rate(chunk.samples, chunk.sample_rate, self.sample_rate)
        self._queue.append(_Item(samples, chunk.turn_id, chunk.generation, chunk.chunk_index,
                                 chunk.text, chunk.last))

    def add_tap(self, fn: Tap, sync: bool = False) -> None:
        if sync:
            self.sync_taps.append(fn)
            return
        if self._tap_blocks is None:
            self._tap_blocks = BlockRing(TAP_RING_SECONDS * self.sample_rate)
        self.taps.append(fn)

    def remove_tap(self, fn: Tap) -> None:
        (self.sync_taps if fn in self.sync_taps else self.taps).remove(fn)

    def request_flush(self) -> int:
        with self._flush_cond:
            self._flush_requested += 1
            self._queue.clear()
            return self._flush_requested

    def wait_flushed(self, ticket: int, timeout: float) -> bool:
        with self._flush_cond:
            return self._flush_cond.wait_for(lambda: self._flush_done >= ticket, timeout)

    @property
    def flush_pending(self) -> bool:
        return self._flush_requested != self._flush_done

    def flush_now(self, t_ns: int) -> None:
        """Flush from the caller's thread when no consumer is running."""
        self._do_flush(t_ns)

    @property
    def busy(self) -> bool:
        return bool(self._queue) or self._current is not None

    # --- consumer side (the audio callback or the recording thread) -----------------------

    def read(self, out: np.ndarray, t_ns: int, muted: bool = False) -> None:
        """Fill `out` (one block) with what plays next, zeros where nothing does. `muted`:
        the block goes nowhere (no device), so the taps hear silence. Only copies: no
        resampling, no allocation (but for a first block of a new size), no waiting."""
        out.fill(0.0)
        if self._flush_requested != self._flush_done:
            self._do_flush(t_ns)
        if self._current is not None and self._current.generation < self.generation:
            self._current, self._offset = None, 0
        if self._reply is not None and self._reply[1] < self.generation:
            self._end_reply(t_ns, flushed=True)  # cut off by a newer generation
        n, pos = len(out), 0
        while pos < n:
            item = self._current
            if item is None:
                item = self._next_item(t_ns + pos * NS_PER_S // self.sample_rate)
                if item is None:
                    break
            if self._offset == 0:
                self._report_start(item, t_ns + pos * NS_PER_S // self.sample_rate)
            take = min(n - pos, len(item.samples) - self._offset)
            out[pos : pos + take] = item.samples[self._offset : self._offset + take]
            pos += take
            self._offset += take
            if self._offset >= len(item.samples):
                self._current, self._offset = None, 0
        heard = out
        if muted:
            if len(self._silence) != len(out):
                self._silence = np.zeros(len(out), dtype=np.float32)
            heard = self._silence
        blocks = self._tap_blocks
        if self.taps and blocks is not None:
            blocks.push(heard, t_ns)
            self._reports.put(("tap", None, t_ns))
        for tap in self.sync_taps:
            try:
                tap(heard, t_ns)
            except Exception:
                log.exception("speaker tap failed")

    def _next_item(self, t_ns: int) -> _Item | None:
        while self._queue:
            try:
                item = self._queue.popleft()
            except IndexError:  # flushed by another thread meanwhile
                return None
            if item.generation < self.generation:
                continue
            if len(item.samples):
                self._current, self._offset = item, 0
                return item
            if item.last:  # the end marker: reported even for a reply with no audio
                if self._reply != (item.turn_id, item.generation):
                    self._end_reply(t_ns, flushed=False)
                    self._reply = (item.turn_id, item.generation)
                self._end_reply(t_ns, flushed=False)
        return None

    def _report_start(self, item: _Item, t_ns: int) -> None:
        key = (item.turn_id, item.generation)
        if self._reply != key:
            if self._reply is not None:
                self._end_reply(t_ns, flushed=False)
            self._reply, self._chunk_started = key, None
            self._report(PlaybackStarted(turn_id=item.turn_id, generation=item.generation,
                                         t_ns=t_ns))
        if self._chunk_started != item.chunk_index:
            self._chunk_started = item.chunk_index
            self._report(ChunkPlaybackStarted(turn_id=item.turn_id, generation=item.generation,
                                              t_ns=t_ns, chunk_index=item.chunk_index,
                                              text=item.text))

    def _end_reply(self, t_ns: int, flushed: bool) -> None:
        if self._reply is not None:
            turn_id, generation = self._reply
            self._reply, self._chunk_started = None, None
            self._report(PlaybackFinished(turn_id=turn_id, generation=generation, t_ns=t_ns,
                                          flushed=flushed))

    def _do_flush(self, t_ns: int) -> None:
        # the lock only to say it is done: a flush asked for meanwhile is still pending after
        # this one and is done on the next block
        ticket = self._flush_requested
        self._queue.clear()
        self._current, self._offset = None, 0
        self._end_reply(t_ns, flushed=True)
        self.t_silent_ns = t_ns
        with self._flush_cond:
            self._flush_done = ticket
            self._flush_cond.notify_all()

    # --- reports, off the audio thread ----------------------------------------------------

    def start_reporting(self) -> None:
        if self._reporter is None:
            self._reporter = threading.Thread(target=self._report_loop, name="speaker-reports",
                                              daemon=True)
            self._reporter.start()

    def _report(self, event: Event) -> None:
        self._reports.put(("event", event, 0))

    def _report_loop(self) -> None:
        while True:
            kind, payload, t_ns = self._reports.get()
            if kind == "stop":
                return
            self._handle_report(kind, payload, t_ns)

    def _handle_report(self, kind: str, payload, t_ns: int) -> None:
        try:
            if kind == "event" and self.on_event is not None:
                self.on_event(payload)
            elif kind == "tap":
                block = self._tap_blocks.pop() if self._tap_blocks is not None else None
                if block is None or block[1] is None:  # the reporter fell a ring behind
                    log.warning("a played block was lost to the speaker taps")
                    return
                for tap in list(self.taps):
                    tap(block[1], block[0])
            elif kind == "sync":
                payload.set()
        except Exception:
            log.exception("speaker report handler failed")

    def deliver_reports(self) -> None:
        """Hand every pending report over on the caller's thread (a consumer stepped by hand,
        with no reporter thread)."""
        while True:
            try:
                kind, payload, t_ns = self._reports.get_nowait()
            except queue.Empty:
                return
            self._handle_report(kind, payload, t_ns)

    def stop_reporting(self, timeout: float = 1.0) -> None:
        """Handle what is pending, then end the reporter thread."""
        reporter, self._reporter = self._reporter, None
        if reporter is not None:
            self._reports.put(("stop", None, 0))
            reporter.join(timeout)

    def drain_reports(self, timeout: float = 2.0) -> None:
        """Wait until every report made so far has been handled."""
        if self._reporter is None:
            return
        done = threading.Event()
        self._reports.put(("sync", done, 0))
        done.wait(timeout)
