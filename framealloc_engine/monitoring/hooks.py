"""Diagnostics UI hooks: events for debug overlays and a memory history ready to plot.

Example::

    hooks = alloc.attach_diagnostics_hooks()
    hooks.add_listener(lambda e: print(e) if isinstance(e, MemoryPressure) else None)
    ...
    graph = hooks.get_memory_graph_data(100)   # per-frame series: total, per kind/tag/phase

Attaching installs an allocation observer (large-allocation detection needs to see every
allocation); everything else happens once per frame end.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from framealloc_engine.core.tags import UNTAGGED
from framealloc_engine.lifecycle.events import FrameBegin, FrameEnd

if TYPE_CHECKING:
    import numpy as np

    from framealloc_engine.budgets.tag_budgets import BudgetEvent, BudgetManager
    from framealloc_engine.core.allocator import AllocatorCore
    from framealloc_engine.core.thread_state import ThreadState

__all__ = [
    "BudgetExceeded",
    "BudgetWarning",
    "DeferredFree",
    "DiagnosticsEvent",
    "DiagnosticsHooks",
    "FrameBegin",
    "FrameEnd",
    "LargeAllocation",
    "MemoryGraphData",
    "MemoryPressure",
    "MemorySnapshot",
    "SlabRefill",
]


@dataclass(frozen=True, slots=True)
class LargeAllocation:
    """An allocation of at least the hooks' ``large_allocation_threshold`` bytes."""

    size: int
    kind: str
    tag: str
    frame_number: int
    thread_id: int


@dataclass(frozen=True, slots=True)
class MemoryPressure:
    """Reserved memory reached ``pressure_ratio`` of the global limit."""

    current: int
    limit: int


@dataclass(frozen=True, slots=True)
class SlabRefill:
    """A thread refilled its pools from the slab registry ``count`` times this frame."""

    count: int
    thread_id: int


@dataclass(frozen=True, slots=True)
class DeferredFree:
    """A thread queued ``count`` frees to other threads this frame."""

    count: int
    thread_id: int


@dataclass(frozen=True, slots=True)
class BudgetWarning:
    """A tag passed its soft budget (reported by the budget manager via :meth:`emit`)."""

    tag: str
    current: int
    limit: int


@dataclass(frozen=True, slots=True)
class BudgetExceeded:
    """A tag's allocation was refused by its hard budget (reported via :meth:`emit`)."""

    tag: str
    current: int
    limit: int


DiagnosticsEvent = Union[  # noqa: UP007 - a runtime alias, usable in isinstance()
    FrameBegin,
    FrameEnd,
    LargeAllocation,
    MemoryPressure,
    SlabRefill,
    DeferredFree,
    BudgetWarning,
    BudgetExceeded,
]


@dataclass(frozen=True, slots=True)
class MemorySnapshot:
    """Memory at one frame end (one entry of the history).

    Attributes:
        frame_number: The frame that ended.
        thread_id: The thread that ended it.
        total: Live bytes, every kind and thread.
        frame_bytes: Frame-arena bytes this frame used on that thread.
        pool_bytes: Live pool bytes (every thread).
        heap_bytes: Live heap bytes.
        by_tag: Bytes allocated this frame per tag path (``""`` untagged).
        by_phase: Bytes allocated this frame per phase path.
    """

    frame_number: int
    thread_id: int
    total: int
    frame_bytes: int
    pool_bytes: int
    heap_bytes: int
    by_tag: dict[str, int] = field(default_factory=dict)
    by_phase: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MemoryGraphData:
    """Per-frame series for plotting, all lists of equal length (one item per frame).

    A tag or phase absent from a frame has 0 there.
    """

    frames: list[int]
    total: list[int]
    by_kind: dict[str, list[int]]
    by_tag: dict[str, list[int]]
    by_phase: dict[str, list[int]]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "frames": list(self.frames),
            "total": list(self.total),
            "by_kind": {k: list(v) for k, v in self.by_kind.items()},
            "by_tag": {k: list(v) for k, v in self.by_tag.items()},
            "by_phase": {k: list(v) for k, v in self.by_phase.items()},
        }


Listener = Callable[[Any], None]


