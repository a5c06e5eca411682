"""What FrameVec and FrameMap share: item storage decisions and the frame-lifetime check."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from framealloc_engine.allocators.layout import normalize_dtype
from framealloc_engine.errors import CrossThreadError, FrameExpiredError

if TYPE_CHECKING:
    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["DETACHED", "item_dtype"]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

_get_ident = threading.get_ident
_MISSING: Any = object()
_EMPTY = -1
_TOMB = -2
_MULT = 0x9E3779B97F4A7C15  # Fibonacci hashing spreads consecutive integer keys
_M64 = (1 << 64) - 1
_NUMPY_PY_TYPES = (int, float, bool, complex)
#: What a detached collection holds instead of its frame arrays (never read: access raises).
DETACHED: np.ndarray = np.empty(0, dtype=np.int64)


def item_dtype(item_type: object) -> np.dtype[Any] | None:
    """The numpy dtype items of ``item_type`` are stored as, or ``None`` (by reference).

    Python classes other than ``int``/``float``/``bool``/``complex`` (``object``, ``str``,
    dataclasses...) are held by reference; anything else must be a valid numpy dtype.

    Raises:
        AllocationTypeError: (FA004) ``item_type`` is neither a class nor a dtype.
    """
    if isinstance(item_type, type) and not (
        issubclass(item_type, np.generic) or item_type in _NUMPY_PY_TYPES
    ):
        return None
    if isinstance(item_type, np.dtype) and item_type.hasobject:
        return None
    return normalize_dtype(item_type)


def _copy_out(item: Any) -> Any:
    """Detach an item read from storage (structured and subarray items are views)."""
    if isinstance(item, np.ndarray | np.void):
        return item.copy()
    return item


class _FrameBound:
    """Validity of an object tied to the frame (and checkpoint position) it was made in."""

    __slots__ = ("_gen", "_seq", "_state")

    def __init__(self, state: ThreadState) -> None:
        self._state = state
        self._gen, self._seq = state.next_box()
        state.register_frame_holder(self, self._seq)

    def _check(self) -> None:
        state = self._state
        if (
            state.box_generation != self._gen
            or state.dead_box_ranges
            or _get_ident() != state.thread_id
        ):
            self._slow_check()

    def _slow_check(self) -> None:
        state = self._state
        if _get_ident() != state.thread_id:
            raise CrossThreadError(
                f"{type(self).__name__} used on a thread that does not own it",
                note=f"it belongs to thread {state.thread_name!r}",
            )
        if not state.box_alive(self._gen, self._seq):
            self._expire()
            raise FrameExpiredError(
                f"{type(self).__name__} used after its frame ended (or was rolled back)",
                note=f"it was made in frame generation {self._gen}; thread "
                f"{state.thread_name!r} is now at {state.box_generation}",
                help="frame collections live until end_frame(); copy the items out (e.g. "
                "list(vec) or vec.view().copy()) if they must outlive the frame",
            )

    def _expire(self) -> None:
        """Drop references held past the frame (overridden)."""

    def detach(self) -> None:
        """Let the frame arrays go: the frame ended or was rolled back past this object
        (every access now raises FA002)."""
        self._expire()
        self._drop_arrays()

    def _drop_arrays(self) -> None:
        """Release the frame arrays (overridden)."""

    @property
    def is_valid(self) -> bool:
        """Whether the collection can still be used (on this thread)."""
        state = self._state
        return _get_ident() == state.thread_id and state.box_alive(self._gen, self._seq)
