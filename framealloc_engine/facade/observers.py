"""Per-allocation observers: budgets, lifecycle events, the behaviour filter, profilers.

With no observer installed the allocation methods are the plain fast ones and pay nothing.
Installing the first observer shadows them, on this ``SmartAlloc`` instance, with versions that
call every observer around each allocation and free; removing the last restores them. Frame
begin/end notify observers with one list check per frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from framealloc_engine.facade.base import FacadeBase, PerThread
from framealloc_engine.facade.blocks import BlockApi
from framealloc_engine.layout import DTypeSpec, ShapeSpec, layout_of

if TYPE_CHECKING:
    from framealloc_engine.thread_state import ThreadState

__all__ = ["AllocObserver", "ObserverApi"]

#: Kinds of allocation reported to observers.
FRAME = "frame"
POOL = "pool"
HEAP = "heap"


class AllocObserver(Protocol):
    """What an observer implements. ``before_alloc`` may raise to refuse an allocation:
    nothing has been allocated at that point.

    An observer may also define ``alloc_failed(state, kind, nbytes)``: it is called when an
    allocation its ``before_alloc`` admitted did not happen (another observer refused it,
    the allocator raised, or ``try_frame_alloc`` found no room), so a reservation made in
    ``before_alloc`` can be given back.
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


def _report_failure(
    observers: list[AllocObserver], state: ThreadState, kind: str, nbytes: int
) -> None:
    # Observers that reserve in before_alloc (budgets) give the reservation back.
    for observer in observers:
        failed = getattr(observer, "alloc_failed", None)
        if failed is not None:
            failed(state, kind, nbytes)


class ObserverApi(BlockApi, FacadeBase):
    """Installing and removing allocation observers."""

    def add_observer(self, observer: AllocObserver) -> None:
        """Install ``observer``; from now on every allocation and free is reported to it."""
        if observer in self._observers:
            return
        self._observers = [*self._observers, observer]
        if len(self._observers) == 1:
            self._tls = PerThread(self, observed=True)

    def remove_observer(self, observer: AllocObserver) -> None:
        """Uninstall ``observer`` (no error if it was not installed)."""
        if observer not in self._observers:
            return
        self._observers = [o for o in self._observers if o is not observer]
        if not self._observers:
            self._tls = PerThread(self, observed=False)

    @property
    def observers(self) -> tuple[AllocObserver, ...]:
        """The installed observers, in call order."""
        return tuple(self._observers)

    # --- observed versions of the allocation methods ----------------------------------------

    def _observe_alloc(self, kind: str, dtype: DTypeSpec, shape: ShapeSpec, fn: Any) -> Any:
        state = self._tls.state
        nbytes = layout_of(dtype, shape).nbytes
        observers = self._observers
        admitted = 0
        try:
            for observer in observers:
                observer.before_alloc(state, kind, nbytes)
                admitted += 1
            array = fn(dtype, shape)
        except BaseException:
            _report_failure(observers[:admitted], state, kind, nbytes)
            raise
        if array is None:  # try_frame_alloc found no room
            _report_failure(observers, state, kind, nbytes)
            return None
        for observer in observers:
            observer.after_alloc(state, kind, array, nbytes)
        return array

    def _observed_frame_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        return self._observe_alloc(FRAME, dtype, shape, self._tls.arena.alloc)  # type: ignore[no-any-return]

    def _observed_try_frame_alloc(
        self, dtype: DTypeSpec, shape: ShapeSpec = ()
    ) -> np.ndarray | None:
        return self._observe_alloc(FRAME, dtype, shape, self._tls.arena.try_alloc)  # type: ignore[no-any-return]

    def _observed_pool_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        return self._observe_alloc(POOL, dtype, shape, self._tls.pools.alloc)  # type: ignore[no-any-return]

    def _observed_heap_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        return self._observe_alloc(HEAP, dtype, shape, self._heap_alloc_plain)  # type: ignore[no-any-return]

    def _observed_pool_free(self, array: np.ndarray) -> int:
        nbytes = self._tls.pools.free(array)
        state = self._tls.state
        for observer in self._observers:
            observer.after_free(state, POOL, array, nbytes)
        return nbytes

    def _observed_heap_free(self, array: np.ndarray) -> None:
        nbytes = self._heap_free_sized(array)
        state = self._tls.state
        for observer in self._observers:
            observer.after_free(state, HEAP, array, nbytes)
