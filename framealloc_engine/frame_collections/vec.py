"""``FrameVec``: a fixed-capacity vector in frame memory (see the package docs)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, overload

import numpy as np

from framealloc_engine.errors import CapacityError
from framealloc_engine.frame_collections._common import (
    DETACHED,
    T,
    _copy_out,
    _FrameBound,
)

if TYPE_CHECKING:
    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["FrameVec"]


class FrameVec(_FrameBound, Generic[T]):
    """A fixed-capacity vector in frame memory. Make it with ``alloc.frame_vec(type, n)``.

    List-like: ``push``/``append``, ``pop``, ``get``, ``v[i]``, ``len``, iteration, ``clear``,
    ``retain``, ``extend``. Pushing past the capacity raises
    :class:`~framealloc_engine.errors.CapacityError` (FA003); ``try_push`` returns ``False``.
    Reads of structured or subarray items return views into the vector (write through them
    to update in place); ``pop`` returns a copy.
    """

    __slots__ = ("_data", "_len", "_objects")

    def __init__(self, state: ThreadState, data: np.ndarray) -> None:
        super().__init__(state)
        self._data = data
        self._len = 0
        self._objects = data.dtype.hasobject

    def _expire(self) -> None:
        if self._objects:
            self._data[: self._len] = None
        self._len = 0

    def _drop_arrays(self) -> None:
        if not self._objects:
            self._data = DETACHED

    # --- size ---------------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        """The most items the vector can hold."""
        return int(self._data.shape[0])

    @property
    def dtype(self) -> np.dtype[Any] | None:
        """The items' dtype, or ``None`` when items are held by reference."""
        return None if self._objects else self._data.dtype

    def __len__(self) -> int:
        self._check()
        return self._len

    def is_full(self) -> bool:
        """Whether a push would fail."""
        self._check()
        return self._len == int(self._data.shape[0])

    def remaining(self) -> int:
        """Free slots."""
        self._check()
        return int(self._data.shape[0]) - self._len

    # --- adding and removing -------------------------------------------------------------------

    def push(self, value: T) -> None:
        """Append ``value``.

        Raises:
            CapacityError: (FA003) the vector is full.
            FrameExpiredError: (FA002) its frame ended.
        """
        self._check()
        n = self._len
        data = self._data
        if n == data.shape[0]:
            raise CapacityError(
                f"FrameVec is full ({n} items)",
                note="frame collections cannot grow past the capacity they were made with",
                help="make it with a larger capacity, or use try_push() to test for room",
            )
        data[n] = value
        self._len = n + 1

    append = push

    def try_push(self, value: T) -> bool:
        """Append ``value`` if there is room; returns whether it was added."""
        self._check()
        n = self._len
        data = self._data
        if n == data.shape[0]:
            return False
        data[n] = value
        self._len = n + 1
        return True

    def pop(self) -> T:
        """Remove and return the last item (a copy).

        Raises:
            IndexError: the vector is empty.
        """
        self._check()
        n = self._len - 1
        if n < 0:
            raise IndexError("pop from an empty FrameVec")
        data = self._data
        item = _copy_out(data[n])
        if self._objects:
            data[n] = None
        self._len = n
        return item  # type: ignore[no-any-return]

    def extend(self, items: Iterable[T] | np.ndarray) -> None:
        """Append every item; all or nothing.

        Raises:
            CapacityError: (FA003) they do not all fit (nothing is added).
            ValueError: an array of items with the wrong item shape.
        """
        self._check()
        data = self._data
        n = self._len
        if self._objects:
            values = list(items)
            k = len(values)
            self._ensure_room(k)
            for i, value in enumerate(values, n):
                data[i] = value
            self._len = n + k
            return
        if not isinstance(items, np.ndarray):
            items = list(items)
            if not items:
                return
        array = np.asarray(items, dtype=data.dtype)
        if array.ndim == 0 or array.shape[1:] != data.shape[1:]:
            raise ValueError(
                f"extend() needs a sequence of items of shape {data.shape[1:]}, got an "
                f"array of shape {array.shape}"
            )
        k = array.shape[0]
        self._ensure_room(k)
        data[n : n + k] = array
        self._len = n + k

    def _ensure_room(self, k: int) -> None:
        if self._len + k > self._data.shape[0]:
            raise CapacityError(
                f"FrameVec.extend() of {k} items does not fit: {self._len} of "
                f"{self._data.shape[0]} slots are used",
                help="make the vector with a larger capacity",
            )

    def clear(self) -> None:
        """Remove every item (the capacity stays)."""
        self._check()
        if self._objects:
            self._data[: self._len] = None
        self._len = 0

    def retain(self, predicate: Callable[[T], object]) -> int:
        """Keep only items for which ``predicate(item)`` is true, in order; returns removed."""
        self._check()
        live = self._data[: self._len]
        keep = np.fromiter((bool(predicate(x)) for x in live), dtype=bool, count=self._len)
        return self._compact(keep)

    def retain_mask(self, mask: np.ndarray) -> int:
        """Vectorised :meth:`retain`: keep items where the boolean ``mask`` is true.

        Example: ``vec.retain_mask(vec.view() > 0)``.
        """
        self._check()
        keep = np.asarray(mask, dtype=bool)
        if keep.shape != (self._len,):
            raise ValueError(f"mask must have shape ({self._len},), got {keep.shape}")
        return self._compact(keep)

    def _compact(self, keep: np.ndarray) -> int:
        n = self._len
        kept = self._data[:n][keep]  # boolean indexing copies, so the overlap is safe
        k = int(kept.shape[0])
        self._data[:k] = kept
        if self._objects:
            self._data[k:n] = None
        self._len = k
        return n - k

    # --- access --------------------------------------------------------------------------------

    def _position(self, index: int) -> int:
        i = operator.index(index)
        n = self._len
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"FrameVec index {index} out of range for {n} items")
        return i

    def get(self, index: int, default: Any = None) -> Any:
        """The item at ``index`` (negative counts from the end), or ``default``."""
        self._check()
        try:
            i = self._position(index)
        except IndexError:
            return default
        return self._data[i]

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> np.ndarray: ...
    def __getitem__(self, index: int | slice) -> T | np.ndarray:
        self._check()
        if isinstance(index, slice):
            return self._data[: self._len][index]
        return self._data[self._position(index)]  # type: ignore[no-any-return]

    def __setitem__(self, index: int, value: T) -> None:
        self._check()
        self._data[self._position(index)] = value

    def __iter__(self) -> Iterator[T]:
        self._check()
        data = self._data
        i = 0
        while i < self._len:
            yield data[i]
            i += 1
            self._check()

    def view(self) -> np.ndarray:
        """A numpy view of the live items (an object array for by-reference items).

        Valid until the vector changes length or the frame ends.
        """
        self._check()
        return self._data[: self._len]

    def to_list(self) -> list[T]:
        """The items as a Python list (copies, safe to keep past the frame)."""
        self._check()
        return self._data[: self._len].tolist()  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        if not self.is_valid:
            return "<FrameVec expired>"
        return f"<FrameVec {self._len}/{self.capacity} {self.dtype or 'object'}>"
