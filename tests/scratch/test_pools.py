"""Tests of scratch pools and their registry."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from framealloc_engine import (
    MIB,
    AllocConfig,
    GlobalBudgetExceededError,
    ScratchPoolFullError,
    SmartAlloc,
    StaleHandleError,
)
from framealloc_engine.scratch.pools import (
    DEFAULT_SCRATCH_CAPACITY,
    ScratchPool,
    ScratchRegistry,
    ScratchStats,
)

PathNode = np.dtype([("pos", "i4", 2), ("cost", "f4"), ("parent", "i4")])


@pytest.fixture
def alloc() -> SmartAlloc:
    return SmartAlloc(AllocConfig.minimal())


def test_scratch_pool_is_get_or_create_with_1_mib_default(alloc: SmartAlloc) -> None:
    pool = alloc.scratch_pool("pathfinding")
    assert isinstance(pool, ScratchPool)
    assert pool.capacity == DEFAULT_SCRATCH_CAPACITY == MIB
    assert alloc.scratch_pool("pathfinding") is pool
    assert alloc.scratch_pool("pathfinding", MIB) is pool
    assert alloc.scratch().get("pathfinding") is pool
    assert "pathfinding" in alloc.scratch()
    small = alloc.scratch_pool("ui", capacity=4096)
    assert small.capacity == 4096
    with pytest.raises(ValueError, match="remove"):
        alloc.scratch_pool("ui", capacity=8192)
    with pytest.raises(ValueError, match="name"):
        alloc.scratch_pool("")
    with pytest.raises(ValueError, match="capacity"):
        alloc.scratch_pool("zero", capacity=0)
    assert alloc.scratch().names() == ["pathfinding", "ui"]


def test_scratch_memory_persists_across_frames_until_reset(alloc: SmartAlloc) -> None:
    pool = alloc.scratch_pool("pathfinding", 64 * 1024)
    alloc.begin_frame()
    nodes = pool.alloc(PathNode, 1024)
    nodes["cost"] = 2.5
    alloc.end_frame()
    for _ in range(3):
        with alloc.frame_scope():
            alloc.frame_alloc(np.uint8, 4096).fill(0xFF)
    np.testing.assert_array_equal(nodes["cost"], 2.5)
    assert pool.allocated == 1024 * PathNode.itemsize
    pool.reset()
    assert pool.allocated == 0
    assert pool.generation == 1
    again = pool.alloc(PathNode, 1024)
    assert not np.shares_memory(again, nodes)  # ``nodes`` is still referenced: not reused
    start = again.__array_interface__["data"][0]
    del nodes, again
    pool.reset()  # nothing references the pool's arrays: its buffer is reused
    assert pool.alloc(PathNode, 1024).__array_interface__["data"][0] == start


def test_scratch_pool_allocates_outside_frames_and_aligns(alloc: SmartAlloc) -> None:
    pool = alloc.scratch_pool("misc", 4096)
    a = pool.alloc(np.uint8, 3)
    b = pool.alloc(np.float64, (2, 2))
    assert a.shape == (3,)
    assert b.shape == (2, 2)
    assert b.__array_interface__["data"][0] % 16 == 0
    assert pool.allocated == 16 + 32
    assert pool.stats() == ScratchStats("misc", 48, 4096, 2, 48, 0)


def test_full_pool_is_a_clear_fa003(alloc: SmartAlloc) -> None:
    pool = alloc.scratch_pool("tiny", 256)
    pool.alloc(np.uint8, 200)
    assert not pool.fits(np.uint8, 100)
    assert pool.try_alloc(np.uint8, 100) is None
    with pytest.raises(ScratchPoolFullError) as info:
        pool.alloc(np.uint8, 100)
    assert info.value.code == "FA003"
    text = str(info.value)
    assert "'tiny'" in text
    assert "100 bytes" in text
    assert "reset()" in text
    pool.reset()
    assert pool.fits(np.uint8, 256)


def test_registry_stats_reset_all_and_remove(alloc: SmartAlloc) -> None:
    a = alloc.scratch_pool("a", 1024)
    b = alloc.scratch_pool("b", 2048)
    a.alloc(np.uint8, 100)
    b.alloc(np.uint8, 10)
    registry = alloc.scratch()
    stats = registry.stats()
    assert [(s.name, s.allocated, s.capacity) for s in stats] == [
        ("a", 100, 1024),
        ("b", 10, 2048),
    ]
    assert stats[0].remaining == 924
    assert registry.total_allocated() == 110
    registry.reset_all()
    assert [s.allocated for s in registry.stats()] == [0, 0]
    reserved = alloc.stats().reserved_bytes
    assert registry.remove("a")
    assert not registry.remove("a")
    assert alloc.stats().reserved_bytes == reserved - 1024
    assert a.removed
    with pytest.raises(StaleHandleError) as info:
        a.alloc(np.uint8, 1)
    assert info.value.code == "FA401"
    assert len(registry) == 1
    assert alloc.scratch_pool("a", 512) is not a


def test_scratch_pools_count_against_the_global_limit() -> None:
    alloc = SmartAlloc(AllocConfig.minimal().with_memory_limit(8 * MIB))
    alloc.scratch_pool("fits", 2 * MIB)
    with pytest.raises(GlobalBudgetExceededError):
        alloc.scratch_pool("too_big", 16 * MIB)
    assert "too_big" not in alloc.scratch()


def test_debug_reset_poisons_and_freezes() -> None:
    alloc = SmartAlloc(AllocConfig.minimal().with_debug())
    pool = alloc.scratch_pool("dbg", 1024)
    arr = pool.alloc(np.uint8, 16)
    arr[:] = 1
    pool.reset()
    assert (arr == 0xCD).all()
    with pytest.raises(ValueError, match="read-only"):
        arr[0] = 2


def test_pool_constructor_validates_capacity() -> None:
    with pytest.raises(ValueError, match="> 0"):
        ScratchPool("x", 0)
    registry = ScratchRegistry(lambda n: None, lambda n: None)
    assert registry.get("missing") is None


def test_threads_share_a_pool_without_overlap(alloc: SmartAlloc) -> None:
    pool = alloc.scratch_pool("shared", 256 * 1024)
    results: dict[int, list[np.ndarray]] = {}
    start = threading.Barrier(4, timeout=10)

    def worker(k: int) -> None:
        start.wait()
        arrays = []
        for _ in range(200):
            a = pool.alloc(np.int32, 16)
            a[:] = k
            arrays.append(a)
        results[k] = arrays

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in threads)
    assert pool.stats().allocation_count == 800
    assert pool.allocated == 800 * 64
    for k, arrays in results.items():
        assert all((a == k).all() for a in arrays)
