"""Threads: per-thread arenas and pools, deferred cross-thread frees, a stress test.

The stress test follows mimalloc's test-stress: workers allocate blocks of random sizes,
fill each with a per-block cookie, check the cookie when freeing, and swap blocks through a
shared transfer array so that a good share of frees happen on a thread other than the
allocating one.
"""

from __future__ import annotations

import random
import threading

import numpy as np
import pytest

from framealloc_engine import AllocConfig, SmartAlloc
from framealloc_engine.allocators.buffer import data_address

JOIN_TIMEOUT = 60


def _run_threads(targets: list[threading.Thread]) -> None:
    for thread in targets:
        thread.start()
    for thread in targets:
        thread.join(timeout=JOIN_TIMEOUT)
        assert not thread.is_alive(), f"{thread.name} hung"


def test_each_thread_has_its_own_arena() -> None:
    alloc = SmartAlloc(AllocConfig().with_frame_arena_size(64 * 1024))
    buffers: dict[str, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with alloc.frame_scope():
                array = alloc.frame_alloc(np.int64, 16)
                array[:] = hash(name) % 1000
                buffers[name] = alloc._tls.arena.buffer
                assert (array == hash(name) % 1000).all()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    _run_threads([threading.Thread(target=work, args=(f"t{i}",), name=f"t{i}") for i in range(4)])
    assert not errors
    arenas = list(buffers.values())
    assert len({id(b) for b in arenas}) == 4
    # a frame on one thread does not open a frame on another
    assert not alloc.frame_active


def test_cross_thread_pool_free_is_deferred_to_the_owner() -> None:
    alloc = SmartAlloc.with_defaults()
    held = [alloc.pool_alloc(np.float32, 4)]
    address = data_address(held[0])
    done = threading.Event()

    def free_elsewhere() -> None:
        alloc.pool_free(held.pop())  # and nothing references the array any more
        done.set()

    worker = threading.Thread(target=free_elsewhere)
    worker.start()
    assert done.wait(timeout=JOIN_TIMEOUT)
    worker.join(timeout=JOIN_TIMEOUT)
    stats = alloc.stats()
    assert stats.deferred_free_count == 1
    assert stats.deferred_pending == 1
    assert stats.active_allocations == 0  # freed, awaiting the owner
    alloc.begin_frame()  # the owner applies it
    stats = alloc.stats()
    assert stats.deferred_pending == 0
    assert alloc.thread_stats().deferred_applied == 1
    alloc.end_frame()
    # the block is reused by its owner
    again = alloc.pool_alloc(np.float32, 4)
    assert data_address(again) == address
    alloc.pool_free(again)


def test_deferred_frees_are_applied_on_a_pool_miss() -> None:
    cfg = AllocConfig().with_size_classes(16).with_slab_page_size(4096)
    alloc = SmartAlloc(cfg)
    blocks = [alloc.pool_alloc(np.uint8, 16) for _ in range(4096 // 16)]
    refills = alloc.stats().slab_refill_count
    worker = threading.Thread(target=lambda: [alloc.pool_free(b) for b in blocks])
    worker.start()
    worker.join(timeout=JOIN_TIMEOUT)
    blocks.clear()  # freed arrays still referenced would keep their blocks out of reuse
    # the free list is empty: the next allocation drains the deferred queue, no refill
    block = alloc.pool_alloc(np.uint8, 16)
    assert alloc.stats().slab_refill_count == refills
    assert alloc.stats().deferred_pending == 0
    alloc.pool_free(block)


def test_exited_threads_give_their_memory_back() -> None:
    alloc = SmartAlloc(AllocConfig().with_frame_arena_size(64 * 1024))
    kept: list[np.ndarray] = []

    def work() -> None:
        with alloc.frame_scope():
            alloc.frame_alloc(np.uint8, 100)
        kept.append(alloc.pool_alloc(np.uint8, 32))

    _run_threads([threading.Thread(target=work) for _ in range(3)])
    # a thread that starts after another exited retires it on the spot; reclaim the rest
    alloc.reclaim_dead_threads()
    assert len(alloc.thread_states()) - len(alloc.thread_states(retired=False)) == 3
    stats = alloc.stats()
    # slab pages plus the main thread's arena: the three worker arenas are gone
    assert stats.reserved_bytes == alloc._slabs.pages_created * 64 * 1024 + 64 * 1024
    assert stats.allocation_count == 6
    # blocks of exited threads can still be freed, and are reused
    for block in kept:
        alloc.pool_free(block)
    stats = alloc.stats()
    assert stats.active_allocations == 0
    assert stats.pool_allocated == 0


@pytest.mark.slow
def test_stress_eight_threads_two_hundred_frames() -> None:
    threads, frames, per_frame = 8, 200, 24
    alloc = SmartAlloc(AllocConfig().with_frame_arena_size(256 * 1024))
    transfer: list[tuple[np.ndarray, int, str] | None] = [None] * 64
    transfer_lock = threading.Lock()
    errors: list[BaseException] = []
    cross_frees = [0] * threads
    start = threading.Barrier(threads, timeout=JOIN_TIMEOUT)

    def cookie(block_id: int, n: int) -> np.ndarray:
        return (np.arange(n, dtype=np.uint32) * 2654435761 + block_id) & 0xFFFFFFFF

    def check_and_free(entry: tuple[np.ndarray, int, str], me: int, mine: str) -> None:
        array, block_id, kind = entry
        expected = cookie(block_id, array.size)
        if not np.array_equal(array, expected):
            raise AssertionError(f"block {block_id} corrupted")
        if kind == "pool":
            alloc.pool_free(array)
        else:
            alloc.heap_free(array)
        if not mine:
            cross_frees[me] += 1

    def worker(me: int) -> None:
        rng = random.Random(1000 + me)
        live: list[tuple[np.ndarray, int, str]] = []
        next_id = me << 24
        try:
            start.wait()
            for _frame in range(frames):
                alloc.begin_frame()
                scratch = alloc.frame_alloc(np.uint32, rng.randrange(1, 512))
                scratch[:] = me
                for _ in range(per_frame):
                    next_id += 1
                    n = rng.choice((1, 3, 8, 30, 100, 600, 2000))
                    kind = "heap" if n * 4 > 4096 or rng.random() < 0.05 else "pool"
                    array = (
                        alloc.pool_alloc(np.uint32, n)
                        if kind == "pool"
                        else alloc.heap_alloc(np.uint32, n)
                    )
                    array[:] = cookie(next_id, n)
                    live.append((array, next_id, kind))
                rng.shuffle(live)
                # free about half; swap a third of the rest through the transfer array
                while len(live) > per_frame:
                    entry = live.pop()
                    if rng.random() < 0.33:
                        slot = rng.randrange(len(transfer))
                        with transfer_lock:
                            entry, transfer[slot] = transfer[slot], entry  # type: ignore[assignment]
                        if entry is None:
                            continue
                        check_and_free(entry, me, "")
                    else:
                        check_and_free(entry, me, "mine")
                if not (scratch == me).all():
                    raise AssertionError("frame memory corrupted")
                alloc.end_frame()
            for entry in live:
                check_and_free(entry, me, "mine")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    _run_threads([threading.Thread(target=worker, args=(i,), name=f"w{i}") for i in range(threads)])
    assert not errors, errors
    for entry in transfer:
        if entry is not None:
            check_and_free(entry, 0, "")
    assert sum(cross_frees) > 0
    stats = alloc.stats()
    assert stats.allocation_count == stats.deallocation_count
    assert stats.active_allocations == 0
    assert stats.pool_allocated == 0
    assert stats.heap_allocated == 0
    assert stats.frame_allocated == 0
    assert stats.allocation_count == threads * frames * (per_frame + 1)
    assert stats.deferred_free_count > 0
    # every queued free reaches a free list: owners that exited hand blocks to the registry
    alloc.reclaim_dead_threads()
    assert alloc.stats().deferred_pending == 0
    assert not alloc._pool_live
    assert alloc._heap.live_count == 0


def test_exited_threads_are_folded_not_kept_forever() -> None:
    """A thread per task: the registry lists the last RETIRED_KEPT exited threads and folds
    the others into totals, so statistics stay exact and nothing grows."""
    from framealloc_engine.core.threads import RETIRED_KEPT

    alloc = SmartAlloc(AllocConfig().with_frame_arena_size(64 * 1024))

    def work() -> None:
        with alloc.frame_scope():
            alloc.frame_alloc(np.uint8, 100)
        with alloc.with_tag("task"):
            alloc.pool_free(alloc.pool_alloc(np.uint8, 16))

    count = RETIRED_KEPT + 136
    for _ in range(count):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout=30)
    alloc.reclaim_dead_threads()
    assert len(alloc.thread_states()) == RETIRED_KEPT + 1  # + this thread
    assert alloc.exited_totals.threads == count - RETIRED_KEPT
    stats = alloc.stats()
    assert stats.allocation_count == 2 * count  # one frame and one pool allocation each
    assert stats.deallocation_count == 2 * count
    assert stats.total_allocated == 0
    assert [t.thread_name for t in stats.threads] == [threading.current_thread().name]
    assert alloc.tag_stats(all_threads=True)["task"].pool_count == count
