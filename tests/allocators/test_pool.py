"""LocalPools and the SlabRegistry on their own."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from framealloc_engine.allocators.pool import LocalPools
from framealloc_engine.allocators.slab import Block, SlabRegistry
from framealloc_engine.errors import (
    AllocationSizeError,
    DoubleFreeError,
    GlobalBudgetExceededError,
    InvalidFreeError,
)


def _registry(pages: int = 1, reserve: list[int] | None = None) -> SlabRegistry:
    log = reserve if reserve is not None else []
    return SlabRegistry((16, 64, 256), 4096, pages, log.append)


def test_registry_reserves_pages_up_front_and_on_demand() -> None:
    reserved: list[int] = []
    registry = _registry(pages=2, reserve=reserved)
    assert registry.pages_created == 6
    assert sum(reserved) == 6 * 4096
    for _ in range(3):
        blocks = registry.refill(1)
        assert len(blocks) == 4096 // 64
        assert len({b.offset for b in blocks}) == len(blocks)
    assert registry.pages_created == 7  # two spares used, one new page
    assert registry.refills == 3


def test_registry_refusal_propagates() -> None:
    def refuse(nbytes: int) -> None:
        raise GlobalBudgetExceededError("no")

    registry = SlabRegistry((16,), 4096, 0, refuse)
    with pytest.raises(GlobalBudgetExceededError):
        registry.refill(0)


def test_pools_pick_the_smallest_fitting_class() -> None:
    live: dict[int, Block] = {}
    pools = LocalPools(_registry(), live)
    for nbytes, size in ((1, 16), (16, 16), (17, 64), (200, 256)):
        array = pools.alloc(np.uint8, nbytes)
        assert live[id(array)].size == size
        assert pools.free(array) == size
    with pytest.raises(AllocationSizeError, match="heap"):
        pools.alloc(np.uint8, 257)
    assert pools.allocated_bytes() == pools.freed_bytes() == 16 + 16 + 64 + 256


def test_blocks_are_disjoint_and_reused_lifo() -> None:
    pools = LocalPools(_registry(), {})
    arrays = [pools.alloc(np.float32, 4) for _ in range(10)]
    for i, array in enumerate(arrays):
        array[:] = i
    for i, array in enumerate(arrays):
        assert (array == i).all()
    del array  # the loop variable still references the last array
    last = arrays.pop()
    last_id = id(last)
    pools.free(last)
    del last
    again = pools.alloc(np.float32, 4)
    assert id(again) == last_id  # same block, same layout, nobody holds it: reused
    different = pools.alloc(np.int32, 4)
    assert different.dtype == np.int32


def test_a_block_whose_array_is_still_held_is_not_reused() -> None:
    pools = LocalPools(_registry(), {})
    kept = pools.alloc(np.float32, 4)
    pools.free(kept)
    fresh = pools.alloc(np.float32, 4)
    assert fresh is not kept
    assert not np.shares_memory(fresh, kept)
    assert pools.held_count == 1
    with pytest.raises(DoubleFreeError):  # the stale free never frees the new owner's block
        pools.free(kept)
    del kept
    pools.free(fresh)


def test_bad_frees() -> None:
    pools = LocalPools(_registry(), {})
    array = pools.alloc(np.float32, 2)
    pools.free(array)
    with pytest.raises(DoubleFreeError):
        pools.free(array)
    with pytest.raises(InvalidFreeError):
        pools.free(np.zeros(2, np.float32))


def test_foreign_frees_queue_for_the_owner() -> None:
    registry = _registry()
    live: dict[int, Block] = {}
    owner = LocalPools(registry, live)
    array = owner.alloc(np.float32, 2)
    result: list[LocalPools] = []
    thread = threading.Thread(target=lambda: result.append(LocalPools(registry, live)))
    thread.start()
    thread.join(timeout=10)
    other = result[0]
    other.free(array)
    assert len(owner.deferred) == 1
    assert other.deferred_sent == 1
    assert owner.process_deferred() == 1
    assert owner.deferred_applied == 1
    assert owner.free_block_count() > 0


def test_retire_returns_blocks_as_orphans() -> None:
    registry = _registry(pages=1)
    live: dict[int, Block] = {}
    first = LocalPools(registry, live)
    array = first.alloc(np.uint8, 16)
    first.retire()
    assert not first.alive
    second = LocalPools(registry, live)
    second.free(array)  # owner gone: straight back to the registry
    blocks = registry.refill(0)  # orphans first: everything the first pools held
    assert len(blocks) == 4096 // 16
