"""A Hypothesis state machine over frame, pool and heap allocation.

Invariants after every step: no two live allocations overlap, every live allocation still
holds the bytes written into it, ``allocation_count - deallocation_count`` equals the live
count, and the byte counters add up.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from framealloc_engine import KIB, AllocConfig, SmartAlloc
from framealloc_engine.allocators.buffer import data_address

DTYPES = [np.uint8, np.int16, np.float32, np.float64, np.dtype([("p", "f4", 3), ("c", "u1")])]


def _extent(array: np.ndarray) -> tuple[int, int]:
    start = data_address(array)
    return start, start + array.nbytes


class AllocatorMachine(RuleBasedStateMachine):
    pooled = Bundle("pooled")
    heaped = Bundle("heaped")

    def __init__(self) -> None:
        super().__init__()
        cfg = AllocConfig().with_frame_arena_size(64 * KIB).with_heap_region_size(64 * KIB)
        self.alloc = SmartAlloc(cfg)
        self.frame_live: list[tuple[np.ndarray, int]] = []
        self.blocks: dict[int, tuple[np.ndarray, int, str]] = {}
        self.seed = 0

    def _fill(self, array: np.ndarray) -> int:
        self.seed += 1
        array.view(np.uint8).reshape(-1)[:] = self.seed % 251
        return self.seed % 251

    @rule()
    def begin(self) -> None:
        if not self.alloc.frame_active:
            self.alloc.begin_frame()

    @rule()
    def end(self) -> None:
        if self.alloc.frame_active:
            self.alloc.end_frame()
            self.frame_live.clear()

    @rule(dtype=st.sampled_from(DTYPES), n=st.integers(0, 300))
    def frame(self, dtype: object, n: int) -> None:
        if not self.alloc.frame_active:
            return
        array = self.alloc.try_frame_alloc(dtype, n)
        if array is None:
            return
        self.frame_live.append((array, self._fill(array)))

    @rule(target=pooled, dtype=st.sampled_from(DTYPES), n=st.integers(1, 200))
    def pool(self, dtype: object, n: int) -> int:
        array = self.alloc.pool_alloc(dtype, n) if np.dtype(dtype).itemsize * n <= 4096 else None  # type: ignore[call-overload]
        if array is None:
            return -1
        key = id(array)
        self.blocks[key] = (array, self._fill(array), "pool")
        return key

    @rule(target=heaped, dtype=st.sampled_from(DTYPES), n=st.integers(1, 5000))
    def heap(self, dtype: object, n: int) -> int:
        array = self.alloc.heap_alloc(dtype, n)
        key = id(array)
        self.blocks[key] = (array, self._fill(array), "heap")
        return key

    @rule(key=consumes(pooled))
    def pool_free(self, key: int) -> None:
        entry = self.blocks.pop(key, None)
        if entry is not None:
            self.alloc.pool_free(entry[0])

    @rule(key=consumes(heaped))
    def heap_free(self, key: int) -> None:
        entry = self.blocks.pop(key, None)
        if entry is not None:
            self.alloc.heap_free(entry[0])

    @invariant()
    def values_intact_and_disjoint(self) -> None:
        live = [(a, v) for a, v in self.frame_live] + [(a, v) for a, v, _ in self.blocks.values()]
        extents = []
        for array, value in live:
            assert (array.view(np.uint8) == value).all()
            if array.nbytes:
                extents.append(_extent(array))
        extents.sort()
        for (_, end), (start, _) in zip(extents, extents[1:], strict=False):
            assert end <= start

    @invariant()
    def counters_balance(self) -> None:
        stats = self.alloc.stats()
        live_count = len(self.frame_live) + len(self.blocks)
        assert stats.allocation_count - stats.deallocation_count == live_count
        assert stats.active_allocations == live_count
        assert stats.total_allocated == (
            stats.frame_allocated + stats.pool_allocated + stats.heap_allocated
        )
        pool_bytes = sum(
            self.alloc._pool_live[id(a)].size for a, _, k in self.blocks.values() if k == "pool"
        )
        assert stats.pool_allocated == pool_bytes
        heap_bytes = sum(
            max(16, (a.nbytes + 15) // 16 * 16) for a, _, k in self.blocks.values() if k == "heap"
        )
        assert stats.heap_allocated == heap_bytes
        assert stats.peak_allocated >= stats.total_allocated
        if not self.alloc.frame_active:
            assert stats.frame_allocated == 0

    def teardown(self) -> None:
        if self.alloc.frame_active:
            self.alloc.end_frame()
        for array, _, kind in self.blocks.values():
            (self.alloc.pool_free if kind == "pool" else self.alloc.heap_free)(array)
        assert self.alloc.stats().active_allocations == 0


TestAllocatorMachine = AllocatorMachine.TestCase
