"""SmartAllocPlugin: per-thread frames tied to app frames, the barrier before any reset,
failures that leave no thread behind, FA101/FA102."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from framealloc_engine.app import (
    App,
    ExecutorSettings,
    Res,
    ResMut,
    ScheduleLabel,
    SystemRunError,
    Update,
    system,
)
from framealloc_engine.bridge import AllocResource, SmartAllocPlugin
from framealloc_engine.config import AllocConfig
from framealloc_engine.diagnostics import StrictModeGuard, StrictModeViolation
from framealloc_engine.errors import FrameHooksNotRunError, FrameNotActiveError
from framealloc_engine.smart import SmartAlloc

pytestmark = pytest.mark.timeout(60)

PARALLEL = ExecutorSettings.multi_threaded(threads=3, inline_threshold=0.0)


@dataclass
class Journal:
    lock: threading.Lock = field(default_factory=threading.Lock)
    ran: list[tuple[int, str]] = field(default_factory=list)  # (frame, thread)
    finished: int = 0
    sums: list[float] = field(default_factory=list)


def _alloc_system(k: int) -> Callable[..., None]:
    def work(alloc: AllocResource, journal: Res[Journal], app_frame: Res[FrameNo]) -> None:
        assert alloc.frame_active, "the executor must begin this thread's frame first"
        data = alloc.frame_alloc(np.float64, 256)
        data[:] = k
        j = journal.value
        with j.lock:
            j.ran.append((app_frame.value.n, threading.current_thread().name))
            j.sums.append(float(data.sum()))
            j.finished += 1

    work.__qualname__ = f"work{k}"
    return work


@dataclass
class FrameNo:
    n: int = 0


def _count_frame(frame: ResMut[FrameNo]) -> None:
    frame.value.n += 1


def _build(settings: ExecutorSettings, n: int = 6) -> tuple[App, SmartAllocPlugin, Journal]:
    plugin = SmartAllocPlugin.minimal()
    journal = Journal()
    app = App(executor=settings).add_plugins(plugin).insert_resource(journal)
    app.init_resource(FrameNo)
    app.add_systems(Update, *(system(_alloc_system(k)).after(_count_frame) for k in range(n)))
    app.add_systems(Update, _count_frame)
    return app, plugin, journal


def test_presets() -> None:
    assert SmartAllocPlugin.default().config == AllocConfig()
    assert SmartAllocPlugin.minimal().config == AllocConfig.minimal()
    assert SmartAllocPlugin.high_performance().config == AllocConfig.high_performance()
    shared = SmartAlloc(AllocConfig.minimal())
    plugin = SmartAllocPlugin(alloc=shared)
    App().add_plugins(plugin)
    assert plugin.resource is not None
    assert plugin.resource.alloc is shared
    with pytest.raises(ValueError, match="not both"):
        SmartAllocPlugin(AllocConfig(), alloc=shared)


def test_every_thread_frame_begins_and_ends_with_the_app_frame() -> None:
    app, plugin, journal = _build(PARALLEL)
    resource = app.resource(AllocResource)
    try:
        for _ in range(20):
            app.update()
            assert not resource.frame_active  # main thread's frame ended
    finally:
        app.shutdown()
    assert journal.finished == 6 * 20
    assert sorted(set(journal.sums)) == [256.0 * k for k in range(6)]
    threads = {t for _, t in journal.ran}
    assert any(t.startswith("framealloc-worker") for t in threads)
    assert plugin.frames_begun == plugin.frames_ended
    # main once per frame, plus each worker in each frame it ran a system
    per_frame = {(f, t) for f, t in journal.ran if t != threading.main_thread().name}
    assert plugin.frames_begun == 20 + len(per_frame)
    assert plugin.hooks_not_run == 0
    assert resource.stats().frame_allocated == 0


def test_arenas_reset_only_after_every_thread_passed_the_barrier() -> None:
    app, plugin, journal = _build(PARALLEL, n=8)
    checks: list[tuple[int, int, int, bool]] = []
    lock = threading.Lock()

    def before_reset() -> None:  # runs right before the plugin's end_frame, on each thread
        with lock:
            checks.append(
                (
                    app.frame_count,
                    app.frame_barrier.stats().generations,
                    journal.finished,
                    app.resource(AllocResource).frame_active,
                )
            )

    app.thread_hooks.end.insert(0, before_reset)
    try:
        for _ in range(15):
            app.update()
    finally:
        app.shutdown()
    assert checks
    for frame, generations, finished, active in checks:
        assert generations == frame  # this frame's barrier generation had completed
        assert finished == 8 * frame  # no system of this frame was still running
        assert active
    ends_per_frame: dict[int, int] = {}
    for frame, *_ in checks:
        ends_per_frame[frame] = ends_per_frame.get(frame, 0) + 1
    threads_per_frame: dict[int, set[str]] = {}
    for frame, thread in journal.ran:
        threads_per_frame.setdefault(frame, {threading.main_thread().name}).add(thread)
    assert ends_per_frame == {f: len(t) for f, t in threads_per_frame.items()}


def test_parallel_and_single_threaded_allocations_agree() -> None:
    results = []
    for settings in (PARALLEL, ExecutorSettings.single_threaded()):
        app, _, journal = _build(settings)
        try:
            for _ in range(5):
                app.update()
        finally:
            app.shutdown()
        results.append(sorted(journal.sums))
    assert results[0] == results[1]


def test_failure_stops_the_frame_names_the_system_and_leaves_no_thread_behind() -> None:
    app, plugin, journal = _build(PARALLEL, n=4)
    fail = {"now": True}

    def explode(alloc: AllocResource) -> None:
        alloc.frame_alloc(np.uint8, 16)
        if fail["now"]:
            raise ZeroDivisionError("boom")

    app.add_systems(Update, explode)
    with pytest.raises(SystemRunError) as info:
        app.update()
    assert info.value.system.endswith("explode")
    assert info.value.schedule == "Update"
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert plugin.frames_begun == plugin.frames_ended  # frames still ended everywhere
    fail["now"] = False
    app.update()  # the next frame starts cleanly (no FA001 "begin twice")
    assert plugin.hooks_not_run == 0
    workers = [t for t in threading.enumerate() if t.name in app.executor.worker_names]
    app.shutdown()
    for t in workers:
        t.join(5)
        assert not t.is_alive()


def test_single_threaded_failure_names_system() -> None:
    def bad() -> None:
        raise KeyError("k")

    app = App(executor=ExecutorSettings.single_threaded()).add_systems(Update, bad)
    with pytest.raises(SystemRunError, match="system '.*bad' in schedule Update raised KeyError"):
        app.update()


def test_fa102_when_schedule_runs_outside_a_frame(caplog: pytest.LogCaptureFixture) -> None:
    outside = ScheduleLabel("Outside")

    def alloc_now(alloc: AllocResource) -> None:
        alloc.frame_alloc(np.uint8, 4)

    app = App().add_plugins(SmartAllocPlugin.minimal()).add_schedule(outside)
    app.add_systems(outside, alloc_now)
    app.update()
    with caplog.at_level(logging.WARNING, logger="framealloc"), pytest.raises(
        SystemRunError
    ) as info:
        app.run_schedule(outside)
    assert isinstance(info.value.__cause__, FrameNotActiveError)
    assert "[framealloc][FA102] warning:" in caplog.text

    strict_plugin = SmartAllocPlugin(AllocConfig.minimal(), strict=True)
    strict = App().add_plugins(strict_plugin).add_schedule(outside)
    strict.add_systems(outside, alloc_now)
    with pytest.raises(FrameHooksNotRunError) as err:
        strict.run_schedule(outside)
    assert err.value.code == "FA102"
    assert strict_plugin.hooks_not_run == 1


def test_fa102_when_a_frame_is_ended_behind_the_plugin(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def rogue(alloc: AllocResource) -> None:
        alloc.alloc.end_frame()

    app = App(executor=ExecutorSettings.single_threaded())
    plugin = SmartAllocPlugin.minimal()
    app.add_plugins(plugin).add_systems(Update, rogue)
    with caplog.at_level(logging.WARNING, logger="framealloc"):
        app.update()
    assert plugin.hooks_not_run == 1
    assert "[framealloc][FA102] warning:" in caplog.text
    with StrictModeGuard.panic_on_warning(), pytest.raises(StrictModeViolation) as err:
        app.update()
    assert err.value.code == "FA102"


def test_alloc_resource_facade() -> None:
    def use(alloc: AllocResource, out: ResMut[Journal]) -> None:
        pooled = alloc.pool_alloc(np.float32, 4)
        pooled[:] = 2
        heap = alloc.heap_alloc(np.uint8, 100_000)
        box = alloc.frame_box(np.arange(3))
        out.value.sums.append(float(pooled.sum() + box.get().sum()) + alloc.frame_remaining() * 0)
        alloc.pool_free(pooled)
        alloc.heap_free(heap)
        assert alloc.frame_slice(np.int32, 3).tolist() == [0, 0, 0]
        assert alloc.try_frame_alloc(np.int8, 2) is not None
        assert alloc.frame_number >= 1

    app = App().add_plugins(SmartAllocPlugin.minimal()).insert_resource(Journal())
    app.add_systems(Update, use)
    app.update()
    assert app.resource(Journal).sums == [11.0]
    resource = app.resource(AllocResource)
    with pytest.raises(AttributeError, match="SmartAllocPlugin begins and ends"):
        resource.begin_frame()
    assert callable(resource.thread_stats)  # delegated to SmartAlloc
    assert "AllocResource(" in repr(resource)


def test_worker_threads_register_with_the_allocator_when_the_pool_starts() -> None:
    """A worker's arena is made when the pool starts, never inside a frame later (a
    steady-state frame makes no allocator state)."""
    from framealloc_engine.app import ExecutorSettings

    settings = ExecutorSettings.multi_threaded(threads=3, inline_threshold=0.0)
    app = App(executor=settings)
    plugin = SmartAllocPlugin()
    app.add_plugins(plugin)
    app.add_systems(Update, lambda: None, lambda: None)
    app.update()  # the pool starts at the first dispatch
    alloc = plugin.resource.alloc  # type: ignore[union-attr]
    names = {s.thread_name for s in alloc.thread_states(retired=False)}
    workers = {f"framealloc-worker-{i}" for i in range(settings.worker_count)}
    assert len(workers) == 2
    assert workers <= names
    app.shutdown()
