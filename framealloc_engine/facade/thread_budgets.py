"""Per-thread budgets on the allocator (see :mod:`framealloc_engine.thread_budgets`)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from framealloc_engine.facade.extensions import ExtensionBase
from framealloc_engine.facade.frames import FrameApi
from framealloc_engine.layout import DTypeSpec, ShapeSpec, layout_of
from framealloc_engine.thread_budgets import (
    FRAME,
    POOL,
    ThreadBudgetConfig,
    ThreadBudgetManager,
    ThreadBudgetStats,
)

if TYPE_CHECKING:
    from framealloc_engine.thread_state import ThreadState

__all__ = ["ThreadBudgetApi"]


def _ident(thread: int | threading.Thread | None) -> int:
    if thread is None:
        return threading.get_ident()
    if isinstance(thread, threading.Thread):
        if thread.ident is None:
            raise ValueError(f"thread {thread.name!r} has not started: it has no id yet")
        return thread.ident
    if isinstance(thread, bool) or not isinstance(thread, int):
        raise TypeError(f"thread_id must be an int or a threading.Thread, got {thread!r}")
    return thread


class ThreadBudgetApi(FrameApi, ExtensionBase):
    """``set_thread_budget_config``, ``thread_budget_stats`` and budget-aware
    ``frame_remaining``; ``PROMOTE`` serves over-budget requests from the heap."""

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
        tid = _ident(thread_id)
        manager = self._thread_budgets
        if manager is None:
            if config is None:
                return
            manager = self._thread_budgets = ThreadBudgetManager()
            manager.lifecycle = self._lifecycle if self._lifecycle_enabled else None
            self._frame_end_hooks.append(self._free_promoted)
        manager.set_config(tid, config)
        if not manager.idle:
            self.add_observer(manager)
        else:
            self.remove_observer(manager)

    def thread_budget_config(
        self, thread_id: int | threading.Thread | None = None
    ) -> ThreadBudgetConfig | None:
        """A thread's budgets (default: the calling thread's), or ``None``."""
        manager = self._thread_budgets
        return None if manager is None else manager.config(_ident(thread_id))

    def thread_budget_stats(self) -> ThreadBudgetStats | None:
        """The calling thread's budget usage, or ``None`` without budgets."""
        manager = self._thread_budgets
        if manager is None:
            return None
        return manager.stats(threading.get_ident(), self._tls.arena.offset)

    def frame_remaining(self) -> int:
        """Bytes this thread may still frame-allocate this frame: the arena's room, capped by
        the thread's frame budget when it has one."""
        room = super().frame_remaining()
        manager = self._thread_budgets
        if manager is not None:
            budget_room = manager.frame_room(threading.get_ident(), self._tls.arena.offset)
            if budget_room is not None and budget_room < room:
                return budget_room
        return room

    # --- PROMOTE ----------------------------------------------------------------------------

    def _promotes(self, kind: str, dtype: DTypeSpec, shape: ShapeSpec) -> ThreadState | None:
        manager = self._thread_budgets
        if manager is None:
            return None
        state = self._tls.state
        if manager.config(state.thread_id) is None:
            return None
        if kind == FRAME and not state.arena.active:
            return None  # the plain path raises FA001
        nbytes = layout_of(dtype, shape).nbytes
        return state if manager.should_promote(state, kind, nbytes) else None

    def _observed_frame_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        state = self._promotes(FRAME, dtype, shape)
        if state is None:
            return super()._observed_frame_alloc(dtype, shape)
        return self._promote_frame(state, dtype, shape)

    def _observed_try_frame_alloc(
        self, dtype: DTypeSpec, shape: ShapeSpec = ()
    ) -> np.ndarray | None:
        state = self._promotes(FRAME, dtype, shape)
        if state is None:
            return super()._observed_try_frame_alloc(dtype, shape)
        return self._promote_frame(state, dtype, shape)

    def _promote_frame(self, state: ThreadState, dtype: DTypeSpec, shape: ShapeSpec) -> np.ndarray:
        array = self.heap_alloc(dtype, shape)
        manager = self._thread_budgets
        assert manager is not None
        manager.note_promoted_frame(state, array)
        return array

    def _observed_pool_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        if self._promotes(POOL, dtype, shape) is None:
            return super()._observed_pool_alloc(dtype, shape)
        # The heap array is freed by pool_free like a pool array (see _observed_pool_free).
        array = self.heap_alloc(dtype, shape)
        manager = self._thread_budgets
        assert manager is not None
        manager.note_promoted_pool(array)
        return array

    def _observed_pool_free(self, array: np.ndarray) -> int:
        manager = self._thread_budgets
        if manager is not None and manager.take_promoted_pool(array):
            self.heap_free(array)
            return int(array.nbytes)
        return int(super()._observed_pool_free(array) or 0)

    def _free_promoted(self, state: ThreadState) -> None:
        manager = self._thread_budgets
        if manager is None:
            return
        for array in manager.take_promoted(state):
            self.heap_free(array)
