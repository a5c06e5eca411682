"""Per-thread state: who has one, creating it on first use, retiring exited threads.

``PerThread`` is what a hot call reads: the calling thread's state and its bound allocation
methods, behind one ``threading.local`` that C-level ``attrgetter`` resolves.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from framealloc_engine.core.stats import KindCounts, ThreadStats
from framealloc_engine.core.thread_state import ThreadState

if TYPE_CHECKING:
    from framealloc_engine.allocators.arena import FrameArena
    from framealloc_engine.allocators.pool import LocalPools
    from framealloc_engine.allocators.slab import Block, SlabRegistry
    from framealloc_engine.config import AllocConfig
    from framealloc_engine.core.observers import ObservedPaths
    from framealloc_engine.core.reservations import Reservations

__all__ = ["PerThread", "RetiredTotals", "ThreadFront", "ThreadRegistry"]

#: Exited threads whose states stay listed (``thread_states()``); older ones are folded
#: into :class:`RetiredTotals`, so a program that starts a thread per task never grows.
RETIRED_KEPT = 64
_SUMMED = [
    f.name for f in dataclasses.fields(ThreadStats)
    if f.type in ("int", int) and f.name not in ("thread_id", "frame_number", "arena_capacity")
]  # fmt: skip


def _merge(totals: dict[str, KindCounts], key: str, counts: KindCounts) -> None:
    entry = totals.get(key)
    if entry is None:
        totals[key] = counts.copy()
    else:
        entry.add(counts)


class RetiredTotals:
    """What the exited threads no longer listed did: their counters summed, their tag and
    phase totals merged (their frames are over: nothing of theirs is in use)."""

    def __init__(self) -> None:
        self.threads = 0
        self.counters: dict[str, int] = dict.fromkeys(_SUMMED, 0)
        self.tag_totals: dict[str, KindCounts] = {}
        self.phase_totals: dict[str, KindCounts] = {}
        #: Pool bytes the folded threads allocated minus those they freed (frozen).
        self.pool_net = 0

    def fold(self, state: ThreadState) -> None:
        """Add an exited thread's counters."""
        snap = state.snapshot()
        self.threads += 1
        counters = self.counters
        for name in _SUMMED:
            counters[name] += getattr(snap, name)
        counters["frame_in_use"] = 0
        self.pool_net += snap.pool_bytes_allocated - snap.pool_bytes_freed
        # the state's totals include everything it allocated, its open segment too
        for totals, table in ((self.tag_totals, state.tag_totals),
                              (self.phase_totals, state.phase_totals)):  # fmt: skip
            for key, counts in table.items():
                _merge(totals, key, counts)

    def snapshot(self) -> ThreadStats:
        """The folded threads as one (dead) thread's statistics."""
        return ThreadStats(
            thread_id=0, thread_name=f"<{self.threads} exited threads>", alive=False,
            frame_number=0, frame_active=False, arena_capacity=0, **self.counters,
        )  # fmt: skip


#: Called with a retired thread's state and the ``(count, bytes)`` of the frame its exit
#: ended, so observers see that frame end.
RetireListener = Callable[[ThreadState, int, int], None]


