"""The frame arena: a per-thread bump allocator over one preallocated buffer.

Allocation is O(1): align the bump offset, advance it, hand out a numpy view. Reset is O(1):
the offset goes back to zero. Game frames repeat, so the arena remembers the ``k``-th request
of the last frame; when this frame's ``k``-th request has the same dtype and shape, the view
built last frame (same bytes, same layout) is handed out again and no array is created. The
first request that differs truncates that memory and later ones build fresh views.

Debug mode never reuses views: at ``end`` it makes every view of the frame read-only (a late
write raises ``ValueError: assignment destination is read-only``) and poisons the bytes with
0xCD.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from framealloc_engine.allocators.buffer import POISON_BYTE, aligned_buffer
from framealloc_engine.allocators.layout import layout_of
from framealloc_engine.errors import ArenaExhaustedError, FrameNotActiveError

__all__ = ["ArenaCheckpoint", "FrameArena"]

#: ``_k`` while no frame is active: larger than any cache, so every request takes the slow
#: path, which raises FA001.
_INACTIVE = 1 << 62
#: Ends the reuse cache, so a request past the last remembered one fails the dtype check and
#: takes the slow path without raising IndexError (exceptions cost a microsecond).
_END = (object(), None, None, 0)


class ArenaCheckpoint:
    """An arena position: request index and bump offset. Opaque to users."""

    __slots__ = ("index", "offset")

    def __init__(self, index: int, offset: int) -> None:
        self.index = index
        self.offset = offset


class FrameArena:
    """A bump allocator for one thread.

    Args:
        capacity: Size of the arena in bytes.
        debug: Poison and freeze instead of reusing views.
    """

    __slots__ = (
        "_active",
        "_cache",
        "_k",
        "_offset",
        "_miss",
        "_no_entry",
        "_outstanding",
        "_typed",
        "buffer",
        "capacity",
        "debug",
        "peak_offset",
    )

    def __init__(self, capacity: int, *, debug: bool = False) -> None:
        self.capacity = capacity
        self.debug = debug
        # Touch every page once so steady-state frames never page-fault.
        self.buffer = aligned_buffer(capacity, prefault=True)
        self._cache: list[tuple[object, object, Any, int]] = [_END]
        self._outstanding: list[np.ndarray] = []
        self._typed: dict[object, np.ndarray] = {}
        # What a request without a matching cache entry calls: release mode builds and
        # remembers a view; debug mode never remembers (views are frozen at end instead).
        self._miss: Callable[[Any, Any, bool], np.ndarray | None] = (
            self._alloc_debug if debug else self._alloc_release
        )
        self._no_entry: Callable[[Any, Any, bool], np.ndarray | None] = (
            self._alloc_debug if debug else self._inactive
        )
        self._k = _INACTIVE
        self._offset = 0
        self._active = False
        self.peak_offset = 0

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Whether a frame is open on this arena."""
        return self._active

    @property
    def offset(self) -> int:
        """Bytes of the arena in use (the bump offset, padding included)."""
        return self._current_offset() if self._active else 0

    def _current_offset(self) -> int:
        # Release mode keeps no offset on the hot path: the cache holds the end offset of
        # every live allocation of this frame, so the bump offset is the last one's end.
        if self.debug:
            return self._offset
        k = self._k
        return self._cache[k - 1][3] if k else 0

    @property
    def count(self) -> int:
        """Live allocations in the current frame."""
        return self._k if self._active else 0

    def begin(self) -> None:
        """Open a frame: the arena is empty and allocations are accepted."""
        self._offset = 0
        self._k = 0
        self._active = True

    def end(self) -> tuple[int, int]:
        """Close the frame and reset the arena in O(1).

        Returns:
            ``(count, bytes)`` of the frame's live allocations at the end.
        """
        count, used = self._k, self._current_offset()
        if used > self.peak_offset:
            self.peak_offset = used
        self._active = False
        self._k = _INACTIVE
        self._offset = 0
        if self.debug:
            self._freeze_and_poison(0, used)
        return count, used

    def _freeze_and_poison(self, keep: int, used: int) -> None:
        views = self._outstanding
        remaining = []
        for view in views:
            if self._view_start(view) >= used or self._view_start(view) < keep:
                remaining.append(view)
                continue
            view.flags.writeable = False
        self._outstanding = remaining if keep else []
        if used > keep:
            self.buffer[keep:used].fill(POISON_BYTE)

    def _view_start(self, view: np.ndarray) -> int:
        return int(view.__array_interface__["data"][0]) - int(
            self.buffer.__array_interface__["data"][0]
        )

    # --- allocation -------------------------------------------------------------------------

    def alloc(self, dtype: Any, shape: Any = ()) -> np.ndarray:
        """Allocate an array of ``dtype`` and ``shape`` in this frame (hot path).

        Raises:
            FrameNotActiveError: (FA001) no frame is active.
            ArenaExhaustedError: (FA003) the arena has no room.
        """
        k = self._k
        try:
            entry = self._cache[k]
        except IndexError:
            return self._no_entry(dtype, shape, True)  # type: ignore[return-value]
        if entry[0] is dtype and entry[1] == shape:
            self._k = k + 1
            view: np.ndarray = entry[2]
            return view
        return self._miss(dtype, shape, True)  # type: ignore[return-value]

    def try_alloc(self, dtype: Any, shape: Any = ()) -> np.ndarray | None:
        """Like :meth:`alloc` but returns ``None`` when the arena is full."""
        k = self._k
        try:
            entry = self._cache[k]
        except IndexError:
            return self._no_entry(dtype, shape, False)
        if entry[0] is dtype and entry[1] == shape:
            self._k = k + 1
            view: np.ndarray = entry[2]
            return view
        return self._miss(dtype, shape, False)

    def _inactive(self, dtype: Any, shape: Any, raise_full: bool) -> NoReturn:
        # Release mode: the cache always ends with _END at index k while a frame is active,
        # so an IndexError means k is _INACTIVE.
        raise FrameNotActiveError(
            "frame allocation used outside an active frame",
            note="this allocation was requested when no frame was active on this thread",
        )

    def _alloc_release(self, dtype: Any, shape: Any, raise_full: bool) -> np.ndarray | None:
        # A miss of the reuse cache (a first frame, or a frame that differs from the last);
        # a frame is active (see _inactive). Kept short: this is the first-frame cost.
        layout = layout_of(dtype, shape)
        k = self._k
        cache = self._cache
        offset = cache[k - 1][3] if k else 0
        start = (offset + layout.align - 1) & -layout.align
        end = start + layout.nbytes
        if end > self.capacity:
            if not raise_full:
                return None
            self._raise_full(layout.nbytes, offset)
        if layout.sliceable and not start % layout.itemsize:
            # Cutting from a typed view of the whole arena is about twice as fast as
            # np.ndarray(shape, dtype, buffer, offset).
            typed = self._typed.get(dtype)
            if typed is None:
                typed = self._typed_view(dtype, layout.dtype)
            first = start // layout.itemsize
            view = typed[first : first + layout.shape[0]]
        else:
            view = np.ndarray(layout.ndshape, layout.dtype, self.buffer, start)
        if len(cache) == k + 1:  # cache[k] is the end marker: the usual first-frame case
            cache[k] = (dtype, shape, view, end)
        else:
            del cache[k:]
            cache.append((dtype, shape, view, end))
        cache.append(_END)
        self._k = k + 1
        return view

    def _alloc_debug(self, dtype: Any, shape: Any, raise_full: bool) -> np.ndarray | None:
        if not self._active:
            self._inactive(dtype, shape, raise_full)
        layout = layout_of(dtype, shape)
        offset = self._offset
        align = layout.align
        start = (offset + align - 1) & -align
        end = start + layout.nbytes
        if end > self.capacity:
            if not raise_full:
                return None
            self._raise_full(layout.nbytes, offset)
        view: np.ndarray = np.ndarray(layout.ndshape, layout.dtype, self.buffer, start)
        self._outstanding.append(view)
        self._k += 1
        self._offset = end
        return view

    def _typed_view(self, key: object, dt: np.dtype[Any]) -> np.ndarray:
        # Keyed by the dtype object the caller passes (np.float32 hashes faster than an
        # np.dtype); the view's dtype is the normalised one.
        usable = self.capacity - self.capacity % dt.itemsize
        typed = self._typed[key] = self.buffer[:usable].view(dt)
        return typed

    def _raise_full(self, nbytes: int, offset: int) -> NoReturn:
        raise ArenaExhaustedError(
            f"frame arena exhausted: requested {nbytes} bytes with "
            f"{self.capacity - offset} of {self.capacity} free",
            note=f"arena size is {self.capacity} bytes per thread; "
            f"{self._k} allocations are live in this frame",
            help="enlarge it with AllocConfig().with_frame_arena_size(bytes), allocate "
            "less per frame, or use heap_alloc() for large blocks",
        )

    # --- checkpoints ------------------------------------------------------------------------

    def checkpoint(self) -> ArenaCheckpoint:
        """The current position, to roll back to later in the same frame."""
        return ArenaCheckpoint(self._k, self._current_offset())

    def rollback(self, checkpoint: ArenaCheckpoint) -> int:
        """Free everything allocated after ``checkpoint`` in O(1).

        Returns:
            How many allocations were freed.
        """
        freed = self._k - checkpoint.index
        used = self._current_offset()
        if used > self.peak_offset:
            self.peak_offset = used
        if self.debug:
            self._freeze_and_poison(checkpoint.offset, used)
        self._k = checkpoint.index
        self._offset = checkpoint.offset
        return freed

    def release(self) -> None:
        """Drop the buffer (the owning thread has exited); the arena is unusable after."""
        self._cache = [_END]
        self._typed.clear()
        self._outstanding.clear()
        self.buffer = np.empty(0, dtype=np.uint8)
        self.capacity = 0

    def owns(self, array: np.ndarray) -> bool:
        """Whether ``array``'s memory lies in this arena."""
        return bool(np.shares_memory(array, self.buffer))
