"""Regions: fixed buffers whose byte ranges other parts place, view, move and poison.

The handle, streaming and scratch allocators manage *what* lives where (handles, stream
entries, named pools); a region does the byte work for them, so offsets stay numbers they
store and pass back and no other folder builds views over raw bytes:

* :class:`Region` places variable-sized blocks first-fit (an :class:`ExtentMap`), and can
  slide movable blocks down to close the gaps between them (:meth:`Region.compact`).
* :class:`BumpRegion` hands out consecutive ranges and frees them all at once.

Both keep the package's safety contract: every array they make is built over a
``memoryview`` of its bytes, so it is the ``.base`` of everything derived from it and its
reference count counts every reference kept. Bytes whose array is still referenced are
never placed again: :meth:`Region.release` and :meth:`Region.compact` set them aside until
the last reference dies, and :meth:`BumpRegion.reset` swaps in a fresh buffer.
"""

from __future__ import annotations

import sys
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from framealloc_engine.allocators.buffer import POISON_BYTE, aligned_buffer
from framealloc_engine.allocators.extents import ExtentMap, align_up

__all__ = ["BumpRegion", "Placed", "Region", "make_array"]

_getrefcount = sys.getrefcount


def make_array(
    memory: memoryview, shape: int | tuple[int, ...], dtype: Any
) -> tuple[NDArray[Any], NDArray[Any]]:
    """An array of ``shape``/``dtype`` over ``memory`` that is its own collapse point, and the
    1-d array it reshapes (the same object for a 1-d array: then its reference count, and
    otherwise the 1-d array's, counts every array derived)."""
    dt = np.dtype(dtype)
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    count = 1
    for d in dims:
        count *= d
    flat = np.frombuffer(memory, dt, count)
    full = dims if dt.subdtype is None else dims + dt.subdtype[1]
    return (flat if flat.shape == full else flat.reshape(full)), flat


class Placed(Protocol):
    """A block a :class:`Region` may move: its place, size and alignment."""

    offset: int

    @property
    def span(self) -> int:
        """Bytes the block occupies."""

    @property
    def align(self) -> int:
        """Alignment of its start."""


B = TypeVar("B", bound=Placed)


class _Aside:
    """A set-aside range, an immovable obstacle during compaction."""

    __slots__ = ("offset", "span")
    align = 1

    def __init__(self, offset: int, span: int) -> None:
        self.offset = offset
        self.span = span


