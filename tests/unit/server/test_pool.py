"""The engine pool's bookkeeping, on stand-in engine sets: caps, reuse, waiting, and idle sets
closed after a while."""

from __future__ import annotations

import threading

import pytest

from assistant.server.pool import EnginePool, PoolFull


class FakeEngines:
    made = 0
    closing = threading.Condition()  # notified as each set is closed

    def __init__(self):
        FakeEngines.made += 1
        self.closed = False

    def close(self):
        with FakeEngines.closing:
            self.closed = True
            FakeEngines.closing.notify_all()


def pool(**kw) -> EnginePool:
    return EnginePool(settings=None, make_engines=FakeEngines, **kw)


def test_conversations_are_capped_and_sets_reused():
    p = pool(max_conversations=2)
    a, b = p.take_for_conversation(), p.take_for_conversation()
    assert a is not b and p.conversations == 2
    with pytest.raises(PoolFull):
        p.take_for_conversation()
    with p.borrow() as spare:  # batch work still gets the one set beyond the cap
        assert spare not in (a, b)
    p.give_back_conversation(a)
    assert p.take_for_conversation() in (a, spare)  # warm, not loaded again
    assert len(p._sets) == 3


def test_a_borrow_waits_for_a_free_set_then_gives_up():
    p = pool(max_conversations=1)
    held = [p.take_for_conversation()]
    with p.borrow():
        with pytest.raises(PoolFull):
            with p.borrow(timeout=0.1):
                pass
        threading.Timer(0.1, lambda: p.give_back_conversation(held.pop())).start()
        with p.borrow(timeout=2) as got:
            assert got is not None


def test_idle_sets_beyond_the_first_are_closed():
    p = pool(max_conversations=3, idle_s=0.2)
    sets = [p.take_for_conversation() for _ in range(3)]
    for engines in sets:
        p.give_back_conversation(engines)
    with FakeEngines.closing:  # the pool's own timer closes them after idle_s
        FakeEngines.closing.wait_for(lambda: sum(e.closed for e in sets) == 2, timeout=5)
    assert len(p._sets) == 1 and sum(e.closed for e in sets) == 2
    p.close()
    assert all(e.closed for e in sets)
