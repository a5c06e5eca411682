"""Allocation observers and redirects: how features watch and steer allocations.

With no observer installed the allocation methods are the plain fast ones and pay nothing.
Installing the first observer makes every thread call the *observed* paths below instead,
which call every observer around each allocation and free; removing the last restores the
plain ones. Frame begin/end notify observers with one list check per frame.

A *redirect* may serve an allocation somewhere else before any observer sees it (per-thread
budgets with the ``PROMOTE`` policy serve over-budget requests from the heap); redirects are
consulted only on the observed paths, so installing one also installs the observed paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from framealloc_engine.allocators.layout import DTypeSpec, ShapeSpec, layout_of

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore
    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["FRAME", "HEAP", "POOL", "AllocObserver", "AllocRedirect", "ObservedPaths"]

#: Kinds of allocation reported to observers.
FRAME = "frame"
POOL = "pool"
HEAP = "heap"


class AllocObserver(Protocol):
    """What an observer implements. ``before_alloc`` may raise to refuse an allocation:
    nothing has been allocated at that point.

    An observer may also define:

    * ``alloc_failed(state, kind, nbytes, error)``: an allocation its ``before_alloc``
      admitted did not happen (another observer refused it, the allocator raised ``error``,
      or ``try_frame_alloc`` found no room and ``error`` is ``None``), so a reservation made
      in ``before_alloc`` can be given back;
    * ``on_promotion(state, tag, from_kind, to_kind, nbytes)``: a retained frame allocation
      was promoted (the behaviour filter counts them).
    """

    def before_alloc(self, state: ThreadState, kind: str, nbytes: int) -> None:
        """Called before an allocation of ``nbytes`` of ``kind`` on ``state``'s thread."""

    def after_alloc(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Called after a successful allocation."""

    def after_free(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Called after a pool or heap free (frame memory is freed by the frame's end)."""

    def on_frame_begin(self, state: ThreadState) -> None:
        """Called after a thread began a frame."""

    def on_frame_end(self, state: ThreadState, count: int, nbytes: int) -> None:
        """Called after a thread ended a frame that freed ``count`` allocations."""


class AllocRedirect(Protocol):
    """Serves some allocations elsewhere (consulted before the observers)."""

    def redirect_alloc(
        self, state: ThreadState, kind: str, dtype: DTypeSpec, shape: ShapeSpec
    ) -> np.ndarray | None:
        """An array serving this request, or ``None`` to let the allocator serve it."""

    def redirect_free(self, state: ThreadState, kind: str, array: np.ndarray) -> int | None:
        """Free ``array`` if this redirect served it (returns its bytes), else ``None``."""


def _report_failure(
    observers: list[AllocObserver],
    state: ThreadState,
    kind: str,
    nbytes: int,
    error: BaseException | None,
) -> None:
    # Observers that reserve in before_alloc (budgets) give the reservation back.
    for observer in observers:
        failed = getattr(observer, "alloc_failed", None)
        if failed is not None:
            failed(state, kind, nbytes, error)


class ObservedPaths:
    """The allocation entry points used while observers or redirects are installed.

    Args:
        core: The allocator whose observers and redirects to call.
    """

    __slots__ = ("_core",)

    def __init__(self, core: AllocatorCore) -> None:
        self._core = core

    def _observe(self, kind: str, dtype: DTypeSpec, shape: ShapeSpec, fn: Any) -> Any:
        core = self._core
        state = core.current_state()
        for redirect in core.redirects:
            served = redirect.redirect_alloc(state, kind, dtype, shape)
            if served is not None:
                return served
        nbytes = layout_of(dtype, shape).nbytes
        observers = core.observers_list
        admitted = 0
        try:
            for observer in observers:
                observer.before_alloc(state, kind, nbytes)
                admitted += 1
            array = fn(dtype, shape)
        except BaseException as error:
            _report_failure(observers[:admitted], state, kind, nbytes, error)
            raise
        if array is None:  # try_frame_alloc found no room
            _report_failure(observers, state, kind, nbytes, None)
            return None
        for observer in observers:
            observer.after_alloc(state, kind, array, nbytes)
        return array

    def frame_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        """``frame_alloc`` reporting to observers."""
        return self._observe(FRAME, dtype, shape, self._core.current_state().arena.alloc)  # type: ignore[no-any-return]

    def try_frame_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray | None:
        """``try_frame_alloc`` reporting to observers."""
        return self._observe(FRAME, dtype, shape, self._core.current_state().arena.try_alloc)  # type: ignore[no-any-return]

    def pool_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        """``pool_alloc`` reporting to observers."""
        return self._observe(POOL, dtype, shape, self._core.current_state().pools.hot_alloc)  # type: ignore[no-any-return]

    def heap_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        """``heap_alloc`` reporting to observers."""
        return self._observe(HEAP, dtype, shape, self._core.plain_heap_alloc)  # type: ignore[no-any-return]

    def pool_free(self, array: np.ndarray) -> int:
        """``pool_free`` reporting to observers."""
        core = self._core
        state = core.current_state()
        for redirect in core.redirects:
            done = redirect.redirect_free(state, POOL, array)
            if done is not None:
                return done
        nbytes = state.pools.hot_free(array)
        for observer in core.observers_list:
            observer.after_free(state, POOL, array, nbytes)
        return nbytes

    def heap_free(self, array: np.ndarray) -> int:
        """``heap_free`` reporting to observers."""
        core = self._core
        nbytes = core.plain_heap_free(array)
        state = core.current_state()
        for observer in core.observers_list:
            observer.after_free(state, HEAP, array, nbytes)
        return nbytes

    def report_promotion(
        self, state: ThreadState, tag: str, from_kind: str, to_kind: str, nbytes: int
    ) -> None:
        """Tell observers that count promotions (``on_promotion``) about one."""
        for observer in self._core.observers_list:
            report = getattr(observer, "on_promotion", None)
            if report is not None:
                report(state, tag, from_kind, to_kind, nbytes)
