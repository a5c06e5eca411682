"""The allocator's part of budgets: installing the managers, per-thread configuration, and
the ``PROMOTE`` policy that serves over-budget requests from the heap.

Per-tag and global budgets are a :class:`BudgetManager` observer (see ``tag_budgets``);
per-thread budgets a :class:`ThreadBudgetManager` observer plus an allocation redirect for
``PROMOTE`` (see ``thread_budgets``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from framealloc_engine.allocators.layout import DTypeSpec, ShapeSpec, layout_of
from framealloc_engine.budgets.tag_budgets import BudgetManager
from framealloc_engine.budgets.thread_budgets import (
    FRAME,
    POOL,
    ThreadBudgetConfig,
    ThreadBudgetManager,
    ThreadBudgetStats,
)

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore
    from framealloc_engine.core.thread_state import ThreadState
    from framealloc_engine.lifecycle.feature import LifecycleFeature
    from framealloc_engine.lifecycle.manager import LifecycleManager

__all__ = ["BudgetsFeature"]


def _thread(thread: int | threading.Thread | None) -> threading.Thread | None:
    """The ``Thread`` meant: the calling one for ``None``, the live thread with that OS id
    for an int (``None`` if no live thread has it: the OS reuses ids, so a dead thread's id
    names nothing), the thread itself for a ``Thread`` (started or not)."""
    if thread is None:
        return threading.current_thread()
    if isinstance(thread, threading.Thread):
        return thread
    if isinstance(thread, bool) or not isinstance(thread, int):
        raise TypeError(f"thread_id must be an int or a threading.Thread, got {thread!r}")
    return next((t for t in threading.enumerate() if t.ident == thread), None)


class BudgetsFeature:
    """``budgets()``, ``set_thread_budget_config``, ``thread_budget_stats`` and budget-aware
    ``frame_remaining``.

    Args:
        core: The allocator whose allocations are budgeted.
        lifecycle: Told of budget overruns and memory pressure while tracking is on.
    """

    def __init__(self, core: AllocatorCore, lifecycle: LifecycleFeature) -> None:
        self._core = core
        self._manager: BudgetManager | None = None
        self._threads: ThreadBudgetManager | None = None
        self._lifecycle: LifecycleManager | None = None
        lifecycle.subscribe(self._set_lifecycle)
        if core.config.enable_budgets:
            self.budgets()

    def _set_lifecycle(self, manager: LifecycleManager | None) -> None:
        self._lifecycle = manager
        if self._threads is not None:
            self._threads.lifecycle = manager

    # --- tag and global budgets -------------------------------------------------------------

    def budgets(self) -> BudgetManager:
        """The budget manager, installed on first use.

        With ``AllocConfig().with_budgets(True)`` it is installed when the allocator is
        created, so every allocation is tracked; otherwise tracking starts at this call.
        """
        manager = self._manager
        if manager is None:
            reservations = self._core.reservations
            manager = self._manager = BudgetManager(
                self._core.config.global_memory_limit,
                reserved_bytes=lambda: reservations.reserved,
            )
            self._core.add_observer(manager)
        return manager

    @property
    def budget_manager(self) -> BudgetManager | None:
        """The budget manager if budgets are on, else ``None``."""
        return self._manager

    # --- per-thread budgets -----------------------------------------------------------------

    def set_thread_budget_config(
        self, thread_id: int | threading.Thread | None, config: ThreadBudgetConfig | None
    ) -> None:
        """Give a thread budgets (``None`` thread: the calling one; ``None`` config: remove).

        Args:
            thread_id: ``threading.get_ident()`` of the thread, or the ``Thread``.
            config: Its budgets and policies.
        """
        if config is not None and not isinstance(config, ThreadBudgetConfig):
            raise TypeError(f"config must be a ThreadBudgetConfig or None, got {config!r}")
        thread = _thread(thread_id)
        if thread is None:
            raise ValueError(
                f"no live thread has id {thread_id}: pass the threading.Thread (it may not "
                "have started yet), or call this on the thread itself"
            )
        manager = self._threads
        if manager is None:
            if config is None:
                return
            manager = self._threads = ThreadBudgetManager()
            manager.lifecycle = self._lifecycle
            self._core.add_frame_end_hook(self._free_promoted)
        manager.set_config(thread, config)
        core = self._core
        if not manager.idle:
            core.add_observer(manager)
            core.add_redirect(self)
        else:
            core.remove_observer(manager)
            core.remove_redirect(self)

    def thread_budget_config(
        self, thread_id: int | threading.Thread | None = None
    ) -> ThreadBudgetConfig | None:
        """A thread's budgets (default: the calling thread's), or ``None``."""
        manager = self._threads
        thread = _thread(thread_id)
        return None if manager is None or thread is None else manager.config(thread)

    def thread_budget_stats(self) -> ThreadBudgetStats | None:
        """The calling thread's budget usage, or ``None`` without budgets."""
        manager = self._threads
        if manager is None:
            return None
        return manager.stats(
            threading.current_thread(), self._core.current_state().arena.offset
        )

    @property
    def thread_budgets(self) -> ThreadBudgetManager | None:
        """The per-thread budget manager once a thread got budgets, else ``None``."""
        return self._threads

    def frame_remaining(self) -> int:
        """Bytes this thread may still frame-allocate this frame: the arena's room, capped by
        the thread's frame budget when it has one."""
        arena = self._core.current_state().arena
        room = arena.capacity - arena.offset
        manager = self._threads
        if manager is not None:
            budget_room = manager.frame_room(threading.current_thread(), arena.offset)
            if budget_room is not None and budget_room < room:
                return budget_room
        return room

    # --- PROMOTE: an allocation redirect ----------------------------------------------------

    def redirect_alloc(
        self, state: ThreadState, kind: str, dtype: DTypeSpec, shape: ShapeSpec
    ) -> np.ndarray | None:
        """Serve an over-budget ``PROMOTE`` request from the heap (else ``None``)."""
        manager = self._threads
        if manager is None or kind not in (FRAME, POOL) or manager.config(state.thread) is None:
            return None
        if kind == FRAME and not state.arena.active:
            return None  # the plain path raises FA001
        nbytes = layout_of(dtype, shape).nbytes
        if not manager.should_promote(state, kind, nbytes):
            return None
        array = self._core.heap_alloc(dtype, shape)
        if kind == FRAME:
            manager.note_promoted_frame(state, array)  # freed at the thread's frame end
        else:
            manager.note_promoted_pool(array)  # freed by pool_free like a pool array
        return array

    def redirect_free(self, state: ThreadState, kind: str, array: np.ndarray) -> int | None:
        """``pool_free`` of a promoted pool array frees it on the heap."""
        manager = self._threads
        if manager is not None and kind == POOL and manager.take_promoted_pool(array):
            self._core.heap_free(array)
            return int(array.nbytes)
        return None

    def _free_promoted(self, state: ThreadState) -> None:
        manager = self._threads
        if manager is None:
            return
        for array in manager.take_promoted(state):
            self._core.heap_free(array)
