"""Safe wrappers: boxes that refuse to hand out dead memory.

* :class:`FrameBox` lives until its frame ends (or a rollback past it): afterwards every access
  raises :class:`~framealloc_engine.errors.FrameExpiredError` (FA002). Only the thread that made
  it may use it (FA201 otherwise).
* :class:`PoolBox` / :class:`HeapBox` own a block until ``close()``, the end of a ``with``
  block, or collection; a closed box raises :class:`~framealloc_engine.errors.ClosedBoxError`
  (FA401).

Values numpy can represent (numbers, tuples of numbers, arrays, strings) are copied into
allocator memory; any other object is held by reference (for a frame box, in the thread's
frame slot table, released at ``end_frame``).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from framealloc_engine.errors import ClosedBoxError, CrossThreadError, FrameExpiredError

if TYPE_CHECKING:
    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["Box", "FrameBox", "HeapBox", "PoolBox", "as_storable_array"]

T = TypeVar("T")
_get_ident = threading.get_ident


_STORABLE = (int, float, complex, bool, str, bytes, np.generic, tuple, list)


def as_storable_array(value: object) -> np.ndarray | None:
    """``value`` as an array that raw memory can hold, or ``None`` for other objects.

    Only numbers, strings, numpy values and tuples/lists are tried: anything else is an
    object (without building a throwaway object array to find out).
    """
    if isinstance(value, np.ndarray):
        return None if value.dtype.hasobject else value
    if not isinstance(value, _STORABLE):
        return None
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        return None
    if array.dtype.hasobject or array.dtype.itemsize == 0:
        return None
    return array


def _read(array: np.ndarray) -> Any:
    return array[()] if array.ndim == 0 else array


class Box(ABC, Generic[T]):
    """What every box shares: a value in allocator memory or a held object, checked on use."""

    __slots__ = ("_array", "_object")
    _kind = "box"

    _array: np.ndarray | None
    _object: object

    @abstractmethod
    def _check(self) -> None:
        """Raise if the box may no longer be used (each kind of box has its own rule)."""

    def _store_object(self, value: object) -> None:
        self._object = value

    def get(self) -> T:
        """The boxed value (a numpy scalar for a 0-d value, an array view, or the object)."""
        self._check()
        if self._array is None:
            return self._object  # type: ignore[return-value]
        return _read(self._array)  # type: ignore[no-any-return]

    def set(self, value: T) -> None:
        """Replace the value (copied into the same memory for stored values)."""
        self._check()
        if self._array is None:
            self._store_object(value)
        else:
            self._array[...] = value

    @property
    def array(self) -> np.ndarray:
        """The allocator memory holding the value (checked like ``get``)."""
        self._check()
        if self._array is None:
            raise TypeError(f"this {self._kind} holds a Python object, not raw memory")
        return self._array


class FrameBox(Box[T]):
    """A value in frame memory, valid until its frame ends.

    ``get()`` returns the value (a numpy scalar for a 0-d value, an array view otherwise, or
    the object itself); ``set(v)`` overwrites a stored value in place.
    """

    __slots__ = ("_generation", "_seq", "_state")
    _kind = "frame box"

    def __init__(
        self, state: ThreadState, array: np.ndarray | None, obj: object = None
    ) -> None:
        self._state = state
        self._generation, self._seq = state.next_box()
        self._array = array
        self._object = obj
        if array is not None:
            state.register_frame_holder(self, self._seq)

    def detach(self) -> None:
        """Let the frame array go: the frame ended (every access now raises FA002)."""
        self._array = None

    def _check(self) -> None:
        state = self._state
        if _get_ident() != state.thread_id:
            raise CrossThreadError(
                "frame box used on a thread that does not own it",
                note=f"the box belongs to thread {state.thread_name!r}",
            )
        if not state.box_alive(self._generation, self._seq):
            raise FrameExpiredError(
                "frame box used after its frame ended",
                note=f"the box was made in frame generation {self._generation}; thread "
                f"{state.thread_name!r} is now at {state.box_generation}"
                + (" (or it was rolled back)" if state.dead_box_ranges else ""),
            )

    @property
    def is_valid(self) -> bool:
        """Whether the box can still be used (on this thread)."""
        state = self._state
        return _get_ident() == state.thread_id and state.box_alive(self._generation, self._seq)

    def _store_object(self, value: object) -> None:
        self._object = value
        self._state.frame_objects.append(value)  # released with the frame's slot table

    def __repr__(self) -> str:
        state = "live" if self.is_valid else "expired"
        return f"<FrameBox {state} gen={self._generation}>"


class _OwningBox(Box[T]):
    """Shared behaviour of boxes that own a pool or heap block."""

    __slots__ = ("_closed", "_free", "__weakref__")

    def __init__(
        self,
        array: np.ndarray | None,
        free: Callable[[np.ndarray], object] | None,
        obj: object = None,
    ) -> None:
        self._array = array
        self._free = free
        self._object = obj
        self._closed = False

    def _check(self) -> None:
        if self._closed:
            raise ClosedBoxError(
                f"{self._kind} used after close()",
                help="keep the box open while you use it, or copy the value out first",
            )

    @property
    def closed(self) -> bool:
        """Whether the box has released its memory."""
        return self._closed

    def close(self) -> None:
        """Free the memory now. Closing twice is allowed and does nothing."""
        if self._closed:
            return
        self._closed = True
        array, free = self._array, self._free
        self._array = None
        self._object = None
        if array is not None and free is not None:
            free(array)

    def __enter__(self) -> _OwningBox[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # A failure here is reported by Python as "Exception ignored in ...", never hidden.
        if not getattr(self, "_closed", True):
            self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'closed' if self._closed else 'open'}>"


class PoolBox(_OwningBox[T]):
    """A value in a pool block, freed on ``close()``, ``with`` exit or collection."""

    __slots__ = ()
    _kind = "PoolBox"

    def __enter__(self) -> PoolBox[T]:
        return self


class HeapBox(_OwningBox[T]):
    """A value in a heap block, freed on ``close()``, ``with`` exit or collection."""

    __slots__ = ()
    _kind = "HeapBox"

    def __enter__(self) -> HeapBox[T]:
        return self
