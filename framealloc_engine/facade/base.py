"""State every facade piece of ``SmartAlloc`` shares."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from framealloc_engine.allocators.arena import FrameArena
from framealloc_engine.allocators.pool import LocalPools

if TYPE_CHECKING:
    from framealloc_engine.allocators.heap import SystemHeap
    from framealloc_engine.allocators.slab import Block, SlabRegistry
    from framealloc_engine.config import AllocConfig
    from framealloc_engine.facade.observers import AllocObserver
    from framealloc_engine.global_state import Reservations
    from framealloc_engine.thread_state import ThreadState

__all__ = ["FacadeBase", "PerThread"]


class PerThread(threading.local):
    """The calling thread's state and its hot allocation entry points.

    ``SmartAlloc.frame_alloc`` and friends are properties that fetch the bound method stored
    here (with C-level ``attrgetter``), so a call costs one Python frame. Observed mode stores
    the observer-calling wrappers instead; ``SmartAlloc`` swaps in a new ``PerThread`` when
    the first observer is added or the last removed.
    """

    state: ThreadState
    arena: FrameArena
    pools: LocalPools
    frame_alloc: Callable[..., Any]
    try_frame_alloc: Callable[..., Any]
    pool_alloc: Callable[..., Any]
    pool_free: Callable[..., Any]

    def __init__(self, owner: FacadeBase, observed: bool = False) -> None:
        state = owner._thread_state()
        self.state = state
        self.arena = arena = state.arena
        self.pools = pools = state.pools
        if observed:
            self.frame_alloc = owner._observed_frame_alloc
            self.try_frame_alloc = owner._observed_try_frame_alloc
            self.pool_alloc = owner._observed_pool_alloc
            self.pool_free = owner._observed_pool_free
        else:
            self.frame_alloc = arena.alloc
            self.try_frame_alloc = arena.try_alloc
            self.pool_alloc = pools.alloc
            self.pool_free = pools.free


class FacadeBase(ABC):
    """Attributes set up by ``SmartAlloc.__init__`` and used by every facade piece."""

    config: AllocConfig
    _tls: PerThread
    _heap: SystemHeap
    _slabs: SlabRegistry
    _pool_live: dict[int, Block]
    _reservations: Reservations
    _threads_lock: threading.Lock
    _threads: dict[int, ThreadState]
    _retired: list[ThreadState]
    _peak_allocated: int
    #: Installed allocation observers (see ``facade.observers``); empty means none.
    _observers: list[AllocObserver]
    #: Called with the thread state just before a frame's memory is reset.
    _frame_end_hooks: list[Callable[[ThreadState], None]]

    @abstractmethod
    def _thread_state(self) -> ThreadState:
        """The calling thread's state, created and registered on first use."""

    @abstractmethod
    def _observed_frame_alloc(self, dtype: Any, shape: Any = ()) -> Any:
        """frame_alloc reporting to observers."""

    @abstractmethod
    def _observed_try_frame_alloc(self, dtype: Any, shape: Any = ()) -> Any:
        """try_frame_alloc reporting to observers."""

    @abstractmethod
    def _observed_pool_alloc(self, dtype: Any, shape: Any = ()) -> Any:
        """pool_alloc reporting to observers."""

    @abstractmethod
    def _observed_pool_free(self, array: Any) -> Any:
        """pool_free reporting to observers."""

    @abstractmethod
    def _observed_heap_alloc(self, dtype: Any, shape: Any = ()) -> Any:
        """heap_alloc reporting to observers."""

    @abstractmethod
    def _observed_heap_free(self, array: Any) -> None:
        """heap_free reporting to observers."""

    @abstractmethod
    def _note_peak(self) -> None:
        """Sample live bytes into the peak."""

    def _thread_states(self, *, retired: bool = True) -> list[ThreadState]:
        """Every registered thread's state (and, with ``retired``, exited threads')."""
        with self._threads_lock:
            if retired:
                return [*self._threads.values(), *self._retired]
            return list(self._threads.values())

    @property
    def _state(self) -> ThreadState:
        return self._tls.state
