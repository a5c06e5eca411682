"""The frame arena: a per-thread bump allocator over one preallocated buffer.

Allocation is O(1): align the bump offset, advance it, hand out a numpy view. Game frames
repeat, so the arena remembers the ``k``-th request of the last frame; when this frame's
``k``-th request has the same dtype and shape, the view built last frame (same bytes, same
layout) is handed out again and no array is created.

**Nothing handed out is ever shared.** Every view is its own collapse point: it is built
over a ``memoryview`` of the arena's bytes, so numpy makes it the ``.base`` of everything
derived from it (slices, reshapes, transposes, field views, ``memoryview`` s), and its
reference count counts every reference the user kept, directly or through a derived array.
A remembered view is handed out again only when that count shows nobody else holds it; a
view still held (kept past ``end_frame`` or a rollback) is an *escape*: its bytes are
*retired*, set aside and never handed out again until the last reference dies (a weak
reference's callback gives them back at the next frame boundary), and the request is served
elsewhere. The check happens where a view is about to be reused (or forgotten), so
``end_frame`` and rollbacks stay O(1). Escapes are counted in :attr:`FrameArena.escapes`
and listed, per frame they are found in, in :attr:`FrameArena.last_escapes`.

Debug mode never reuses views: at ``end_frame`` it makes every view of the frame read-only,
poisons the bytes with 0xCD and keeps them in quarantine for ``quarantine_frames`` frames;
when they leave quarantine (or an escaped view dies) the poison is verified, and a late
write raises :class:`~framealloc_engine.errors.LateWriteError` (FA002) naming the
allocation's site with its traceback.
"""

from __future__ import annotations

import sys
import traceback
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from framealloc_engine.allocators.buffer import POISON_BYTE, aligned_buffer, allocation_site
from framealloc_engine.allocators.checkpoint import ArenaCheckpoint
from framealloc_engine.allocators.layout import Layout, exact_shape, layout_of
from framealloc_engine.errors import ArenaExhaustedError, FrameNotActiveError, LateWriteError

__all__ = ["ArenaCheckpoint", "FrameArena"]

#: ``_k`` while no frame is active: larger than any cache, so every request takes the slow
#: path, which raises FA001.
_INACTIVE = 1 << 62
#: Ends the reuse cache, so a request past the last remembered one fails the dtype check and
#: takes the slow path without raising IndexError (exceptions cost a microsecond).
_END = (object(), None, None, 0, 0, None)
_getrefcount = sys.getrefcount
_frombuffer = np.frombuffer


def _baseline() -> tuple[int, int]:
    """References a remembered view, and the 1-d array under an N-d one, have at the reuse
    check when nothing outside the arena holds them (measured: the count differs between
    Python versions)."""
    flat = np.frombuffer(memoryview(bytearray(16)), np.uint8)
    view = flat.reshape(4, 4)
    entry = (None, None, view, 0, 0, flat)
    del flat, view
    return _getrefcount(entry[2]), _getrefcount(entry[5])


#: A free view's count at the check, and its 1-d array's (an N-d view is the second one's
#: ``.base`` reference).
_VIEW_FREE, _FLAT_FREE = _baseline()


