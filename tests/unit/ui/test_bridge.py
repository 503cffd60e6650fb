"""Core events reach the GUI thread in batches, however many threads post them."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from assistant.events import LlmToken, PartialTranscript
from ui.bridge import EventBridge, coalesce


def test_events_from_core_threads_arrive_on_the_gui_thread_in_order(qtbot):
    bridge = EventBridge()
    got, threads_seen = [], set()

    def on_batch(batch):
        threads_seen.add(QThread.currentThread())
        got.extend(batch)

    bridge.delivered.connect(on_batch)

    def produce():
        for i in range(500):
            bridge.post(LlmToken(turn_id=1, text=f"t{i}", index=i))

    worker = threading.Thread(target=produce)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(got) == 500, timeout=3000)
    assert [e.index for e in got] == list(range(500))
    assert threads_seen == {bridge.thread()}
    assert bridge.counts["batches"] < 50  # batched, not one redraw per token


def test_superseded_partials_are_dropped():
    events = [PartialTranscript(turn_id=1, text="a"), PartialTranscript(turn_id=1, text="a b"),
              LlmToken(turn_id=0, text="x", index=0), PartialTranscript(turn_id=1, text="a b c")]
    assert [getattr(e, "text") for e in coalesce(events)] == ["a b", "x", "a b c"]


def test_a_closed_bridge_drops_late_events(qtbot):
    bridge = EventBridge()
    got = []
    bridge.delivered.connect(got.extend)
    bridge.close()
    bridge.post(LlmToken(turn_id=1, text="late", index=0))
    qtbot.wait(80)
    assert got == []
