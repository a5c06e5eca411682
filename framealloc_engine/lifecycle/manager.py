"""Frame lifecycle events (v0.6): opt-in observability of frames, allocations and transfers.

Enable it on an allocator, register callbacks, read per-thread statistics::

    alloc.enable_lifecycle_tracking()

    @alloc.on_frame_event
    def show(event: FrameEvent) -> None:
        match event:
            case FrameEnd(duration_us=us, peak_memory=peak):
                print(f"frame took {us:.0f} us, peak {peak} bytes")
            case CrossThreadFreeQueued(thread_id=src, to_thread=dst, size=n):
                print(f"cross-thread free {src} -> {dst}: {n} bytes")

    stats = alloc.thread_frame_stats()          # calling thread; or pass a thread id

Disabled (the default) it costs nothing per allocation: the manager is an allocation
observer and is only installed while tracking is on. Callbacks run on the thread where the
event happened. A callback that raises does not interrupt the allocator: the exception is
logged on the ``"framealloc"`` logger and counted in :attr:`LifecycleManager.callback_errors`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from framealloc_engine.lifecycle.events import (
    Alloc,
    BudgetExceeded,
    CrossThreadFreeQueued,
    DeferredOverflow,
    DeferredProcessed,
    FrameBegin,
    FrameEnd,
    FrameEvent,
    FrameEventCallback,
    Free,
    MemoryPressure,
    TransferCompleted,
    TransferInitiated,
)

if TYPE_CHECKING:
    import numpy as np

    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["LifecycleManager", "ThreadFrameStats"]

_log = logging.getLogger("framealloc")
_perf = time.perf_counter
_get_ident = threading.get_ident


@dataclass(frozen=True, slots=True)
class ThreadFrameStats:
    """Lifecycle statistics of one thread since tracking was enabled.

    Attributes:
        thread_id: The thread.
        frames_started: ``begin_frame`` calls seen.
        frames_completed: ``end_frame`` calls seen.
        current_frame: The thread's latest frame number.
        total_duration_us: Sum of completed frames' durations.
        max_duration_us: The longest completed frame.
        last_duration_us: The latest completed frame.
        peak_memory: The most arena bytes any of its frames used.
        allocations: Allocations observed (every kind).
        bytes_allocated: Bytes of those allocations.
        frees: Pool and heap frees made on this thread.
        cross_thread_frees: Frees it queued for other threads.
        deferred_processed: Queued frees it applied.
        deferred_overflows: Frees it moved to another thread's overflow list.
        transfers_sent: Transfers it initiated.
        transfers_received: Transfers it received.
        memory_pressure_events: Thread-budget warnings.
        budget_exceeded_events: Thread-budget overruns.
    """

    thread_id: int
    frames_started: int
    frames_completed: int
    current_frame: int
    total_duration_us: float
    max_duration_us: float
    last_duration_us: float
    peak_memory: int
    allocations: int
    bytes_allocated: int
    frees: int
    cross_thread_frees: int
    deferred_processed: int
    deferred_overflows: int
    transfers_sent: int
    transfers_received: int
    memory_pressure_events: int
    budget_exceeded_events: int

    @property
    def avg_duration_us(self) -> float:
        """Mean duration of completed frames (0.0 before the first)."""
        if not self.frames_completed:
            return 0.0
        return self.total_duration_us / self.frames_completed


@dataclass(slots=True)
class _Counters:
    """Mutable per-thread counters; only the thread itself updates its entry."""

    thread_id: int
    frames_started: int = 0
    frames_completed: int = 0
    current_frame: int = 0
    total_duration_us: float = 0.0
    max_duration_us: float = 0.0
    last_duration_us: float = 0.0
    frame_start: float = 0.0
    frame_peak: int = 0
    peak_memory: int = 0
    allocations: int = 0
    bytes_allocated: int = 0
    frees: int = 0
    cross_thread_frees: int = 0
    deferred_processed: int = 0
    deferred_overflows: int = 0
    transfers_sent: int = 0
    transfers_received: int = 0
    memory_pressure_events: int = 0
    budget_exceeded_events: int = 0

    def snapshot(self) -> ThreadFrameStats:
        return ThreadFrameStats(**{name: getattr(self, name) for name in _STATS_FIELDS})


#: The counters a :class:`ThreadFrameStats` snapshot copies.
_STATS_FIELDS = tuple(f.name for f in fields(ThreadFrameStats))


class LifecycleManager:
    """Collects frame lifecycle statistics and delivers :class:`FrameEvent` s to callbacks.

    It is an allocation observer (frame begin/end, allocations, frees), a deferred-free
    listener (cross-thread frees, drains, overflow) and the sink of transfer and
    thread-budget events. ``SmartAlloc.enable_lifecycle_tracking()`` wires it up.

    Args:
        per_allocation: Deliver :class:`Alloc`/:class:`Free` events (statistics are kept
            either way). Turn off to keep frame-level events only.
    """

    def __init__(self, *, per_allocation: bool = True) -> None:
        self.per_allocation = per_allocation
        self._callbacks: list[FrameEventCallback] = []
        self._lock = threading.Lock()
        #: Counters per thread, keyed by the ``Thread`` object: the OS reuses thread ids,
        #: so two threads that ran one after the other never share counters.
        self._threads: dict[threading.Thread | int, _Counters] = {}
        #: The most recent counters of each OS thread id (what an int id refers to).
        self._latest: dict[int, _Counters] = {}
        self.callback_errors = 0

    # --- callbacks --------------------------------------------------------------------------

    def on_event(self, callback: FrameEventCallback) -> FrameEventCallback:
        """Register ``callback`` (returned, so this works as a decorator)."""
        if not callable(callback):
            raise TypeError(f"frame event callback must be callable, got {callback!r}")
        with self._lock:
            self._callbacks = [*self._callbacks, callback]
        return callback

    def remove_callback(self, callback: FrameEventCallback) -> bool:
        """Unregister ``callback``; returns whether it was registered."""
        with self._lock:
            if callback not in self._callbacks:
                return False
            self._callbacks = [c for c in self._callbacks if c != callback]
            return True

    def emit(self, event: FrameEvent) -> None:
        """Deliver ``event`` to every callback (exceptions are logged and counted)."""
        for callback in self._callbacks:
            try:
                callback(event)
            except Exception:
                self.callback_errors += 1
                _log.exception("frame event callback %r raised on %r", callback, event)

    # --- statistics -------------------------------------------------------------------------

    #: Dead threads' counters kept (the oldest are dropped past this).
    MAX_DEAD_THREADS = 1024

    def _counters_of(self, thread: threading.Thread, thread_id: int) -> _Counters:
        counters = self._threads.get(thread)
        if counters is None:
            with self._lock:
                counters = self._threads.get(thread)
                if counters is None:
                    counters = self._threads[thread] = _Counters(thread_id)
                    self._latest[thread_id] = counters
                    self._trim_locked()
        return counters

    def _trim_locked(self) -> None:
        if len(self._threads) <= self.MAX_DEAD_THREADS * 2:
            return
        dead = [
            key for key in self._threads
            if isinstance(key, int) or not key.is_alive()
        ]  # fmt: skip
        for key in dead[: len(dead) - self.MAX_DEAD_THREADS]:
            counters = self._threads.pop(key)
            if self._latest.get(counters.thread_id) is counters:
                del self._latest[counters.thread_id]

    def _counters(self, thread_id: int) -> _Counters:
        """Counters for an OS thread id: the calling thread's own when it is that thread,
        else the latest thread seen with that id."""
        if thread_id == _get_ident():
            return self._counters_of(threading.current_thread(), thread_id)
        counters = self._latest.get(thread_id)
        if counters is None:
            with self._lock:
                counters = self._latest.get(thread_id)
                if counters is None:
                    counters = self._threads[thread_id] = _Counters(thread_id)
                    self._latest[thread_id] = counters
        return counters

    def thread_stats(self, thread: int | threading.Thread) -> ThreadFrameStats | None:
        """Statistics of ``thread`` (a ``Thread``, or an OS thread id: the latest thread
        seen with that id), or ``None`` if tracking never saw it."""
        if isinstance(thread, threading.Thread):
            counters = self._threads.get(thread)
        else:
            counters = self._latest.get(thread)
        return None if counters is None else counters.snapshot()

    def all_thread_stats(self) -> list[ThreadFrameStats]:
        """Statistics of every thread seen (the oldest dead ones past
        :attr:`MAX_DEAD_THREADS` are dropped), in the order they were first seen. Two
        threads that had the same OS id are two entries."""
        with self._lock:
            counters = list(self._threads.values())
        return [c.snapshot() for c in counters]

    # --- allocation observer ----------------------------------------------------------------

    def before_alloc(self, state: ThreadState, kind: str, nbytes: int) -> None:
        """Lifecycle tracking never refuses an allocation."""

    def after_alloc(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Count the allocation; emit :class:`Alloc` when per-allocation events are on."""
        counters = self._counters_of(state.thread, state.thread_id)
        counters.allocations += 1
        counters.bytes_allocated += nbytes
        if kind == "frame":
            offset = state.arena.offset
            if offset > counters.frame_peak:
                counters.frame_peak = offset
        if self.per_allocation and self._callbacks:
            self.emit(Alloc(state.thread_id, kind, nbytes, state.tag_path, state.frame_number))

    def after_free(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Count the free; emit :class:`Free` when per-allocation events are on."""
        self._counters_of(state.thread, state.thread_id).frees += 1
        if self.per_allocation and self._callbacks:
            self.emit(Free(state.thread_id, kind, nbytes))

    def on_frame_begin(self, state: ThreadState) -> None:
        """Start timing the frame and emit :class:`FrameBegin`."""
        counters = self._counters_of(state.thread, state.thread_id)
        counters.frames_started += 1
        counters.current_frame = state.frame_number
        counters.frame_peak = 0
        now = _perf()
        counters.frame_start = now
        if self._callbacks:
            self.emit(FrameBegin(state.thread_id, state.frame_number, now))

    def on_frame_end(self, state: ThreadState, count: int, nbytes: int) -> None:
        """Close the frame's timing and emit :class:`FrameEnd`."""
        counters = self._counters_of(state.thread, state.thread_id)
        # A frame begun before tracking was enabled is timed from its first observed point.
        start = counters.frame_start or _perf()
        duration = (_perf() - start) * 1e6
        counters.frame_start = 0.0
        peak = max(counters.frame_peak, nbytes)
        counters.frame_peak = 0
        counters.frames_completed += 1
        counters.current_frame = state.frame_number
        counters.total_duration_us += duration
        counters.last_duration_us = duration
        if duration > counters.max_duration_us:
            counters.max_duration_us = duration
        if peak > counters.peak_memory:
            counters.peak_memory = peak
        if self._callbacks:
            self.emit(FrameEnd(state.thread_id, state.frame_number, duration, count, nbytes, peak))

    # --- deferred-free listener -------------------------------------------------------------

    def cross_thread_free_queued(self, from_thread: int, to_thread: int, size: int) -> None:
        """Count and report a free queued for another thread."""
        self._counters(from_thread).cross_thread_frees += 1
        if self._callbacks:
            self.emit(CrossThreadFreeQueued(from_thread, to_thread, size))

    def deferred_processed(self, thread_id: int, count: int, nbytes: int) -> None:
        """Count and report queued frees applied by their owner."""
        self._counters(thread_id).deferred_processed += count
        if self._callbacks:
            self.emit(DeferredProcessed(thread_id, count, nbytes))

    def deferred_overflow(
        self, owner_thread: int, from_thread: int, moved: int, pending: int
    ) -> None:
        """Count and report frees moved to an overflow list."""
        self._counters(from_thread).deferred_overflows += moved
        if self._callbacks:
            self.emit(DeferredOverflow(from_thread, owner_thread, pending))

    # --- transfers and thread budgets -------------------------------------------------------

    def transfer_initiated(self, transfer_id: int, size: int) -> None:
        """Count and report a transfer created on the calling thread."""
        tid = _get_ident()
        self._counters(tid).transfers_sent += 1
        if self._callbacks:
            self.emit(TransferInitiated(tid, transfer_id, size))

    def transfer_completed(self, transfer_id: int, from_thread: int, size: int) -> None:
        """Count and report a transfer received on the calling thread."""
        tid = _get_ident()
        self._counters(tid).transfers_received += 1
        if self._callbacks:
            self.emit(TransferCompleted(tid, transfer_id, from_thread, size))

    def memory_pressure(self, thread_id: int, kind: str, used: int, budget: int) -> None:
        """Count and report a thread-budget warning."""
        self._counters(thread_id).memory_pressure_events += 1
        if self._callbacks:
            self.emit(MemoryPressure(thread_id, kind, used, budget))

    def budget_exceeded(
        self, thread_id: int, kind: str, requested: int, available: int, budget: int, policy: str
    ) -> None:
        """Count and report a thread-budget overrun."""
        self._counters(thread_id).budget_exceeded_events += 1
        if self._callbacks:
            self.emit(BudgetExceeded(thread_id, kind, requested, available, budget, policy))