class Region:
    """A fixed buffer of ``capacity`` bytes with first-fit placement.

    Args:
        capacity: Bytes of the buffer.
        debug: Fill released and vacated bytes with 0xCD.
        usable: Bytes placement may use (default: all of them).
    """

    __slots__ = ("_aside", "_buf", "_debug", "_extents", "_mv", "_returned", "set_aside")

    def __init__(self, capacity: int, *, debug: bool = False, usable: int | None = None) -> None:
        self._buf = aligned_buffer(capacity)
        self._mv = self._buf.data
        self._extents = ExtentMap(capacity if usable is None else usable)
        self._debug = debug
        #: Ranges whose last array died (weak-reference callbacks, any thread).
        self._returned: deque[tuple[int, int]] = deque()
        #: Bytes set aside because an array over them is still referenced.
        self.set_aside = 0
        #: The set-aside ranges: obstacles compaction packs blocks against.
        self._aside: set[tuple[int, int]] = set()

    @property
    def capacity(self) -> int:
        """Bytes placement may use."""
        return self._extents.capacity

    @property
    def free_bytes(self) -> int:
        """Bytes not placed."""
        return self._extents.free_bytes

    @property
    def used(self) -> int:
        """Bytes placed (alignment padding handed out included)."""
        return self._extents.used

    def largest_free(self) -> int:
        """The largest free run in bytes."""
        return self._extents.largest_free()

    def place(self, size: int, align: int) -> int:
        """Reserve ``size`` bytes aligned to ``align``; the offset, or -1 when none fits."""
        if self._returned:
            self._take_returned()
        return self._extents.allocate(size, align)

    def release(self, offset: int, size: int, flat: NDArray[Any] | None = None) -> None:
        """Give ``size`` bytes at ``offset`` back (poisoned in debug mode).

        Args:
            offset: Start of the bytes.
            size: How many.
            flat: The 1-d array over them (see :func:`make_array`), when one was made. The
                caller passes its only reference: if anything else still references it, the
                bytes are set aside until it dies instead.
        """
        if self._debug:
            self._buf[offset : offset + size] = POISON_BYTE
        # the argument and ``flat`` below, beyond the caller's reference just handed over
        if flat is not None and _getrefcount(flat) > 3:
            self._set_aside(offset, size, flat)
            return
        self._extents.release(offset, size)

    def _set_aside(self, offset: int, size: int, holder: NDArray[Any]) -> None:
        """Keep ``[offset, offset + size)`` placed until ``holder`` dies."""
        self.set_aside += size
        self._aside.add((offset, size))
        weakref.finalize(holder, self._returned.append, (offset, size))

    def _take_returned(self) -> None:
        returned = self._returned
        while returned:
            offset, size = returned.popleft()
            self.set_aside -= size
            self._aside.discard((offset, size))
            self._extents.release(offset, size)

    def view(
        self, offset: int, shape: int | tuple[int, ...], dtype: Any, nbytes: int
    ) -> tuple[NDArray[Any], NDArray[Any]]:
        """An array of ``shape``/``dtype`` over the ``nbytes`` at ``offset``, and its 1-d array
        (see :func:`make_array`)."""
        return make_array(self._mv[offset : offset + nbytes], shape, dtype)

    def compact(
        self,
        blocks: Sequence[B],
        movable: Callable[[B], bool],
        max_moves: int | None,
        moved: Callable[[B, int], NDArray[Any] | None],
    ) -> list[tuple[B, int]]:
        """Slide movable blocks toward offset 0, in address order, keeping their bytes.

        Blocks that may not move stay put and the next ones pack up against them. Each moved
        block's ``offset`` is updated, then ``moved(block, old_offset)`` publishes its new
        array and hands over the old 1-d array (if any): if something still references it
        (a reader racing the move), the bytes it covers stay set aside until it dies.

        Args:
            blocks: Every placed block.
            movable: Whether a block may move now (pinned, or its array referenced: no).
            max_moves: Stop after this many moves (``None``: compact fully).
            moved: Called after each move (see above).

        Returns:
            ``(block, old_offset)`` for every move, in the order made.
        """
        if self._returned:
            self._take_returned()
        buf = self._buf
        extents = self._extents
        moves: list[tuple[B, int]] = []
        cursor = 0
        # set-aside ranges stay where they are: the blocks after them pack up against them
        obstacles = [_Aside(offset, size) for offset, size in self._aside]
        ordered: list[Any] = sorted([*blocks, *obstacles], key=lambda b: b.offset)
        for block in ordered:
            if max_moves is not None and len(moves) >= max_moves:
                break
            old = block.offset
            size = block.span
            target = align_up(cursor, block.align)
            if target < old and block.__class__ is not _Aside and movable(block):
                buf[target : target + size] = buf[old : old + size]  # overlap-safe
                extents.release(old, size)
                if not extents.allocate_at(target, size):  # pragma: no cover - invariant
                    raise RuntimeError("region compaction: target extent was not free")
                vacated = max(old, target + size)
                if self._debug:
                    buf[vacated : old + size] = POISON_BYTE
                block.offset = target
                moves.append((block, old))
                stale = moved(block, old)
                if stale is not None and vacated < old + size and _getrefcount(stale) > 2:
                    # a reader took the old array before the move was published: its bytes
                    # stay out of use until it lets go (its writes reach no other block)
                    extents.allocate_at(vacated, old + size - vacated)
                    self._set_aside(vacated, old + size - vacated, stale)
                del stale
            cursor = block.offset + size
        return moves


class BumpRegion:
    """A fixed buffer handed out front to back and freed all at once.

    Every array is cut from one 1-d array over the whole buffer (its collapse point), so a
    single reference count tells at :meth:`reset` whether an array of the last generation is
    still referenced; if one is, the region moves to a fresh buffer and the old one lives on
    until its last array dies (never handed out again).

    Args:
        capacity: Bytes of the buffer (> 0).
        debug: Fill the used bytes with 0xCD on :meth:`reset`.
    """

    __slots__ = ("_base", "_buf", "_debug", "capacity", "offset", "swaps")

    def __init__(self, capacity: int, *, debug: bool = False) -> None:
        self._buf = aligned_buffer(capacity)
        self._base = np.frombuffer(self._buf.data, np.uint8)
        self._debug = debug
        self.capacity = capacity
        self.offset = 0
        #: Resets that found arrays still referenced and moved to a fresh buffer.
        self.swaps = 0

    def fits(self, nbytes: int, align: int) -> bool:
        """Whether ``nbytes`` aligned to ``align`` fit after the used part."""
        return align_up(self.offset, align) + nbytes <= self.capacity

    def take(self, shape: int | tuple[int, ...], dtype: Any, nbytes: int, align: int) -> (
        NDArray[Any] | None
    ):
        """An array over the next ``nbytes`` aligned to ``align``, or ``None`` when full."""
        start = align_up(self.offset, align)
        end = start + nbytes
        if end > self.capacity:
            return None
        self.offset = end
        return np.ndarray(shape, dtype, buffer=self._base, offset=start)

    def reset(self) -> None:
        """Free everything (poisoning the used bytes in debug mode)."""
        if self._debug and self.offset:
            self._buf[: self.offset] = POISON_BYTE
        # ``_base`` and the call's argument: anything more is an array still referenced
        if _getrefcount(self._base) > 2:
            self.swaps += 1
            self._buf = aligned_buffer(self.capacity)
            self._base = np.frombuffer(self._buf.data, np.uint8)
        self.offset = 0
