"""The observers thread: every event reaches every subscriber in order; `flush` returns once
everything published before it was delivered (what a WebSocket waits for before it says
`end`), without sleeping."""

from __future__ import annotations

import threading

from assistant.conversation.observers import Observers
from assistant.events import Event


def test_flush_returns_once_everything_before_it_was_delivered():
    seen, gate = [], threading.Event()

    def slow(event):
        gate.wait(5)  # the subscriber is busy until the test lets it go
        seen.append(event.t_ns)

    observers = Observers(slow)
    observers.start()
    for t in range(5):
        observers.publish(Event(t_ns=t))
    assert not observers.flush(timeout=0.05)  # not delivered yet
    gate.set()
    assert observers.flush(timeout=5)
    assert seen == [0, 1, 2, 3, 4]
    observers.stop()


def test_flush_without_the_thread_returns_at_once():
    assert Observers(lambda event: None).flush(timeout=0.01)
