"""Frame lifecycle events and per-thread frame statistics."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from framealloc_engine import AllocConfig, SmartAlloc
from framealloc_engine.lifecycle import (
    Alloc,
    CrossThreadFreeQueued,
    DeferredProcessed,
    FrameBegin,
    FrameEnd,
    FrameEvent,
    Free,
    LifecycleManager,
)


def _alloc() -> SmartAlloc:
    return SmartAlloc(AllocConfig.minimal())


def test_disabled_by_default_and_zero_cost() -> None:
    alloc = _alloc()
    assert not alloc.lifecycle_tracking
    assert alloc.lifecycle is None
    assert alloc.observers == ()
    assert alloc.thread_frame_stats() is None
    events: list[FrameEvent] = []
    alloc.on_frame_event(events.append)  # registering does not enable
    assert alloc.observers == ()
    with alloc.frame_scope():
        alloc.frame_alloc(np.float32, 4)
    assert events == []


def test_frame_begin_end_alloc_free_events() -> None:
    alloc = _alloc()
    events: list[FrameEvent] = []
    manager = alloc.enable_lifecycle_tracking()
    assert isinstance(manager, LifecycleManager)
    assert alloc.lifecycle is manager
    alloc.on_frame_event(events.append)
    with alloc.frame_scope(), alloc.with_tag("ai"):
        alloc.frame_alloc(np.float32, 64)
        alloc.frame_alloc(np.float32, 64)
        block = alloc.pool_alloc(np.float64, 2)
        alloc.pool_free(block)
        heap = alloc.heap_alloc(np.uint8, 100)
        alloc.heap_free(heap)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["FrameBegin", "Alloc", "Alloc", "Alloc", "Free", "Alloc", "Free", "FrameEnd"]
    begin = events[0]
    assert isinstance(begin, FrameBegin)
    assert begin.frame_number == 1
    first = events[1]
    assert isinstance(first, Alloc)
    assert (first.kind, first.size, first.tag, first.frame_number) == ("frame", 256, "ai", 1)
    free = events[4]
    assert isinstance(free, Free)
    assert (free.kind, free.size) == ("pool", 32)  # the block's size class
    end = events[-1]
    assert isinstance(end, FrameEnd)
    assert (end.frame_number, end.allocations, end.frame_bytes, end.peak_memory) == (1, 2, 512, 512)
    assert end.duration_us >= 0.0
    stats = alloc.thread_frame_stats(threading.get_ident())
    assert stats is not None
    assert (stats.frames_started, stats.frames_completed, stats.current_frame) == (1, 1, 1)
    assert (stats.allocations, stats.frees, stats.peak_memory) == (4, 2, 512)
    assert stats.bytes_allocated == 256 + 256 + 16 + 100  # requested bytes
    assert stats.avg_duration_us == pytest.approx(stats.total_duration_us)
    assert stats.max_duration_us == stats.last_duration_us


def test_per_allocation_events_can_be_turned_off() -> None:
    alloc = _alloc()
    events: list[FrameEvent] = []
    alloc.on_frame_event(events.append)
    alloc.enable_lifecycle_tracking(per_allocation=False)
    with alloc.frame_scope():
        alloc.frame_alloc(np.float32, 4)
    assert [type(e) for e in events] == [FrameBegin, FrameEnd]
    stats = alloc.thread_frame_stats()
    assert stats is not None
    assert stats.allocations == 1


def test_disable_restores_plain_paths_and_keeps_stats() -> None:
    alloc = _alloc()
    events: list[FrameEvent] = []
    alloc.on_frame_event(events.append)
    alloc.enable_lifecycle_tracking()
    with alloc.frame_scope():
        pass
    alloc.disable_lifecycle_tracking()
    alloc.disable_lifecycle_tracking()  # twice is fine
    assert alloc.observers == ()
    count = len(events)
    with alloc.frame_scope():
        alloc.frame_alloc(np.float32, 4)
    assert len(events) == count
    stats = alloc.thread_frame_stats()
    assert stats is not None
    assert stats.frames_completed == 1
    assert alloc.remove_frame_event_callback(events.append) is True
    assert alloc.remove_frame_event_callback(events.append) is False


def test_cross_thread_free_and_deferred_processed_events() -> None:
    alloc = _alloc()
    events: list[FrameEvent] = []
    alloc.on_frame_event(events.append)
    alloc.enable_lifecycle_tracking(per_allocation=False)
    arrays = [alloc.pool_alloc(np.uint8, 16) for _ in range(3)]
    ids: list[int] = []

    def worker() -> None:
        ids.append(threading.get_ident())
        for a in arrays:
            alloc.pool_free(a)

    t = threading.Thread(target=worker)
    t.start()
    t.join(timeout=10)
    assert not t.is_alive()
    queued = [e for e in events if isinstance(e, CrossThreadFreeQueued)]
    assert [(e.thread_id, e.to_thread, e.size) for e in queued] == [
        (ids[0], threading.get_ident(), 32)
    ] * 3
    with alloc.frame_scope():
        pass
    processed = [e for e in events if isinstance(e, DeferredProcessed)]
    assert [(e.thread_id, e.count, e.total_bytes) for e in processed] == [
        (threading.get_ident(), 3, 96)
    ]
    worker_stats = alloc.thread_frame_stats(t)
    assert worker_stats is not None
    assert worker_stats.cross_thread_frees == 3
    main_stats = alloc.thread_frame_stats()
    assert main_stats is not None
    assert main_stats.deferred_processed == 3


def test_per_thread_frame_stats_in_threads() -> None:
    alloc = _alloc()
    alloc.enable_lifecycle_tracking()
    done = threading.Event()
    tids: list[int] = []

    def worker(frames: int) -> None:
        tids.append(threading.get_ident())
        for _ in range(frames):
            with alloc.frame_scope():
                alloc.frame_alloc(np.uint8, 1000)
        done.set()

    threads = [threading.Thread(target=worker, args=(n,)) for n in (3, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
        assert not t.is_alive()
    frames = {}
    for t in threads:
        stats = alloc.thread_frame_stats(t)
        assert stats is not None
        frames[stats.frames_completed] = stats.peak_memory
    assert frames == {3: 1000, 5: 1000}
    assert len(alloc.lifecycle.all_thread_stats()) == 2  # type: ignore[union-attr]
    assert alloc.thread_frame_stats(123456789) is None


def test_raising_callback_is_logged_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    alloc = _alloc()
    manager = alloc.enable_lifecycle_tracking()

    @alloc.on_frame_event
    def bad(event: FrameEvent) -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="framealloc"), alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 4)
    assert manager.callback_errors == 3
    assert "frame event callback" in caplog.text
    with pytest.raises(TypeError):
        alloc.on_frame_event(3)  # type: ignore[arg-type]


def test_frame_begun_before_tracking_is_still_closed() -> None:
    alloc = _alloc()
    alloc.begin_frame()
    alloc.enable_lifecycle_tracking()
    alloc.end_frame()
    stats = alloc.thread_frame_stats()
    assert stats is not None
    assert (stats.frames_started, stats.frames_completed) == (0, 1)


def test_threads_that_reuse_an_os_thread_id_keep_their_own_stats() -> None:
    """The OS reuses thread ids: a thread that starts after another exited often gets its
    id. Their statistics stay apart."""
    alloc = _alloc()
    alloc.enable_lifecycle_tracking()

    def worker(frames: int) -> None:
        for _ in range(frames):
            with alloc.frame_scope():
                alloc.frame_alloc(np.uint8, 100 * frames)

    reused = None
    for _ in range(50):  # until the OS hands the second thread the first one's id
        first = threading.Thread(target=worker, args=(2,))
        first.start()
        first.join(timeout=20)
        second = threading.Thread(target=worker, args=(3,))
        second.start()
        second.join(timeout=20)
        if first.ident == second.ident:
            reused = (first, second)
            break
    if reused is None:
        pytest.skip("the OS never reused a thread id in 50 tries")
    first, second = reused
    one, two = alloc.thread_frame_stats(first), alloc.thread_frame_stats(second)
    assert one is not None
    assert two is not None
    assert (one.frames_completed, one.peak_memory) == (2, 200)
    assert (two.frames_completed, two.peak_memory) == (3, 300)
    latest = alloc.thread_frame_stats(second.ident)  # an int id: the latest thread with it
    assert latest is not None
    assert latest.frames_completed == 3