class ThreadRegistry:
    """Every thread's state of one allocator, created on the thread's first use.

    Args:
        config: The allocator's configuration (arena size, debug mode).
        slabs: The slab registry the thread's pools refill from.
        pool_live: The allocator-wide table of live pool arrays.
        reservations: Charged for each thread's arena.
    """

    def __init__(
        self,
        config: AllocConfig,
        slabs: SlabRegistry,
        pool_live: dict[int, Block],
        reservations: Reservations,
    ) -> None:
        self._config = config
        self._slabs = slabs
        self._pool_live = pool_live
        self._reservations = reservations
        self._lock = threading.Lock()
        self._live: dict[int, ThreadState] = {}
        #: The most recently exited threads (at most RETIRED_KEPT), oldest first.
        self._retired: deque[ThreadState] = deque()
        #: Exited threads folded out of ``_retired``.
        self.folded = RetiredTotals()
        #: Pool bytes every retired thread allocated minus those it freed (frozen when it
        #: retires: the peak sampler adds it instead of walking dead threads).
        self.retired_pool_net = 0
        #: Called for a thread that exited mid-frame (observers end that frame).
        self.on_retire: RetireListener | None = None

    @property
    def lock(self) -> threading.Lock:
        """The registry's lock (features use it to create shared parts once)."""
        return self._lock

    def current(self) -> ThreadState:
        """The calling thread's state, created and registered on first use."""
        with self._lock:
            state = self._live.get(threading.get_ident())
            if state is not None and state.thread is threading.current_thread():
                return state
            self._retire_dead_locked()
            size = self._config.frame_arena_size
            self._reservations.reserve(size)
            try:
                state = ThreadState(size, self._slabs, self._pool_live, debug=self._config.debug)
            except BaseException:
                self._reservations.release(size)
                raise
            self._live[state.thread_id] = state
            return state

    def slot(self) -> tuple[ThreadState, FrameArena, LocalPools, Any]:
        """The calling thread's ``(state, arena, pools, native pool paths or None)``: what
        the native dispatch keeps per thread (registers the thread on first use)."""
        state = self.current()
        pools = state.pools
        return state, state.arena, pools, pools.paths

    def registered(self) -> ThreadState | None:
        """The calling thread's state if it has one (never creates it)."""
        state = self._live.get(threading.get_ident())
        if state is not None and state.thread is threading.current_thread():
            return state
        return None

    def states(self, *, retired: bool = True) -> list[ThreadState]:
        """Every registered thread's state (and, with ``retired``, exited threads')."""
        with self._lock:
            if retired:
                return [*self._live.values(), *self._retired]
            return list(self._live.values())

    def reclaim_dead(self) -> int:
        """Retire the states of threads that have exited; returns how many."""
        with self._lock:
            return self._retire_dead_locked()

    def _retire_dead_locked(self) -> int:
        dead = [s for s in self._live.values() if not s.thread.is_alive()]
        for state in dead:
            del self._live[state.thread_id]
            ended = state.retire()
            if ended is not None and self.on_retire is not None:
                self.on_retire(state, *ended)
            self._reservations.release(state.arena.capacity)
            state.arena.release()
            pools = state.pools
            self.retired_pool_net += pools.allocated_bytes() - pools.freed_bytes()
            self._retired.append(state)
            while len(self._retired) > RETIRED_KEPT:
                self.folded.fold(self._retired.popleft())
        return len(dead)


class ThreadFront(Protocol):
    """What the allocator reads per thread: the pure :class:`PerThread` or the native
    extension's ``NativeFront`` (same attributes, resolved for the calling thread)."""

    @property
    def state(self) -> ThreadState:
        """The calling thread's state."""

    @property
    def arena(self) -> FrameArena:
        """The calling thread's frame arena."""

    @property
    def pools(self) -> LocalPools:
        """The calling thread's pools."""

    def frame_alloc(self, dtype: Any, shape: Any = ()) -> Any:
        """The calling thread's frame allocation."""

    def try_frame_alloc(self, dtype: Any, shape: Any = ()) -> Any:
        """The calling thread's frame allocation, None when full."""

    def pool_alloc(self, dtype: Any, shape: Any = ()) -> Any:
        """The calling thread's pool allocation."""

    def pool_free(self, array: Any) -> int:
        """A pool free from the calling thread."""


class PerThread(threading.local):
    """The calling thread's state and its hot allocation entry points.

    ``SmartAlloc.frame_alloc`` and friends are properties that fetch the bound method stored
    here (with C-level ``attrgetter``), so a call costs one Python frame. Observed mode stores
    the observer-calling paths instead; the allocator swaps in a new ``PerThread`` when the
    first observer is added or the last removed.
    """

    state: ThreadState
    arena: FrameArena
    pools: LocalPools
    frame_alloc: Callable[..., Any]
    try_frame_alloc: Callable[..., Any]
    pool_alloc: Callable[..., Any]
    pool_free: Callable[..., Any]

    def __init__(self, registry: ThreadRegistry, observed: ObservedPaths | None = None) -> None:
        state = registry.current()
        self.state = state
        self.arena = arena = state.arena
        self.pools = pools = state.pools
        if observed is not None:
            self.frame_alloc = observed.frame_alloc
            self.try_frame_alloc = observed.try_frame_alloc
            self.pool_alloc = observed.pool_alloc
            self.pool_free = observed.pool_free
        else:
            self.frame_alloc = arena.alloc
            self.try_frame_alloc = arena.try_alloc
            self.pool_alloc = pools.hot_alloc
            self.pool_free = pools.hot_free
