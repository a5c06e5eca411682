"""Deferred cross-thread frees: bounded queues, queue-full policies, processing modes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np
import pytest

from framealloc_engine import AllocConfig, SmartAlloc
from framealloc_engine.diagnostics import strict
from framealloc_engine.lifecycle import CrossThreadFreeQueued, DeferredOverflow, FrameEvent
from framealloc_engine.sync.deferred import (
    DeferredConfig,
    DeferredProcessing,
    DeferredQueueFullError,
    QueueFullPolicy,
)

Q = QueueFullPolicy
M = DeferredProcessing


def _alloc(config: DeferredConfig | None = None) -> SmartAlloc:
    alloc = SmartAlloc(AllocConfig.minimal())
    if config is not None:
        alloc.set_deferred_config(config)
    return alloc


def _on_thread(fn: Callable[[], object]) -> list[BaseException]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # reported to the test
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=20)
    assert not t.is_alive()
    return errors


def _free_all(alloc: SmartAlloc, arrays: list[np.ndarray]) -> list[BaseException]:
    def run() -> None:
        for a in arrays:
            alloc.pool_free(a)

    return _on_thread(run)


def test_config_builders_and_validation() -> None:
    assert DeferredConfig().mode is M.AT_FRAME_BEGIN
    bounded = DeferredConfig.bounded(8)
    assert (bounded.capacity, bounded.on_full) == (8, Q.PROCESS_IMMEDIATELY)
    assert bounded.full_policy(Q.FAIL).on_full is Q.FAIL
    assert DeferredConfig.incremental(4).per_alloc == 4
    assert DeferredConfig.explicit().mode is M.EXPLICIT
    assert DeferredConfig().with_capacity(3).capacity == 3
    assert not DeferredConfig(mode=M.DISABLED).drains_on_miss
    with pytest.raises(ValueError, match="capacity"):
        DeferredConfig.bounded(0)
    with pytest.raises(ValueError, match="capacity"):
        DeferredConfig(capacity=-1)
    with pytest.raises(ValueError, match="per_alloc"):
        DeferredConfig.incremental(0)
    with pytest.raises(ValueError, match="mode"):
        DeferredConfig(mode="explicit")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="on_full"):
        DeferredConfig(on_full="grow")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _alloc().set_deferred_config("bounded")  # type: ignore[arg-type]


def test_default_without_control_drains_at_frame_begin() -> None:
    alloc = _alloc()
    assert alloc.deferred_config == DeferredConfig()
    arrays = [alloc.pool_alloc(np.uint8, 16) for _ in range(3)]
    assert _free_all(alloc, arrays) == []
    assert alloc.deferred_stats().pending == 3
    alloc.begin_frame()
    assert alloc.deferred_stats().pending == 0
    alloc.end_frame()


def test_fail_policy_raises_fa204_and_the_array_stays_live() -> None:
    alloc = _alloc(DeferredConfig.bounded(2).full_policy(Q.FAIL))
    arrays = [alloc.pool_alloc(np.uint8, 16) for _ in range(3)]
    errors = _free_all(alloc, arrays)
    assert len(errors) == 1
    err = errors[0]
    assert isinstance(err, DeferredQueueFullError)
    assert err.code == "FA204"
    assert "still live" in (err.note or "")
    stats = alloc.deferred_stats()
    assert (stats.queued, stats.failed, stats.full_events, stats.pending) == (2, 1, 1, 2)
    assert id(arrays[2]) in alloc._pool_live
    arrays[2][:] = 7  # still usable
    assert alloc.process_deferred_frees() == 2
    assert _free_all(alloc, [arrays[2]]) == []
    assert alloc.process_deferred_frees() == 1
    assert alloc.deferred_stats().processed == 3


def test_drop_oldest_keeps_the_queue_bounded_and_loses_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    alloc = _alloc(DeferredConfig.bounded(2).full_policy(Q.DROP_OLDEST))
    events: list[FrameEvent] = []
    alloc.on_frame_event(events.append)
    alloc.enable_lifecycle_tracking(per_allocation=False)
    arrays = [alloc.pool_alloc(np.uint8, 16) for _ in range(5)]
    with caplog.at_level(logging.WARNING, logger="framealloc"):
        assert _free_all(alloc, arrays) == []
    stats = alloc.deferred_stats()
    # the bound holds: two frees wait for the owner, the three oldest went to the registry
    assert (stats.dropped_to_overflow, stats.pending, stats.overflow_pending) == (3, 2, 0)
    assert len(alloc._tls.pools.deferred) == 2
    warnings = [r for r in caplog.records if "FA204" in r.getMessage()]
    assert len(warnings) == 1  # reported once, through fa_emit
    dropped = [e for e in events if isinstance(e, DeferredOverflow)]
    assert [e.pending for e in dropped] == [2, 2, 2]
    assert len([e for e in events if isinstance(e, CrossThreadFreeQueued)]) == 5
    # nothing is lost: the owner applies its two, the registry hands out the other three
    assert alloc.process_deferred_frees() == 2
    stats = alloc.deferred_stats()
    assert (stats.processed, stats.pending) == (2, 0)
    assert alloc.stats().pool_allocated == 0
    again = [alloc.pool_alloc(np.uint8, 16) for _ in range(5)]
    assert len({id(a) for a in again}) == 5


def test_drop_oldest_is_seen_by_strict_mode() -> None:
    alloc = _alloc(DeferredConfig.bounded(1).full_policy(Q.DROP_OLDEST))
    arrays = [alloc.pool_alloc(np.uint8, 16) for _ in range(2)]
    strict.set_strict_mode(strict.StrictMode.PANIC_ON_WARNING)
    errors = _free_all(alloc, arrays)
    assert [type(e).__name__ for e in errors] == ["StrictModeViolation"]
    assert "FA204" in str(errors[0])


def test_pending_does_not_count_frees_for_an_exited_owner() -> None:
    alloc = _alloc(DeferredConfig())
    made: list[np.ndarray] = []
    owner = threading.Thread(target=lambda: made.extend(alloc.pool_alloc(np.uint8, 16)
                                                       for _ in range(4)))
    owner.start()
    owner.join(timeout=30)
    for array in made:  # the owner exited (not yet retired): its blocks go back at once
        alloc.pool_free(array)
    assert alloc.deferred_stats().pending == 0
    assert alloc.stats().pool_allocated == 0


def test_process_immediately_hands_blocks_to_the_registry() -> None:
    alloc = _alloc(DeferredConfig.bounded(2))
    arrays = [alloc.pool_alloc(np.uint8, 16) for _ in range(3)]
    assert _free_all(alloc, arrays) == []
    arrays.clear()  # freed arrays still referenced would keep their blocks out of reuse
    stats = alloc.deferred_stats()
    assert (stats.processed_immediately, stats.pending, stats.full_events) == (3, 0, 1)
    class_index = 0
    assert len(alloc._slabs._orphans[class_index]) == 3
    # another thread's refill takes the orphans before any new page
    pages = alloc._slabs.pages_created
    got: list[int] = []

    def take() -> None:
        got.extend(id(alloc.pool_alloc(np.uint8, 16)) for _ in range(3))

    assert _on_thread(take) == []
    assert alloc._slabs.pages_created == pages
    assert alloc._slabs._orphans[class_index] == []


def test_grow_policy_is_unbounded() -> None:
    alloc = _alloc(DeferredConfig.bounded(2).full_policy(Q.GROW))
    arrays = [alloc.pool_alloc(np.uint8, 16) for _ in range(5)]
    assert _free_all(alloc, arrays) == []
    stats = alloc.deferred_stats()
    assert (stats.pending, stats.peak_depth, stats.full_events) == (5, 5, 3)


def _queue_three(alloc: SmartAlloc) -> None:
    arrays = [alloc.pool_alloc(np.uint8, 16) for _ in range(3)]
    assert _free_all(alloc, arrays) == []


def test_at_frame_end_mode() -> None:
    alloc = _alloc(DeferredConfig(mode=M.AT_FRAME_END))
    _queue_three(alloc)
    alloc.begin_frame()
    assert alloc.deferred_stats().pending == 3
    alloc.end_frame()
    assert alloc.deferred_stats().pending == 0


@pytest.mark.parametrize("mode", [M.EXPLICIT, M.DISABLED])
def test_explicit_and_disabled_modes_wait_for_process_deferred_frees(mode: M) -> None:
    alloc = _alloc()
    alloc.set_deferred_processing(mode)
    assert alloc.deferred_config.mode is mode
    _queue_three(alloc)
    with alloc.frame_scope():
        pass
    assert alloc.deferred_stats().pending == 3
    assert alloc.process_deferred_frees(2) == 2
    assert alloc.process_deferred_frees() == 1
    assert alloc.deferred_stats().processed == 3


def test_disabled_mode_does_not_drain_on_pool_miss_but_explicit_does() -> None:
    for mode, expected_pending in ((M.DISABLED, 1), (M.EXPLICIT, 0)):
        alloc = _alloc(DeferredConfig(mode=mode))
        pools = alloc._tls.pools
        first = alloc.pool_alloc(np.uint8, 16)
        rest = [alloc.pool_alloc(np.uint8, 16) for _ in range(pools._free[0].__len__())]
        assert _free_all(alloc, [first]) == []
        alloc.pool_alloc(np.uint8, 16)  # the class is empty: a miss
        assert alloc.deferred_stats().pending == expected_pending, mode
        del rest


def test_incremental_mode_applies_k_per_pool_allocation() -> None:
    alloc = _alloc()
    alloc.set_deferred_processing(M.INCREMENTAL, per_alloc=2)
    assert alloc.deferred_config.per_alloc == 2
    arrays = [alloc.pool_alloc(np.uint8, 16) for _ in range(5)]
    assert _free_all(alloc, arrays) == []
    with alloc.frame_scope():
        assert alloc.deferred_stats().pending == 5  # no drain at frame begin
    alloc.pool_alloc(np.uint8, 32)
    assert alloc.deferred_stats().pending == 3
    alloc.pool_alloc(np.uint8, 32)
    assert alloc.deferred_stats().pending == 1
    alloc.set_deferred_config(DeferredConfig())  # back: the observer is removed
    assert alloc.observers == ()


@pytest.mark.parametrize("policy", list(QueueFullPolicy))
def test_concurrent_frees_lose_nothing_under_every_policy(policy: QueueFullPolicy) -> None:
    alloc = _alloc(DeferredConfig.bounded(8).full_policy(policy).with_mode(M.EXPLICIT))
    workers = 4
    per_worker = 40
    arrays = [alloc.pool_alloc(np.uint8, 16) for _ in range(workers * per_worker)]
    start = threading.Barrier(workers, timeout=20)
    failed: list[np.ndarray] = []
    lock = threading.Lock()

    def free_slice(chunk: list[np.ndarray]) -> None:
        start.wait()
        for a in chunk:
            try:
                alloc.pool_free(a)
            except DeferredQueueFullError:
                with lock:
                    failed.append(a)

    threads = [
        threading.Thread(target=free_slice, args=(arrays[i::workers],)) for i in range(workers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()
    applied = alloc.process_deferred_frees()
    stats = alloc.deferred_stats()
    freed = len(arrays) - len(failed)
    assert stats.pending == 0
    assert stats.queued == freed
    # every free is applied by its owner, or handed to the registry by the freeing thread
    assert applied + stats.processed_immediately + stats.dropped_to_overflow == freed
    assert stats.failed == len(failed)
    if policy is not Q.FAIL:
        assert failed == []
    for a in failed:
        assert id(a) in alloc._pool_live
    if policy is Q.DROP_OLDEST:
        assert stats.dropped_to_overflow > 0
        assert stats.overflow_pending == 0
