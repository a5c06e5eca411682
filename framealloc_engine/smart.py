"""``SmartAlloc``: the allocator object users hold, shared by every thread.

Example::

    alloc = SmartAlloc.with_defaults()
    with alloc.frame_scope():
        tmp = alloc.frame_alloc(np.float32, (1024, 3))

It owns the global state (slab registry, system heap, reservations, the live pool table) and
creates each thread's state (arena, pools, deferred queue, counters) on the thread's first
use. The methods live in small facade modules, one per concern.
"""

from __future__ import annotations

import threading

from framealloc_engine.allocators.heap import SystemHeap
from framealloc_engine.allocators.slab import Block, SlabRegistry
from framealloc_engine.config import AllocConfig
from framealloc_engine.facade.attribution import AttributionApi
from framealloc_engine.facade.base import PerThread
from framealloc_engine.facade.blocks import BlockApi
from framealloc_engine.facade.budgets import BudgetApi
from framealloc_engine.facade.checkpoints import CheckpointApi
from framealloc_engine.facade.deferred import DeferredApi
from framealloc_engine.facade.diagnostics import DiagnosticsApi
from framealloc_engine.facade.frame_collections import FrameCollectionsApi
from framealloc_engine.facade.frames import FrameApi
from framealloc_engine.facade.groups import GroupsApi
from framealloc_engine.facade.lifecycle import LifecycleApi
from framealloc_engine.facade.observers import ObserverApi
from framealloc_engine.facade.retention import RetentionApi
from framealloc_engine.facade.scale import ScaleApi
from framealloc_engine.facade.scratch import ScratchApi
from framealloc_engine.facade.thread_budgets import ThreadBudgetApi
from framealloc_engine.facade.transfer import TransferApi
from framealloc_engine.global_state import Reservations
from framealloc_engine.stats import AllocStats, ThreadStats
from framealloc_engine.thread_state import ThreadState

__all__ = ["SmartAlloc"]


class SmartAlloc(
    BudgetApi,
    ThreadBudgetApi,
    DeferredApi,
    TransferApi,
    LifecycleApi,
    ScaleApi,
    FrameApi,
    ObserverApi,
    BlockApi,
    AttributionApi,
    CheckpointApi,
    FrameCollectionsApi,
    GroupsApi,
    RetentionApi,
    ScratchApi,
    DiagnosticsApi,
):
    """The frame-aware allocator.

    Args:
        config: Allocator configuration; ``AllocConfig()`` when omitted.
    """

    def __init__(self, config: AllocConfig | None = None) -> None:
        self.config = config if config is not None else AllocConfig()
        cfg = self.config
        self._reservations = Reservations(cfg.global_memory_limit)
        self._slabs = SlabRegistry(
            cfg.size_classes, cfg.slab_page_size, cfg.slab_pages_per_class,
            self._reservations.reserve,
        )
        self._heap = SystemHeap(
            cfg.heap_region_size,
            self._reservations.reserve,
            self._reservations.release,
            debug=cfg.debug,
        )
        self._pool_live: dict[int, Block] = {}
        self._threads_lock = threading.Lock()
        self._threads: dict[int, ThreadState] = {}
        self._retired: list[ThreadState] = []
        self._peak_allocated = 0
        self._observers = []
        self._frame_end_hooks = []
        self._tls = PerThread(self)
        self._init_extensions()

    @classmethod
    def with_defaults(cls) -> SmartAlloc:
        """An allocator with ``AllocConfig()``."""
        return cls(AllocConfig())

    # --- threads ----------------------------------------------------------------------------

    def _thread_state(self) -> ThreadState:
        with self._threads_lock:
            state = self._threads.get(threading.get_ident())
            if state is not None and state.thread is threading.current_thread():
                return state
            self._retire_dead_locked()
            self._reservations.reserve(self.config.frame_arena_size)
            try:
                state = ThreadState(
                    self.config.frame_arena_size,
                    self._slabs,
                    self._pool_live,
                    debug=self.config.debug,
                )
            except BaseException:
                self._reservations.release(self.config.frame_arena_size)
                raise
            self._threads[state.thread_id] = state
            return state

    def _retire_dead_locked(self) -> int:
        dead = [s for s in self._threads.values() if not s.thread.is_alive()]
        for state in dead:
            del self._threads[state.thread_id]
            ended = state.retire()
            if ended is not None:
                # The thread died mid-frame: observers (budgets, lifecycle) see that frame end.
                for observer in self._observers:
                    observer.on_frame_end(state, *ended)
            self._reservations.release(state.arena.capacity)
            state.arena.release()
            self._retired.append(state)
        return len(dead)

    def reclaim_dead_threads(self) -> int:
        """Release the arenas and pool blocks of threads that have exited.

        Runs automatically when a new thread first uses the allocator. Returns how many
        thread states were retired.
        """
        with self._threads_lock:
            return self._retire_dead_locked()

    def process_deferred_frees(self, limit: int | None = None) -> int:
        """Apply up to ``limit`` frees other threads queued for the calling thread."""
        return self._tls.pools.process_deferred(limit)

    # --- statistics -------------------------------------------------------------------------

    def _live_bytes(self, states: list[ThreadState]) -> tuple[int, int]:
        frame = 0
        pool = 0
        for state in states:
            frame += state.arena.offset
            pools = state.pools
            pool += pools.allocated_bytes() - pools.freed_bytes()
        return frame, pool

    def _note_peak(self) -> None:
        frame, pool = self._live_bytes(self._thread_states())
        total = frame + pool + self._heap.live_bytes
        if total > self._peak_allocated:
            self._peak_allocated = total

    def thread_stats(self) -> ThreadStats:
        """Statistics of the calling thread."""
        return self._tls.state.snapshot()

    def stats(self) -> AllocStats:
        """Allocator-wide statistics (see :class:`~framealloc_engine.stats.AllocStats`)."""
        states = self._thread_states()
        snaps = [s.snapshot() for s in states]
        frame = sum(s.frame_in_use for s in snaps)
        pool = sum(s.pool_bytes_allocated - s.pool_bytes_freed for s in snaps)
        heap = sum(s.heap_bytes_allocated - s.heap_bytes_freed for s in snaps)
        total = frame + pool + heap
        self._peak_allocated = max(self._peak_allocated, total)
        return AllocStats(
            total_allocated=total,
            peak_allocated=self._peak_allocated,
            allocation_count=sum(s.allocation_count for s in snaps),
            deallocation_count=sum(s.deallocation_count for s in snaps),
            frame_allocated=frame,
            pool_allocated=pool,
            heap_allocated=heap,
            slab_refill_count=sum(s.slab_refills for s in snaps),
            deferred_free_count=sum(s.deferred_sent for s in snaps),
            deferred_pending=sum(s.deferred_pending for s in snaps),
            reserved_bytes=self._reservations.reserved,
            threads=tuple([s for s in snaps if s.alive]),  # no generator: no GC-tracked garbage
        )
