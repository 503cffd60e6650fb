"""A sound file through a listener as if spoken: what `transcribe` and the speech-recognition
measurements do, with no conversation around it."""

from __future__ import annotations

import time
from typing import Callable

from assistant.clock import DEFAULT_CLOCK, ManualClock
from assistant.conversation.listener import Listener
from assistant.events import Event


def feed_file(listener: Listener, path, *, realtime: bool,
              on_event: Callable[[int, Event], None],
              timer: Callable[[float, list[Event]], None] | None = None) -> int:
    """A sound file through a started listener as if spoken: in real time on the real clock,
    or as fast as it goes on a clock that follows the file (event times are then positions
    in the audio). `on_event(t0_ns, event)` gets every event; `timer(seconds, events)` how
    long each step of the listener took (for measurements). The file is read a block at a
    time; the listener is reset first (a new input stream). Returns the file's t0_ns."""
    from assistant.audio.sources import WavSource

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
