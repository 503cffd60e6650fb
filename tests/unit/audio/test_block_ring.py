"""The ring that carries played blocks off the audio thread: in order, with their times, no
allocation on the pushing side, and a reader that falls behind is told, not misled."""

from __future__ import annotations

import numpy as np

from assistant.audio.block_ring import BlockRing
from helpers.resampling import peak_allocation


def ramp(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.float32)


def test_blocks_come_out_in_order_with_their_times_across_the_wrap():
    ring = BlockRing(capacity=1000)
    popped = []
    for i in range(30):  # 30 blocks of 96 samples: the ring wraps about three times
        ring.push(ramp(i * 96, 96), t_ns=i * 2_000_000)
        if i % 3 == 2:
            while (block := ring.pop()) is not None:
                popped.append(block)
    assert ring.pop() is None and len(ring) == 0
    assert [t for t, _ in popped] == [i * 2_000_000 for i in range(30)]
    assert np.array_equal(np.concatenate([s for _, s in popped]), ramp(0, 30 * 96))


def test_a_block_written_over_before_it_was_read_comes_out_as_none():
    ring = BlockRing(capacity=1000)
    for i in range(20):  # 1 920 samples into room for 1 000: the first blocks are gone
        ring.push(ramp(i * 96, 96), t_ns=i)
    blocks = [ring.pop() for _ in range(20)]
    assert [t for t, _ in blocks] == list(range(20))
    lost = [t for t, samples in blocks if samples is None]
    kept = [(t, samples) for t, samples in blocks if samples is not None]
    assert lost == list(range(len(lost))) and 0 < len(lost) < 20  # the oldest ones
    for t, samples in kept:
        assert np.array_equal(samples, ramp(t * 96, 96))  # never a later block's samples


def test_a_block_longer_than_the_ring_allows_keeps_its_end():
    ring = BlockRing(capacity=800)  # blocks of at most 100
    ring.push(ramp(0, 250), t_ns=7)
    t_ns, samples = ring.pop()
    assert t_ns == 7 and np.array_equal(samples, ramp(150, 100))


def test_the_oldest_entries_are_forgotten_past_max_blocks():
    ring = BlockRing(capacity=10_000, max_blocks=4)
    for i in range(6):
        ring.push(ramp(i, 10), t_ns=i)
    assert [ring.pop()[0] for _ in range(4)] == [2, 3, 4, 5] and ring.pop() is None


def test_pushing_allocates_nothing_in_proportion_to_the_block():
    ring = BlockRing(capacity=48000 * 4)
    block = np.ones(9600, dtype=np.float32)  # 38 400 bytes
    ring.push(block, t_ns=0)  # the deque's first node
    with peak_allocation() as peak:
        for i in range(1, 10):
            ring.push(block, t_ns=i)
    assert peak[0] < block.nbytes // 8
