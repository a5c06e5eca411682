"""SystemHeap on its own: regions, dedicated blocks, coalescing, bad frees."""

from __future__ import annotations

import numpy as np
import pytest

from framealloc_engine.allocators.buffer import data_address
from framealloc_engine.allocators.heap import SystemHeap
from framealloc_engine.errors import DoubleFreeError, InvalidFreeError


def _heap(log: list[int] | None = None, *, debug: bool = False) -> SystemHeap:
    events = log if log is not None else []
    return SystemHeap(
        64 * 1024, events.append, lambda n: events.append(-n), debug=debug
    )


def test_small_blocks_share_a_region_and_coalesce() -> None:
    log: list[int] = []
    heap = _heap(log)
    a, size_a = heap.alloc(np.uint8, 100)
    b, _ = heap.alloc(np.float64, 10)
    assert size_a == 112
    assert log == [64 * 1024]  # one region
    assert data_address(b) - data_address(a) == 112
    assert data_address(a) % 64 == 0
    start = data_address(a)
    heap.free(a)
    heap.free(b)
    del a, b  # nothing references the freed arrays: their bytes go back to the bins
    assert heap.live_count == 0
    assert heap.live_bytes == 0
    c, _ = heap.alloc(np.uint8, 200)
    assert data_address(c) == start  # the freed blocks merged


def test_large_blocks_get_a_dedicated_region_released_on_free() -> None:
    log: list[int] = []
    heap = _heap(log)
    big, size = heap.alloc(np.uint8, 40 * 1024)
    assert size == 40 * 1024
    assert log == [40 * 1024]
    assert heap.reserved_bytes == 40 * 1024
    heap.free(big)
    with pytest.raises(DoubleFreeError):
        heap.free(big)
    assert log == [40 * 1024]  # still referenced: the region is kept
    del big
    heap.collect()
    assert log == [40 * 1024, -40 * 1024]
    assert heap.reserved_bytes == 0


def test_freed_bytes_are_reused_only_when_nothing_references_them() -> None:
    heap = _heap()
    kept, _ = heap.alloc(np.uint8, 1000)
    tail = kept[500:]
    heap.free(kept)
    del kept
    others = [heap.alloc(np.uint8, 1000)[0] for _ in range(60)]  # fill the region
    assert not any(np.shares_memory(tail, other) for other in others)
    assert heap.held_count == 1
    del tail
    heap.collect()
    assert heap.held_count == 0


def test_allocation_cost_does_not_grow_with_live_blocks() -> None:
    """O(1): the bins hold every free block; placing one looks at one bin, however many."""
    heap = SystemHeap(1 << 20, lambda n: None, lambda n: None)
    keep = [heap.alloc(np.uint8, 1000 + 16 * (i % 50))[0] for i in range(2000)]
    for array in keep[::2]:
        heap.free(array)
    del array
    keep = keep[1::2]
    heap.collect()
    free_blocks = sum(len(b) for b in heap._bins.values())
    assert free_blocks >= 100  # fragmented: many free blocks in many bins
    probe, _ = heap.alloc(np.uint8, 1000)
    heap.free(probe)
    assert heap.live_count == len(keep)


def test_bad_frees_and_poison() -> None:
    heap = _heap(debug=True)
    array, _ = heap.alloc(np.uint8, 32)
    array[:] = 1
    heap.free(array)
    assert (array == 0xCD).all()
    assert not array.flags.writeable
    with pytest.raises(DoubleFreeError):
        heap.free(array)
    with pytest.raises(InvalidFreeError):
        heap.free(np.zeros(4))
    assert heap.alloc_count == heap.free_count == 1