class _Site:
    """Where a debug-mode allocation was made (its traceback, formatted when reported)."""

    __slots__ = ("end", "stack", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end
        self.stack = allocation_site()

    def describe(self) -> str:
        frame = self.stack[-1] if self.stack else None
        where = f"{frame.filename}:{frame.lineno} in {frame.name}" if frame else "unknown"
        return f"allocated at {where}"

    def formatted(self) -> str:
        return "".join(traceback.format_list(self.stack))


class _Quarantined:
    """One frame's freed allocations in debug mode: poisoned, verified before reuse."""

    __slots__ = ("expires", "sites")

    def __init__(self, expires: int, sites: list[_Site]) -> None:
        self.expires = expires
        self.sites = sites


class FrameArena:
    """A bump allocator for one thread.

    Args:
        capacity: Size of the arena in bytes.
        debug: Poison, freeze and quarantine instead of reusing views.
        quarantine_frames: Debug mode: frames freed bytes stay unused before reuse.
    """

    __slots__ = (
        "_active",
        "_cache",
        "_escaped_sites",
        "_frames",
        "_k",
        "_miss",
        "_mv",
        "_no_entry",
        "_offset",
        "_outstanding",
        "_quarantine",
        "_released",
        "_retired",
        "buffer",
        "capacity",
        "debug",
        "escapes",
        "last_escapes",
        "peak_offset",
        "quarantine_frames",
        "__weakref__",
    )

    def __init__(self, capacity: int, *, debug: bool = False, quarantine_frames: int = 2) -> None:
        self.capacity = capacity
        self.debug = debug
        self.quarantine_frames = quarantine_frames
        # Touch every page once so steady-state frames never page-fault.
        self.buffer = aligned_buffer(capacity, prefault=True)
        self._mv = self.buffer.data
        #: (dtype, shape key, view, end, start, the 1-d array an N-d view reshapes or None)
        #: per request of the frame.
        self._cache: list[tuple[Any, Any, Any, int, int, Any]] = [_END]
        #: Debug mode: where the allocations whose views escaped were made, by range.
        self._escaped_sites: dict[tuple[int, int], _Site] = {}
        #: Sorted ``[start, end)`` ranges whose views escaped: never handed out again until
        #: released.
        self._retired: list[tuple[int, int]] = []
        #: Ranges whose last reference died (appended by weak-reference callbacks, from any
        #: thread); applied at the next frame boundary.
        self._released: deque[tuple[int, int]] = deque()
        self._quarantine: list[_Quarantined] = []
        self._outstanding: list[tuple[np.ndarray, np.ndarray, _Site]] = []
        self._miss: Callable[[Any, Any, bool], np.ndarray | None] = (
            self._alloc_debug if debug else self._alloc_release
        )
        self._no_entry: Callable[[Any, Any, bool], np.ndarray | None] = (
            self._alloc_debug if debug else self._inactive
        )
        self._k = _INACTIVE
        self._offset = 0
        self._active = False
        self._frames = 0
        self.peak_offset = 0
        #: Views found still referenced at a frame end or rollback (cumulative).
        self.escapes = 0
        #: ``(request index, weak reference to the view)`` of the views that escaped the
        #: last frame end (or a rollback since): what observers read in ``on_frame_end``.
        self.last_escapes: list[tuple[int, weakref.ref[np.ndarray]]] = []

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Whether a frame is open on this arena."""
        return self._active

    @property
    def offset(self) -> int:
        """Bytes of the arena in use (the bump offset, padding and skipped bytes included)."""
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

    @property
    def retired_bytes(self) -> int:
        """Bytes set aside because views of them escaped (or, in debug mode, quarantined)."""
        return sum(end - start for start, end in self._retired) + sum(
            s.end - s.start for q in self._quarantine for s in q.sites
        )

    def begin(self) -> None:
        """Open a frame: the arena is empty and allocations are accepted."""
        self._frames += 1
        if self._released or self._quarantine:
            self._apply_released()
        self.last_escapes = []
        self._offset = 0
        self._k = 0
        self._active = True

    def end(self) -> tuple[int, int]:
        """Close the frame in O(1): its memory is free for the next frame (a view still held is
        found, and its bytes set aside, when the arena would reuse it: see the module docs).

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
            self._end_debug(0)
        if self._released:
            self._apply_released()
        return count, used

    # --- allocation -------------------------------------------------------------------------

    def alloc(self, dtype: Any, shape: Any = ()) -> np.ndarray:
        """Allocate an array of ``dtype`` and ``shape`` in this frame (hot path).

        Raises:
            FrameNotActiveError: (FA001) no frame is active.
            ArenaExhaustedError: (FA003) the arena has no room.
            AllocationTypeError, AllocationSizeError: (FA004) a bad dtype or shape.
        """
        k = self._k
        try:
            entry = self._cache[k]
        except IndexError:
            return self._no_entry(dtype, shape, True)  # type: ignore[return-value]
        if entry[0] is dtype:
            key = entry[1]
            # An equal shape must also be exact (4.0 == 4): validation never depends on what
            # was asked before. And the view is reused only if nothing else holds it.
            if (
                key is shape
                or (key == shape and key.__class__ is shape.__class__ and exact_shape(shape))
            ) and (
                _getrefcount(entry[2]) == _VIEW_FREE
                and (entry[5] is None or _getrefcount(entry[5]) == _FLAT_FREE)
            ):
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
        if entry[0] is dtype:
            key = entry[1]
            if (
                key is shape
                or (key == shape and key.__class__ is shape.__class__ and exact_shape(shape))
            ) and (
                _getrefcount(entry[2]) == _VIEW_FREE
                and (entry[5] is None or _getrefcount(entry[5]) == _FLAT_FREE)
            ):
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

    def _cut(self, start: int, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
        """A view of ``layout`` at ``start`` that is its own collapse point (its base is the
        arena's ``memoryview``, not an array), and the 1-d array it reshapes (the same object
        for a 1-d request)."""
        dt = layout.dtype
        flat = _frombuffer(self._mv, dt, layout.nbytes // dt.itemsize, start)
        shape = layout.shape if dt.subdtype is None else layout.shape + dt.subdtype[1]
        if flat.shape == shape:
            return flat, flat
        return flat.reshape(shape), flat

    def _place(self, offset: int, nbytes: int, align: int) -> int:
        """The first aligned start at or after ``offset`` whose ``nbytes`` avoid every retired
        or quarantined range; -1 when the arena has no such room."""
        start = (offset + align - 1) & -align
        retired = self._retired
        if retired or self._quarantine:
            span = nbytes or 1
            for lo, hi in self._blocked():
                if hi <= start:
                    continue
                if lo >= start + span:
                    break
                start = (hi + align - 1) & -align
        return start if start + nbytes <= self.capacity else -1

    def _blocked(self) -> list[tuple[int, int]]:
        if not self._quarantine:
            return self._retired
        return sorted(
            [*self._retired, *((s.start, s.end) for q in self._quarantine for s in q.sites)]
        )

    def _alloc_release(self, dtype: Any, shape: Any, raise_full: bool) -> np.ndarray | None:
        # A miss of the reuse cache (a first frame, a frame that differs from the last, or
        # a remembered view still held); a frame is active (see _inactive).
        layout = layout_of(dtype, shape)
        k = self._k
        cache = self._cache
        if len(cache) > k + 1:
            self._forget(k)  # this request and the ones after it are remembered anew
        offset = cache[k - 1][3] if k else 0
        start = self._place(offset, layout.nbytes, layout.align)
        if start < 0:
            if not raise_full:
                return None
            self._raise_full(layout.nbytes, offset)
        view, flat = self._cut(start, layout)
        # Shapes are remembered as given when immutable (an int or a tuple: ``is`` then hits
        # on constants); a list is remembered as a tuple, so a list mutated later never hits.
        key = shape if shape.__class__ is int or shape.__class__ is tuple else layout.shape
        cache[k] = (dtype, key, view, start + layout.nbytes, start, None if flat is view else flat)
        cache.append(_END)
        self._k = k + 1
        return view

    def _forget(self, k: int) -> None:
        """Drop the remembered requests from ``k`` on; the bytes of any whose view is still
        held are retired (an escape) instead of freed."""
        cache = self._cache
        dropped = cache[k:-1]
        del cache[k:]
        cache.append(_END)
        for index, entry in enumerate(dropped, start=k):
            # ``dropped`` and ``entry`` hold the tuple; the view: the tuple and the argument
            if _getrefcount(entry[2]) > _VIEW_FREE or (
                entry[5] is not None and _getrefcount(entry[5]) > _FLAT_FREE
            ):
                self._retire(index, entry)

    def _retire(self, index: int, entry: tuple[Any, Any, Any, int, int, Any]) -> None:
        start, end = entry[4], entry[3]
        flat = entry[2] if entry[5] is None else entry[5]
        # The 1-d array outlives every view of these bytes: its death frees them.
        weakref.finalize(flat, self._released.append, (start, end))
        self._retired.append((start, end))
        self._retired.sort()
        self.last_escapes.append((index, weakref.ref(entry[2])))
        self.escapes += 1

    def _alloc_debug(self, dtype: Any, shape: Any, raise_full: bool) -> np.ndarray | None:
        if not self._active:
            self._inactive(dtype, shape, raise_full)
        layout = layout_of(dtype, shape)
        offset = self._offset
        start = self._place(offset, layout.nbytes, layout.align)
        while start < 0 and self._quarantine:
            self._release_quarantine(self._quarantine[0])  # room before time: verify first
            start = self._place(offset, layout.nbytes, layout.align)
        if start < 0:
            if not raise_full:
                return None
            self._raise_full(layout.nbytes, offset)
        view, flat = self._cut(start, layout)
        end = start + layout.nbytes
        self._outstanding.append((view, flat, _Site(start, end)))
        self._k += 1
        self._offset = end
        return view

    def _raise_full(self, nbytes: int, offset: int) -> NoReturn:
        retired = self.retired_bytes
        raise ArenaExhaustedError(
            f"frame arena exhausted: requested {nbytes} bytes with "
            f"{self.capacity - offset} of {self.capacity} free",
            note=f"arena size is {self.capacity} bytes per thread; {self._k} allocations are "
            "live in this frame"
            + (
                f"; {retired} bytes are set aside because views of them escaped their frame"
                if retired
                else ""
            ),
            help="enlarge it with AllocConfig().with_frame_arena_size(bytes), allocate "
            "less per frame, use heap_alloc() for large blocks, or drop frame arrays kept "
            "past end_frame()",
        )

    # --- escapes ----------------------------------------------------------------------------

    def held(self, count: int) -> list[tuple[int, weakref.ref[np.ndarray]]]:
        """The frame just ended's first ``count`` requests whose view is still referenced
        outside the arena (checked now, O(count): the behaviour filter's question), as
        ``(request index, weak reference to the view)``."""
        if self.debug:
            return [e for e in self.last_escapes if e[0] < count]
        found = []
        for index, entry in enumerate(self._cache[:count]):
            # the view: the cache's tuple and the argument (the slice holds the tuple)
            if _getrefcount(entry[2]) > _VIEW_FREE or (
                entry[5] is not None and _getrefcount(entry[5]) > _FLAT_FREE
            ):
                found.append((index, weakref.ref(entry[2])))
        return found

    def _apply_released(self) -> None:
        released = self._released
        if released:
            gone = set()
            while released:
                gone.add(released.popleft())
            self._retired = [r for r in self._retired if r not in gone]
            if self.debug:
                for start, end in sorted(gone):
                    site = self._escaped_sites.pop((start, end), None)
                    self._verify_poison(start, end, [site] if site is not None else [])
        if self._quarantine:
            frame = self._frames
            while self._quarantine and self._quarantine[0].expires <= frame:
                self._release_quarantine(self._quarantine[0])

    # --- debug mode -------------------------------------------------------------------------

    def _end_debug(self, keep: int) -> None:
        outstanding = self._outstanding
        if keep:
            ending = [o for o in outstanding if o[2].start >= keep]
            self._outstanding = [o for o in outstanding if o[2].start < keep]
        else:
            ending = outstanding
            self._outstanding = []
        if not ending:
            return
        sites = []
        for index, (view, flat, site) in enumerate(ending):
            # ``ending`` tuple + loop variable + call argument (+ the flat array's view)
            extra = _getrefcount(view) - 3
            if flat is not view:
                extra += _getrefcount(flat) - 4
            view.flags.writeable = False
            self.buffer[site.start : site.end].fill(POISON_BYTE)
            if extra > 0:
                self.escapes += 1
                self.last_escapes.append((index, weakref.ref(view)))
                weakref.finalize(flat, self._released.append, (site.start, site.end))
                self._retired.append((site.start, site.end))
                self._escaped_sites[(site.start, site.end)] = site
            else:
                sites.append(site)
        self._retired.sort()
        if sites:
            self._quarantine.append(
                _Quarantined(self._frames + self.quarantine_frames + 1, sites)
            )
        del view, flat

    def _release_quarantine(self, entry: _Quarantined) -> None:
        self._quarantine.remove(entry)
        for site in entry.sites:
            self._verify_poison(site.start, site.end, [site])

    def _verify_poison(self, start: int, end: int, sites: list[_Site]) -> None:
        region = self.buffer[start:end]
        bad = np.flatnonzero(region != POISON_BYTE)
        if not bad.size:
            return
        offset = start + int(bad[0])
        site = next((s for s in sites if s.start <= offset < s.end), None)
        region.fill(POISON_BYTE)  # report once
        raise LateWriteError(
            f"frame memory written after its frame ended: {bad.size} byte(s) at arena "
            f"offset {offset} changed while quarantined",
            note=(site.describe() if site is not None else "allocation site not recorded")
            + "; traceback of the allocation:\n"
            + (site.formatted() if site is not None else "  (unknown)"),
            help="do not keep frame arrays past end_frame(); copy what must survive, or use "
            "pool_alloc()/heap_alloc() for data that outlives the frame",
        )

    # --- checkpoints ------------------------------------------------------------------------

    def checkpoint(self) -> ArenaCheckpoint:
        """The current position, to roll back to later in the same frame."""
        return ArenaCheckpoint(self._k, self._current_offset())

    def rollback(self, checkpoint: ArenaCheckpoint) -> int:
        """Free everything allocated after ``checkpoint`` in O(1).

        A view rolled back but still held is found when the arena would reuse it, and its
        bytes are retired then, as at a frame end.

        Returns:
            How many allocations were freed.
        """
        index = checkpoint.index
        freed = self._k - index
        used = self._current_offset()
        if used > self.peak_offset:
            self.peak_offset = used
        if self.debug:
            self._end_debug(checkpoint.offset)
        # Views rolled back are checked when they would be reused, like a frame's.
        self._k = index
        self._offset = checkpoint.offset
        return freed

    def release(self) -> None:
        """Drop the buffer (the owning thread has exited); the arena is unusable after."""
        self._cache = [_END]
        self._outstanding = []
        self._quarantine = []
        self._escaped_sites.clear()
        self._mv = memoryview(b"")
        self.buffer = np.empty(0, dtype=np.uint8)
        self.capacity = 0

    def owns(self, array: np.ndarray) -> bool:
        """Whether ``array``'s memory lies in this arena."""
        return bool(np.shares_memory(array, self.buffer))
