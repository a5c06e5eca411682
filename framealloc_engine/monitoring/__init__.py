"""Monitoring: diagnostics UI hooks and memory graphs (``hooks``), profiler hooks and zones
(``profiler``), Chrome trace export (``trace``), snapshots (``snapshots``), the ``info``
report, and the allocator's part of them (``feature``)."""

from __future__ import annotations

from framealloc_engine.monitoring.hooks import (
    BudgetExceeded,
    BudgetWarning,
    DeferredFree,
    DiagnosticsEvent,
    DiagnosticsHooks,
    FrameBegin,
    FrameEnd,
    LargeAllocation,
    MemoryGraphData,
    MemoryPressure,
    MemorySnapshot,
    SlabRefill,
)
from framealloc_engine.monitoring.profiler import (
    MemoryEvent,
    MemoryEventType,
    ProfilerHooks,
    profiler_zone,
)
from framealloc_engine.monitoring.snapshots import REQUEST_FILE, SnapshotManager
from framealloc_engine.monitoring.trace import TraceRecorder, TraceWriter

__all__ = [
    "REQUEST_FILE",
    "BudgetExceeded",
    "BudgetWarning",
    "DeferredFree",
    "DiagnosticsEvent",
    "DiagnosticsHooks",
    "FrameBegin",
    "FrameEnd",
    "LargeAllocation",
    "MemoryEvent",
    "MemoryEventType",
    "MemoryGraphData",
    "MemoryPressure",
    "MemorySnapshot",
    "ProfilerHooks",
    "SlabRefill",
    "SnapshotManager",
    "TraceRecorder",
    "TraceWriter",
    "profiler_zone",
]
