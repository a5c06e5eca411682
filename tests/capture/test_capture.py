"""capture_numpy(): ordinary numpy code allocating from frame memory (NEP 49)."""

from __future__ import annotations

import gc
import logging
import threading
import tracemalloc

import numpy as np
import pytest
from numpy._core.multiarray import get_handler_name

from framealloc_engine import AllocConfig, OnLimit, SmartAlloc
from framealloc_engine.allocators import backend
from framealloc_engine.app import App, ExecutorSettings, ResMut, Update
from framealloc_engine.bridge import AllocResource, SmartAllocPlugin, capturing
from framealloc_engine.budgets.tag_budgets import BudgetEvent, BudgetEventKind
from framealloc_engine.errors import BackendUnavailableError

native_only = pytest.mark.skipif(not backend.NATIVE_AVAILABLE, reason="native core not loaded")
HANDLER = "framealloc_frame_capture"
N = 4096  # 32 KiB of float64: above the threshold


def _alloc(**config: object) -> SmartAlloc:
    return SmartAlloc(AllocConfig(**config))  # type: ignore[arg-type]


@pytest.mark.skipif(backend.NATIVE_AVAILABLE, reason="the native core is loaded here")
def test_the_pure_backend_says_the_extension_is_missing() -> None:
    alloc = _alloc()
    scope = alloc.capture_numpy()
    with pytest.raises(BackendUnavailableError, match="native extension") as info:
        scope.__enter__()
    assert info.value.code == "FA903"


@native_only
def test_numpy_temporaries_come_from_frame_memory_and_are_frame_allocations() -> None:
    alloc = _alloc()
    a, b = np.random.rand(N), np.random.rand(N)
    before = alloc.thread_stats().frame_allocations
    with alloc.frame_scope(), alloc.capture_numpy():
        assert get_handler_name() == HANDLER
        c = a * b + np.sin(a)
        assert get_handler_name(c) == HANDLER
        expected = a * b + np.sin(a)
        assert np.array_equal(c, expected)
        assert alloc.stats().frame_allocated >= c.nbytes
        del c, expected
    assert get_handler_name() != HANDLER  # put back on exit
    stats = alloc.numpy_capture_stats()
    assert stats.captured >= 4
    assert stats.live == 0
    assert stats.escapes == 0
    assert alloc.thread_stats().frame_allocations - before >= stats.captured
    assert alloc.stats().frame_allocated == 0


@native_only
def test_outside_a_frame_and_on_other_threads_numpy_keeps_its_allocator() -> None:
    alloc = _alloc()
    seen: list[str] = []
    with alloc.capture_numpy():
        outside = np.ones(N)
        assert alloc.numpy_capture_stats().captured == 0  # no frame: numpy's allocator
        with alloc.frame_scope():
            worker = threading.Thread(target=lambda: seen.append(get_handler_name(np.ones(N))))
            worker.start()
            worker.join(timeout=30)
            inside = np.ones(N)
            assert get_handler_name(inside) == HANDLER
            del inside
    assert seen == ["default_allocator"]
    assert get_handler_name(outside) == HANDLER  # its handler forwarded to numpy's
    assert alloc.numpy_capture_stats().fallbacks >= 1


@native_only
def test_arrays_kept_past_the_frame_keep_their_bytes_and_are_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    alloc = _alloc()
    flt = alloc.enable_behavior_filter()
    kept = []
    with caplog.at_level(logging.WARNING, logger="framealloc"):
        for frame in range(6):
            with alloc.frame_scope(capture_numpy=True):
                value = np.full(N, float(frame))
                if frame == 1:
                    kept.append(value)
                del value
    assert np.all(kept[0] == 1.0)  # five later frames of captured temporaries did not touch it
    assert alloc.numpy_capture_stats().escapes == 1
    assert alloc.stats().frame_escapes >= 1
    assert any("FA503" in r.getMessage() or "outlived" in r.getMessage() for r in caplog.records)
    assert "FA503" in {issue.code for issue in flt.report().issues}
    del kept
    gc.collect()
    assert alloc.numpy_capture_stats().live == 0


