"""DiagnosticsHooks events and graph data; ProfilerHooks events and zones."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from framealloc_engine import MIB, AllocConfig, SmartAlloc
from framealloc_engine.monitoring import (
    BudgetWarning,
    DeferredFree,
    DiagnosticsHooks,
    FrameBegin,
    FrameEnd,
    LargeAllocation,
    MemoryEvent,
    MemoryEventType,
    MemoryPressure,
    SlabRefill,
    profiler_zone,
)


def test_frame_events_refills_and_large_allocations() -> None:
    alloc = SmartAlloc(AllocConfig.minimal())
    hooks = alloc.attach_diagnostics_hooks()
    events: list[object] = []
    hooks.add_listener(events.append)
    with alloc.frame_scope(), alloc.with_tag("assets"):
        alloc.frame_alloc(np.float32, 16)
        alloc.pool_free(alloc.pool_alloc(np.float32, 4))
        alloc.heap_free(alloc.heap_alloc(np.uint8, 2 * MIB))
    kinds = [type(e) for e in events]
    assert kinds[0] is FrameBegin
    assert FrameEnd in kinds
    assert (events[0].frame_number, events[0].thread_id) == (1, threading.get_ident())
    (large,) = [e for e in events if isinstance(e, LargeAllocation)]
    assert (large.size, large.kind, large.tag, large.frame_number) == (2 * MIB, "heap", "assets", 1)
    (refill,) = [e for e in events if isinstance(e, SlabRefill)]
    assert refill.count == 1
    (end,) = [e for e in events if isinstance(e, FrameEnd)]
    assert end.frame_number == 1
    assert end.allocations == 1
    assert end.frame_bytes >= 64
    assert end.duration_us > 0
    events.clear()
    with alloc.frame_scope():
        pass
    assert [type(e) for e in events] == [FrameBegin, FrameEnd]


def test_deferred_free_and_memory_pressure() -> None:
    alloc = SmartAlloc(AllocConfig.minimal().with_memory_limit(8 * MIB))
    hooks = alloc.attach_diagnostics_hooks(DiagnosticsHooks(pressure_ratio=0.25))
    events: list[object] = []
    hooks.add_listener(events.append)
    made: list[np.ndarray] = []
    worker = threading.Thread(target=lambda: made.append(alloc.pool_alloc(np.float32, 4)))
    worker.start()
    worker.join(timeout=10)
    with alloc.frame_scope():
        alloc.pool_free(made.pop())  # owned by the worker: deferred
        big = alloc.heap_alloc(np.uint8, 2 * MIB)
    assert DeferredFree(1, threading.get_ident()) in events
    (pressure,) = [e for e in events if isinstance(e, MemoryPressure)]
    assert pressure.limit == 8 * MIB
    assert pressure.current >= 2 * MIB
    alloc.heap_free(big)


def test_budget_events_are_forwarded_and_listeners_removed() -> None:
    hooks = DiagnosticsHooks()
    seen: list[object] = []
    listener = hooks.add_listener(seen.append)
    hooks.emit(BudgetWarning("ai", 900, 1000))
    hooks.remove_listener(listener)
    hooks.emit(BudgetWarning("ai", 950, 1000))
    assert seen == [BudgetWarning("ai", 900, 1000)]


def test_memory_graph_data_series_per_kind_tag_and_phase() -> None:
    alloc = SmartAlloc()
    hooks = alloc.attach_diagnostics_hooks(DiagnosticsHooks(history=8))
    kept = [alloc.pool_alloc(np.float32, 4)]
    for i in range(12):
        with alloc.frame_scope():
            with alloc.phase_scope("update"), alloc.with_tag("physics"):
                alloc.frame_alloc(np.float64, 8)  # 64 bytes
            if i % 2:
                with alloc.phase_scope("render"), alloc.with_tag("rendering"):
                    alloc.frame_alloc(np.uint8, 128)
    graph = hooks.get_memory_graph_data(5)
    assert graph.frames == [8, 9, 10, 11, 12]
    assert graph.by_tag["physics"] == [64] * 5
    assert graph.by_tag["rendering"] == [128, 0, 128, 0, 128]
    assert graph.by_phase == {"render": [128, 0, 128, 0, 128], "update": [64] * 5}
    assert graph.by_kind["pool"] == [16] * 5
    assert graph.by_kind["heap"] == [0] * 5
    assert graph.total == [f + p for f, p in zip(graph.by_kind["frame"], graph.by_kind["pool"],
                                                 strict=True)]
    assert len(hooks.history) == 8
    assert len(hooks.get_memory_graph_data(100).frames) == 8
    assert hooks.get_memory_graph_data(0).frames == []
    assert set(graph.as_dict()) == {"frames", "total", "by_kind", "by_tag", "by_phase"}
    alloc.detach_diagnostics_hooks()
    assert alloc.observers == ()
    alloc.pool_free(kept[0])


def test_diagnostics_hooks_accessor_attaches_once() -> None:
    alloc = SmartAlloc()
    hooks = alloc.diagnostics_hooks()
    assert alloc.diagnostics_hooks() is hooks
    assert alloc.observers == (hooks,)
    with pytest.raises(ValueError, match="history"):
        DiagnosticsHooks(history=0)


def test_profiler_hooks_report_alloc_free_frames_and_zones() -> None:
    alloc = SmartAlloc()
    hooks = alloc.attach_profiler_hooks()
    events: list[MemoryEvent] = []
    hooks.set_callback(events.append)
    with alloc.frame_scope(), alloc.with_tag("audio"):
        with profiler_zone("mix"):
            block = alloc.pool_alloc(np.float32, 4)
            alloc.pool_free(block)
        with hooks.zone("only-mine"):
            alloc.frame_alloc(np.uint8, 10)
    types = [e.type for e in events]
    assert types == [
        MemoryEventType.ZONE_BEGIN, MemoryEventType.ALLOC, MemoryEventType.FREE,
        MemoryEventType.ZONE_END, MemoryEventType.ZONE_BEGIN, MemoryEventType.ALLOC,
        MemoryEventType.ZONE_END, MemoryEventType.FRAME_MARK,
    ]
    alloc_event, free_event = events[1], events[2]
    assert alloc_event.address == free_event.address != 0
    assert (alloc_event.size, alloc_event.kind, alloc_event.tag) == (16, "pool", "audio")
    assert events[0].name == "mix"
    assert events[4].name == "only-mine"
    assert events[-1].frame_number == 1
    assert [e.timestamp_ns for e in events] == sorted(e.timestamp_ns for e in events)
    alloc.detach_profiler_hooks()
    events.clear()
    with profiler_zone("after-detach"), alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 10)
    assert events == []
    assert alloc.observers == ()
