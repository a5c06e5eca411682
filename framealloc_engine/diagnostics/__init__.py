"""Runtime diagnostics: FA codes, emitting, strict mode, hooks, behaviour filter, traces.

See the README's "Diagnostics" section. The names here are re-exported at the top level.
"""

from __future__ import annotations

from framealloc_engine.diagnostics.behavior import (
    BehaviorIssue,
    BehaviorReport,
    BehaviorThresholds,
    TagBehaviorStats,
)
from framealloc_engine.diagnostics.behavior_filter import BehaviorFilter
from framealloc_engine.diagnostics.codes import (
    CODES,
    DiagnosticCode,
    DiagnosticKind,
    all_codes,
    explain,
    get_code,
)
from framealloc_engine.diagnostics.context import (
    DiagContext,
    is_engine_context,
    set_context_allocator,
    set_engine_context,
)
from framealloc_engine.diagnostics.emit import (
    LOGGER_NAME,
    Diagnostic,
    fa_assert,
    fa_diagnostic,
    fa_emit,
    fa_emit_ctx,
)
from framealloc_engine.diagnostics.hooks import (
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
from framealloc_engine.diagnostics.profiler import (
    MemoryEvent,
    MemoryEventType,
    ProfilerHooks,
    profiler_zone,
)
from framealloc_engine.diagnostics.snapshots import REQUEST_FILE, SnapshotManager
from framealloc_engine.diagnostics.strict import (
    StrictMode,
    StrictModeGuard,
    StrictModeViolation,
    set_strict_mode,
    strict_mode,
)
from framealloc_engine.diagnostics.trace import TraceRecorder, TraceWriter

__all__ = [
    "CODES",
    "LOGGER_NAME",
    "REQUEST_FILE",
    "BehaviorFilter",
    "BehaviorIssue",
    "BehaviorReport",
    "BehaviorThresholds",
    "BudgetExceeded",
    "BudgetWarning",
    "DeferredFree",
    "DiagContext",
    "Diagnostic",
    "DiagnosticCode",
    "DiagnosticKind",
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
    "StrictMode",
    "StrictModeGuard",
    "StrictModeViolation",
    "TagBehaviorStats",
    "TraceRecorder",
    "TraceWriter",
    "all_codes",
    "explain",
    "fa_assert",
    "fa_diagnostic",
    "fa_emit",
    "fa_emit_ctx",
    "get_code",
    "is_engine_context",
    "profiler_zone",
    "set_context_allocator",
    "set_engine_context",
    "set_strict_mode",
    "strict_mode",
]