class DiagnosticsHooks:
    """Event listeners plus a bounded snapshot history.

    Args:
        history: Frame snapshots kept (oldest dropped first).
        large_allocation_threshold: Bytes from which an allocation emits
            :class:`LargeAllocation`.
        pressure_ratio: Share of ``AllocConfig.global_memory_limit`` reserved from which
            :class:`MemoryPressure` is emitted at frame end (no limit: never).
    """

    def __init__(
        self,
        history: int = 600,
        *,
        large_allocation_threshold: int = 1 << 20,
        pressure_ratio: float = 0.9,
    ) -> None:
        if history < 1:
            raise ValueError(f"history must be at least 1, got {history}")
        self.large_allocation_threshold = large_allocation_threshold
        self.pressure_ratio = pressure_ratio
        self._listeners: list[Listener] = []
        self._history: deque[MemorySnapshot] = deque(maxlen=history)
        self._alloc: AllocatorCore | None = None
        self._budgets: BudgetManager | None = None
        self._begun: dict[int, float] = {}
        self._counters: dict[int, tuple[int, int]] = {}
        self._lock = threading.Lock()

    # --- listeners --------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> Listener:
        """Call ``listener(event)`` for every event; returns it (for :meth:`remove_listener`).

        A listener that raises propagates to the allocator call that emitted the event.
        """
        self._listeners = [*self._listeners, listener]
        return listener

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        self._listeners = [x for x in self._listeners if x is not listener]

    def emit(self, event: object) -> None:
        """Send ``event`` to every listener (budget code reports its events here)."""
        for listener in self._listeners:
            listener(event)

    # --- history ----------------------------------------------------------------------------

    @property
    def history(self) -> list[MemorySnapshot]:
        """Snapshots kept, oldest first."""
        with self._lock:
            return list(self._history)

    def clear_history(self) -> None:
        """Drop every snapshot."""
        with self._lock:
            self._history.clear()

    def get_memory_graph_data(
        self, n_frames: int, thread_id: int | None = None
    ) -> MemoryGraphData:
        """Series of the last ``n_frames`` snapshots (of one thread when given)."""
        snaps = [s for s in self.history if thread_id is None or s.thread_id == thread_id]
        snaps = snaps[-n_frames:] if n_frames > 0 else []
        tags = sorted({t for s in snaps for t in s.by_tag})
        phases = sorted({p for s in snaps for p in s.by_phase})
        return MemoryGraphData(
            frames=[s.frame_number for s in snaps],
            total=[s.total for s in snaps],
            by_kind={
                "frame": [s.frame_bytes for s in snaps],
                "pool": [s.pool_bytes for s in snaps],
                "heap": [s.heap_bytes for s in snaps],
            },
            by_tag={t: [s.by_tag.get(t, 0) for s in snaps] for t in tags},
            by_phase={p: [s.by_phase.get(p, 0) for s in snaps] for p in phases},
        )

    # --- attachment -------------------------------------------------------------------------

    def attach(self, alloc: AllocatorCore, budgets: BudgetManager | None = None) -> None:
        """Start observing ``alloc`` (``alloc.attach_diagnostics_hooks`` calls this).

        With a budget manager (``AllocConfig().with_budgets(True)``, or ``alloc.budgets()``
        called before attaching), its soft-limit events arrive as :class:`BudgetWarning` and
        its refusals as :class:`BudgetExceeded`.
        """
        self._alloc = alloc
        alloc.add_observer(self)
        manager = budgets
        if manager is not None:
            manager.on_event(self._on_budget_event)
            self._budgets = manager

    def detach(self) -> None:
        """Stop observing."""
        if self._budgets is not None:
            self._budgets.remove_callback(self._on_budget_event)
            self._budgets = None
        if self._alloc is not None:
            self._alloc.remove_observer(self)
            self._alloc = None

    def _on_budget_event(self, event: BudgetEvent) -> None:
        kind = event.kind.name
        if kind == "SOFT_LIMIT_EXCEEDED":
            self.emit(BudgetWarning(event.tag, event.current, event.limit))
        elif kind in ("HARD_LIMIT_EXCEEDED", "GLOBAL_LIMIT_EXCEEDED"):
            self.emit(BudgetExceeded(event.tag, event.current, event.limit))

    # --- AllocObserver ----------------------------------------------------------------------

    def before_alloc(self, state: ThreadState, kind: str, nbytes: int) -> None:
        """Nothing to check before an allocation."""

    def after_alloc(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Emit :class:`LargeAllocation` for big requests."""
        if nbytes >= self.large_allocation_threshold and self._listeners:
            self.emit(
                LargeAllocation(nbytes, kind, state.tag_path, state.frame_number, state.thread_id)
            )

    def after_free(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Frees emit nothing (deferred frees are summed per frame)."""

    def on_frame_begin(self, state: ThreadState) -> None:
        """Emit :class:`FrameBegin`."""
        self._begun[state.thread_id] = began = time.perf_counter()
        pools = state.pools
        self._counters.setdefault(state.thread_id, (pools.refills, pools.deferred_sent))
        if self._listeners:
            self.emit(FrameBegin(state.thread_id, state.frame_number, began))

    def on_frame_end(self, state: ThreadState, count: int, nbytes: int) -> None:
        """Record a snapshot; emit frame-end, refill, deferred-free and pressure events."""
        tid = state.thread_id
        began = self._begun.pop(tid, None)
        duration = (time.perf_counter() - began) * 1e6 if began is not None else 0.0
        alloc = self._alloc
        stats = alloc.stats() if alloc is not None else None
        pool = stats.pool_allocated if stats is not None else 0
        heap = stats.heap_allocated if stats is not None else 0
        snap = MemorySnapshot(
            frame_number=state.frame_number,
            thread_id=tid,
            total=(stats.total_allocated if stats is not None else 0) + nbytes,
            frame_bytes=nbytes,
            pool_bytes=pool,
            heap_bytes=heap,
            by_tag={t or UNTAGGED: c.bytes for t, c in state.last_frame_by_tag.items()},
            by_phase={p: c.bytes for p, c in state.last_frame_by_phase.items()},
        )
        with self._lock:
            self._history.append(snap)
        pools = state.pools
        refills, sent = pools.refills, pools.deferred_sent
        before = self._counters.get(tid, (refills, sent))
        self._counters[tid] = (refills, sent)
        if not self._listeners:
            return
        # The arena is read at the frame end: its bytes then are the frame's peak for the
        # hooks (a rollback may have lowered them; lifecycle tracking follows every alloc).
        self.emit(FrameEnd(tid, state.frame_number, duration, count, nbytes, nbytes))
        if refills > before[0]:
            self.emit(SlabRefill(refills - before[0], tid))
        if sent > before[1]:
            self.emit(DeferredFree(sent - before[1], tid))
        if alloc is not None and stats is not None:
            limit = alloc.config.global_memory_limit
            if limit and stats.reserved_bytes >= self.pressure_ratio * limit:
                self.emit(MemoryPressure(stats.reserved_bytes, limit))