@native_only
def test_debug_mode_names_where_an_escaped_array_was_allocated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    alloc = _alloc(debug=True)
    kept = []
    with (
        caplog.at_level(logging.WARNING, logger="framealloc"),
        alloc.frame_scope(capture_numpy=True),
    ):
        kept.append(np.ones(N) * 2)  # this line
    (record,) = [r for r in caplog.records if "FA503" in r.getMessage()]
    text = record.getMessage()
    assert "allocated at " in text
    assert "test_capture.py" in text
    assert "kept.append(np.ones(N) * 2)  # this line" in text  # the traceback's source line
    del kept


@native_only
def test_calloc_realloc_and_zero_sizes_behave_as_numpy_expects() -> None:
    alloc = _alloc()
    with alloc.frame_scope(capture_numpy=True):
        dirty = np.empty(N)
        dirty[:] = 7.0
        del dirty  # its bytes go back (LIFO) and are handed out again below
        zeros = np.zeros(N)
        assert not zeros.any()
        grown = np.arange(N, dtype=np.float64)
        grown.resize(4 * N, refcheck=False)  # numpy reallocates
        assert np.array_equal(grown[:N], np.arange(N))
        assert not grown[N:].any()
        shrunk = np.arange(N, dtype=np.float64)
        shrunk.resize(N // 2, refcheck=False)
        assert np.array_equal(shrunk, np.arange(N // 2))
        empty = np.empty(0)
        assert empty.size == 0
        assert np.empty((0, 5)).shape == (0, 5)
        del zeros, grown, shrunk, empty
    assert alloc.numpy_capture_stats().live == 0


@native_only
def test_the_frame_limit_falls_back_or_raises_with_a_budget_event() -> None:
    alloc = _alloc(enable_budgets=True)
    events: list[BudgetEvent] = []
    alloc.budgets().on_event(events.append)
    # only the N-float arrays are captured (threshold), three of them fit the limit
    with alloc.frame_scope(), alloc.capture_numpy(frame_limit=3 * N * 8, threshold=N * 8):
        arrays = [np.ones(N) for _ in range(5)]  # two past the limit: numpy's allocator
        assert all(np.all(a == 1) for a in arrays)
        del arrays
    assert alloc.numpy_capture_stats().captured == 3
    stats = alloc.numpy_capture_stats()
    assert stats.over_limit >= 2
    assert stats.fallbacks >= 2
    assert [e.kind for e in events] == [BudgetEventKind.HARD_LIMIT_EXCEEDED]
    with alloc.frame_scope(), alloc.capture_numpy(on_limit=OnLimit.RAISE):
        keep = [np.ones(N) for _ in range(3)]
        with pytest.raises(MemoryError):
            np.ones(N)
        del keep
    scope = alloc.capture_numpy(on_limit="explode")
    with pytest.raises(ValueError, match="is not a valid OnLimit"):
        scope.__enter__()


@native_only
def test_the_global_memory_limit_refuses_chunks_and_numpy_still_works() -> None:
    config = AllocConfig.minimal()
    alloc = SmartAlloc(config.with_memory_limit(alloc_reserved(config) + 4096))
    with alloc.frame_scope(capture_numpy=True):
        big = np.ones(N) + 1  # no room for a 4 MiB chunk: numpy's allocator serves it
        assert np.all(big == 2)
        del big
    stats = alloc.numpy_capture_stats()
    assert stats.captured == 0
    assert stats.fallbacks >= 2
    assert stats.reserved == 0


def alloc_reserved(config: AllocConfig) -> int:
    probe = SmartAlloc(config)
    return probe.stats().reserved_bytes


@native_only
def test_small_requests_keep_numpys_allocator_below_the_threshold() -> None:
    alloc = _alloc()
    with alloc.frame_scope(), alloc.capture_numpy(threshold=1024):
        small = np.ones(16)  # 128 bytes
        large = np.ones(1024)
        assert alloc.numpy_capture_stats().captured == 1
        del small, large


@native_only
def test_scopes_nest_and_compose_with_another_handler() -> None:
    alloc = _alloc()
    with alloc.frame_scope():
        with alloc.capture_numpy():
            with alloc.capture_numpy():
                assert get_handler_name() == HANDLER
            assert get_handler_name() == HANDLER
        assert get_handler_name() == "default_allocator"


class Data:
    """A resource the systems below compute with."""

    def __init__(self) -> None:
        self.a = np.random.rand(N)
        self.handlers: list[str] = []


def physics(data: ResMut[Data]) -> None:
    data.value.handlers.append(get_handler_name(data.value.a * 2))


def plain(data: ResMut[Data]) -> None:
    data.value.handlers.append("plain:" + get_handler_name(data.value.a * 2))


@native_only
def test_the_plugin_captures_every_system_and_capturing_chosen_ones() -> None:
    for settings in (ExecutorSettings.single_threaded(), ExecutorSettings.multi_threaded(2)):
        app = App(executor=settings)
        app.add_plugins(SmartAllocPlugin(capture_numpy=True)).insert_resource(Data())
        app.add_systems(Update, physics)
        for _ in range(3):
            app.update()
        assert set(app.world.resource(Data).handlers) == {HANDLER}
        app.shutdown()

    app = App()
    app.add_plugins(SmartAllocPlugin()).insert_resource(Data())
    app.add_systems(Update, capturing(physics), plain)
    app.update()
    handlers = sorted(app.world.resource(Data).handlers)
    assert handlers == [HANDLER, "plain:default_allocator"]
    stats = app.world.resource(AllocResource).numpy_capture_stats()
    assert stats.captured >= 1
    app.shutdown()


@native_only
@pytest.mark.slow
def test_a_hundred_thousand_captured_frames_leave_nothing_behind() -> None:
    alloc = _alloc()
    a = np.random.rand(N)
    kept = [a * 0]  # an array kept across all frames keeps its value

    def frames(n: int) -> None:
        for _ in range(n):
            with alloc.frame_scope(capture_numpy=True):
                b = a * 2.0 + 1.0
                c = np.sqrt(b)
                del b, c

    frames(20_000)
    gc.collect()
    objects = len(gc.get_objects())
    with open("/proc/self/statm") as statm:
        rss = int(statm.read().split()[1])
    tracemalloc.start()
    try:
        traced = tracemalloc.get_traced_memory()[0]
        frames(100_000)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - traced
    finally:
        tracemalloc.stop()
    with open("/proc/self/statm") as statm:
        rss_growth = (int(statm.read().split()[1]) - rss) * 4096
    assert len(gc.get_objects()) - objects < 50
    assert growth < 64 * 1024
    assert rss_growth < 8 * 1024 * 1024
    assert not kept[0].any()
    assert alloc.numpy_capture_stats().live == 0


@native_only
def test_tags_phases_and_lifecycle_events_count_captured_allocations() -> None:
    alloc = _alloc()
    alloc.enable_lifecycle_tracking()
    events: list[object] = []
    alloc.on_frame_event(events.append)
    a = np.ones(N)
    with (
        alloc.frame_scope(),
        alloc.capture_numpy(),
        alloc.with_tag("physics"),
        alloc.phase_scope("update"),
    ):
        b = a * 2.0
        c = b + 1.0
        del b, c
    assert alloc.tag_stats()["physics"].frame_count == 2
    assert alloc.tag_stats()["physics"].frame_bytes == 2 * N * 8
    assert alloc.phase_stats()["update"].frame_count == 2
    end = events[-1]
    assert type(end).__name__ == "FrameEnd"
    assert end.allocations == 2  # type: ignore[attr-defined]
    assert end.frame_bytes == 2 * N * 8  # type: ignore[attr-defined]
