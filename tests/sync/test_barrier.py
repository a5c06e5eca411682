"""FrameBarrier: the v0.6 frame-boundary rendezvous."""

from __future__ import annotations

import threading

import pytest

from framealloc_engine.errors import FrameStateError
from framealloc_engine.sync import FrameBarrier, FrameBarrierBuilder

pytestmark = pytest.mark.timeout(30)

JOIN = 10.0


def _run_threads(n: int, target: object) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(n)]  # type: ignore[arg-type]
    for t in threads:
        t.start()
    return threads


def _join(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.join(JOIN)
        assert not t.is_alive(), "a thread is stuck in the barrier"


def test_single_thread_completes_immediately() -> None:
    barrier = FrameBarrier(1)
    assert barrier.generation == 0
    assert barrier.signal_frame_complete() == 0
    barrier.wait_all()
    assert barrier.generation == 1
    assert barrier.stats().generations == 1
    assert barrier.stats().waits == 1


def test_invalid_count_rejected() -> None:
    with pytest.raises(ValueError, match="at least one"):
        FrameBarrier(0)
    with pytest.raises(ValueError, match="at least one"):
        FrameBarrier(True)


def test_wait_timeout_reports_incomplete_frame() -> None:
    barrier = FrameBarrier(2)
    barrier.signal_frame_complete()
    assert barrier.wait_timeout(0.01) is False
    assert barrier.stats().timeouts == 1
    assert barrier.arrived == 1
    # the frame is still open: the second thread completes it and a new wait succeeds
    barrier.signal_frame_complete()
    assert barrier.wait_timeout(1.0) is True
    assert barrier.generation == 1


def test_nobody_passes_before_the_last_signal() -> None:
    """Every thread records its 'work done' before signalling; after wait_all every
    thread must see all n records: this is the guarantee arenas rely on."""
    n, frames = 4, 50
    barrier = FrameBarrier(n)
    done = [[False] * n for _ in range(frames)]
    violations: list[tuple[int, int]] = []

    def worker(i: int) -> None:
        for f in range(frames):
            done[f][i] = True
            barrier.signal_frame_complete()
            barrier.wait_all()
            if not all(done[f]):
                violations.append((f, i))

    _join(_run_threads(n, worker))
    assert violations == []
    assert barrier.generation == frames
    stats = barrier.stats()
    assert stats.waits == n * frames
    assert stats.generations == frames
    assert stats.max_wait_time >= stats.mean_wait_time >= 0.0


def test_coordinator_waits_for_workers_then_resets() -> None:
    """The spec's sequence: workers signal, the coordinator waits, ends the frame, resets."""
    workers, frames = 2, 30
    barrier = FrameBarrier(workers + 1)
    go = [threading.Event() for _ in range(frames)]
    log: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        for f in range(frames):
            assert go[f].wait(JOIN)
            with lock:
                log.append(f"work{f}")
            barrier.signal_frame_complete()
            barrier.wait_all()

    threads = _run_threads(workers, worker)
    for f in range(frames):
        go[f].set()
        barrier.signal_frame_complete()
        barrier.wait_all()
        with lock:
            assert log.count(f"work{f}") == workers  # all workers finished frame f
            log.append(f"reset{f}")
        barrier.reset()  # after a completed frame: no-op
    _join(threads)
    assert barrier.generation == frames


def test_pure_coordinator_waits_for_a_named_generation() -> None:
    barrier = FrameBarrier(2)
    gen = barrier.generation

    def worker(_: int) -> None:
        barrier.signal_frame_complete()
        barrier.wait_all()

    threads = _run_threads(2, worker)
    barrier.wait_all(gen)  # even if both already signalled, frame `gen` is known complete
    _join(threads)
    assert barrier.generation == gen + 1
    assert barrier.wait_timeout(0.0, gen) is True
    with pytest.raises(ValueError, match="cannot wait for frame"):
        barrier.wait_all(gen + 5)


def test_reset_abandons_an_incomplete_frame() -> None:
    barrier = FrameBarrier(3)
    results: list[bool] = []
    started = threading.Event()

    def waiter(_: int) -> None:
        barrier.signal_frame_complete()
        started.set()
        results.append(barrier.wait_timeout(JOIN))

    threads = _run_threads(1, waiter)
    assert started.wait(JOIN)
    barrier.reset()
    _join(threads)
    assert results == [False]
    assert barrier.arrived == 0
    assert barrier.generation == 1
    assert barrier.stats().generations == 0  # nothing completed


def test_wait_and_reset() -> None:
    barrier = FrameBarrier(1)
    barrier.signal_frame_complete()
    barrier.wait_and_reset()
    assert barrier.generation == 1
    assert barrier.arrived == 0


def test_register_and_unregister_threads() -> None:
    barrier = FrameBarrier(1)
    assert barrier.register_thread("physics") == 2
    assert barrier.thread_names == ("physics",)
    barrier.signal_frame_complete()
    assert barrier.wait_timeout(0.0) is False
    # the missing thread leaves: the frame completes without it
    assert barrier.unregister_thread("physics") == 1
    assert barrier.generation == 1
    with pytest.raises(ValueError, match="not registered"):
        barrier.unregister_thread("audio")
    with pytest.raises(ValueError, match="last thread"):
        barrier.unregister_thread()


def test_builder_names_threads() -> None:
    barrier = FrameBarrierBuilder().with_thread("main").with_threads("physics", "render").build()
    assert barrier.expected == 3
    assert barrier.thread_names == ("main", "physics", "render")
    with pytest.raises(ValueError, match="already added"):
        FrameBarrierBuilder().with_thread("a").with_thread("a")
    with pytest.raises(ValueError, match="at least one"):
        FrameBarrierBuilder().build()


def test_fast_thread_may_signal_next_frame_early() -> None:
    """A thread that races ahead counts towards the next frame, never twice in one."""
    barrier = FrameBarrier(2)
    other = threading.Thread(target=barrier.signal_frame_complete)
    other.start()
    other.join(timeout=30)
    barrier.signal_frame_complete()  # completes frame 0
    assert barrier.signal_frame_complete() == 1  # early signal for frame 1
    assert barrier.arrived == 1
    barrier.wait_all(0)  # frame 0 is done
    assert barrier.wait_timeout(0.0) is False  # frame 1 still waits for one thread


def test_one_thread_cannot_complete_a_frame_by_signalling_twice() -> None:
    barrier = FrameBarrier(2)
    barrier.signal_frame_complete()
    with pytest.raises(FrameStateError, match="twice") as info:
        barrier.signal_frame_complete()
    assert info.value.code == "FA001"
    assert barrier.arrived == 1  # the refused signal did not count
    assert barrier.wait_timeout(0.0) is False


def test_stats_reset() -> None:
    barrier = FrameBarrier(1)
    barrier.signal_frame_complete()
    barrier.wait_all()
    barrier.reset_stats()
    stats = barrier.stats()
    assert (stats.waits, stats.timeouts, stats.total_wait_time) == (0, 0, 0.0)
    assert "FrameBarrier(expected=1" in repr(barrier)
