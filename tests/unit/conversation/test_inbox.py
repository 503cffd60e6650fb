"""The conversation's inbox: controls before reports before audio, first in first out within
each, a reader held back when frames pile up, and a close that lets every waiter go. Threads
are waited on with events and joins, never timed."""

from __future__ import annotations

import threading

from assistant.conversation.inbox import CONTROL, FRAME, REPORT, Inbox

WAIT_S = 5.0  # only ever reached when the inbox is broken


def run(target) -> tuple[threading.Thread, dict]:
    """`target()` on a thread of its own; its result lands in the dict, `done` set after."""
    out: dict = {"done": threading.Event()}

    def body():
        out["result"] = target()
        out["done"].set()

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, out


def drain(inbox: Inbox, frames: bool = True) -> list:
    items = []
    while (item := inbox.take_nowait(frames)) is not None:
        items.append(item)
    return items


def test_controls_come_before_reports_before_frames_whatever_the_order_posted():
    inbox = Inbox()
    inbox.put_frame("frame 1")
    inbox.post("report 1", REPORT)
    inbox.put_frame("frame 2")
    inbox.post("stop")  # a control by default
    inbox.post("report 2", REPORT)
    inbox.post("press", CONTROL)
    assert [inbox.pending(k) for k in (CONTROL, REPORT, FRAME)] == [2, 2, 2]
    assert drain(inbox) == ["stop", "press", "report 1", "report 2", "frame 1", "frame 2"]
    assert [inbox.pending(k) for k in (CONTROL, REPORT, FRAME)] == [0, 0, 0]


def test_a_control_posted_later_overtakes_queued_audio():
    inbox = Inbox(max_frames=100)
    for i in range(50):
        inbox.put_frame(i)
    assert inbox.get(timeout=0) == 0
    inbox.post("stop")
    assert inbox.get(timeout=0) == "stop"
    assert inbox.get(timeout=0) == 1


def test_frames_can_be_left_queued():
    inbox = Inbox()
    inbox.put_frame("frame")
    assert inbox.take_nowait(frames=False) is None
    assert inbox.get(timeout=0.01, frames=False) is None
    inbox.post("report", REPORT)
    assert drain(inbox, frames=False) == ["report"]
    assert inbox.pending(FRAME) == 1 and inbox.take_nowait() == "frame"


def test_an_empty_inbox_gives_none_after_the_timeout():
    assert Inbox().get(timeout=0.01) is None
    assert Inbox().take_nowait() is None


def test_a_waiting_get_wakes_for_an_item_posted_from_another_thread():
    inbox = Inbox()
    thread, out = run(lambda: inbox.get(timeout=WAIT_S))
    inbox.post("typed question")
    assert out["done"].wait(WAIT_S)
    thread.join(WAIT_S)
    assert out["result"] == "typed question"


def test_the_reader_waits_while_the_frames_are_full_and_goes_on_when_one_is_taken():
    inbox = Inbox(max_frames=2)
    assert inbox.put_frame("a") and inbox.put_frame("b")
    thread, out = run(lambda: inbox.put_frame("c"))
    assert not out["done"].wait(0.3)  # held back: the third frame finds no room
    assert inbox.pending(FRAME) == 2
    inbox.post("report", REPORT)  # other items are never held back
    assert inbox.take_nowait() == "report"
    assert inbox.take_nowait() == "a"  # room for one
    assert out["done"].wait(WAIT_S) and out["result"] is True
    thread.join(WAIT_S)
    assert drain(inbox) == ["b", "c"]


def test_closing_lets_a_held_reader_go_and_refuses_more_frames():
    inbox = Inbox(max_frames=1)
    inbox.put_frame("a")
    thread, out = run(lambda: inbox.put_frame("b"))
    inbox.close()
    assert out["done"].wait(WAIT_S) and out["result"] is False
    thread.join(WAIT_S)
    assert inbox.put_frame("c") is False
    assert drain(inbox) == ["a"]


def test_closing_wakes_a_waiting_get_but_what_was_queued_is_still_served():
    inbox = Inbox()
    thread, out = run(lambda: inbox.get(timeout=WAIT_S))
    inbox.close()
    assert out["done"].wait(WAIT_S) and out["result"] is None
    thread.join(WAIT_S)
    inbox.post("late report", REPORT)  # posting never fails, even after close
    assert inbox.get(timeout=WAIT_S) == "late report"
    assert inbox.get(timeout=WAIT_S) is None  # closed and empty: no waiting


def test_items_posted_from_many_threads_all_arrive_in_each_threads_order():
    inbox = Inbox(max_frames=10)
    start = threading.Barrier(4)

    def poster(name, kind):
        def body():
            start.wait(WAIT_S)
            for i in range(200):
                if kind == FRAME:
                    inbox.put_frame((name, i))
                else:
                    inbox.post((name, i), kind)
            return True
        return body

    threads = [run(poster(name, kind))[0] for name, kind in
               (("control", CONTROL), ("report", REPORT), ("frame", FRAME))]
    start.wait(WAIT_S)
    got = []
    while len(got) < 600:
        item = inbox.get(timeout=WAIT_S)
        assert item is not None, f"only {len(got)} items arrived"
        got.append(item)
    for thread in threads:
        thread.join(WAIT_S)
    for name in ("control", "report", "frame"):
        assert [i for n, i in got if n == name] == list(range(200))
