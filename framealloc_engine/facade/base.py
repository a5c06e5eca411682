"""State every facade piece of ``SmartAlloc`` shares."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from framealloc_engine.allocators.arena import FrameArena
from framealloc_engine.allocators.pool import LocalPools

if TYPE_CHECKING:
    from collections.abc import Callable

    from framealloc_engine.allocators.heap import SystemHeap
    from framealloc_engine.allocators.slab import Block, SlabRegistry
    from framealloc_engine.config import AllocConfig
    from framealloc_engine.facade.observers import AllocObserver
    from framealloc_engine.global_state import Reservations
    from framealloc_engine.thread_state import ThreadState

__all__ = ["FacadeBase", "PerThread"]


class PerThread(threading.local):
    """The calling thread's state, created on the thread's first use of the allocator."""

    state: ThreadState
    arena: FrameArena
    pools: LocalPools

    def __init__(self, owner: FacadeBase) -> None:
        state = owner._register_thread()
        self.state = state
        self.arena = state.arena
        self.pools = state.pools


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
    def _register_thread(self) -> ThreadState:
        """Create and register the calling thread's state."""

    @abstractmethod
    def _note_peak(self) -> None:
        """Sample live bytes into the peak."""

    @property
    def _state(self) -> ThreadState:
        return self._tls.state
