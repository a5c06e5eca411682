"""Regions: fixed buffers whose byte ranges other parts place, view, move and poison.

The handle, streaming and scratch allocators manage *what* lives where (handles, stream
entries, named pools); a region does the byte work for them, so offsets stay numbers they
store and pass back and no other folder builds views over raw bytes:

* :class:`Region` places variable-sized blocks first-fit (an :class:`ExtentMap`), and can
  slide movable blocks down to close the gaps between them (:meth:`Region.compact`).
* :class:`BumpRegion` hands out consecutive ranges and frees them all at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from framealloc_engine.allocators.buffer import POISON_BYTE, aligned_buffer
from framealloc_engine.allocators.extents import ExtentMap, align_up

__all__ = ["BumpRegion", "Placed", "Region"]


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


class Region:
    """A fixed buffer of ``capacity`` bytes with first-fit placement.

    Args:
        capacity: Bytes of the buffer.
        debug: Fill released and vacated bytes with 0xCD.
        usable: Bytes placement may use (default: all of them).
    """

    __slots__ = ("_buf", "_debug", "_extents")

    def __init__(self, capacity: int, *, debug: bool = False, usable: int | None = None) -> None:
        self._buf = aligned_buffer(capacity)
        self._extents = ExtentMap(capacity if usable is None else usable)
        self._debug = debug

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
        return self._extents.allocate(size, align)

    def release(self, offset: int, size: int) -> None:
        """Give ``size`` bytes at ``offset`` back (poisoned in debug mode)."""
        self._extents.release(offset, size)
        if self._debug:
            self._buf[offset : offset + size] = POISON_BYTE

    def view(self, offset: int, shape: int | tuple[int, ...], dtype: Any) -> NDArray[Any]:
        """An array of ``shape`` and ``dtype`` over the bytes at ``offset``."""
        return np.ndarray(shape, dtype, buffer=self._buf, offset=offset)

    def compact(
        self, blocks: Sequence[B], movable: Callable[[B], bool], max_moves: int | None
    ) -> list[tuple[B, int]]:
        """Slide movable blocks toward offset 0, in address order, keeping their bytes.

        Blocks that may not move stay put and the next ones pack up against them. Each moved
        block's ``offset`` is updated.

        Args:
            blocks: Every placed block.
            movable: Whether a block may move now.
            max_moves: Stop after this many moves (``None``: compact fully).

        Returns:
            ``(block, old_offset)`` for every move, in the order made.
        """
        buf = self._buf
        extents = self._extents
        moves: list[tuple[B, int]] = []
        cursor = 0
        for block in sorted(blocks, key=lambda b: b.offset):
            if max_moves is not None and len(moves) >= max_moves:
                break
            old = block.offset
            size = block.span
            target = align_up(cursor, block.align)
            if target < old and movable(block):
                buf[target : target + size] = buf[old : old + size]  # overlap-safe
                extents.release(old, size)
                if not extents.allocate_at(target, size):  # pragma: no cover - invariant
                    raise RuntimeError("region compaction: target extent was not free")
                if self._debug:
                    vacated = max(old, target + size)
                    buf[vacated : old + size] = POISON_BYTE
                block.offset = target
                moves.append((block, old))
            cursor = block.offset + size
        return moves


class BumpRegion:
    """A fixed buffer handed out front to back and freed all at once.

    Args:
        capacity: Bytes of the buffer (> 0).
        debug: Fill the used bytes with 0xCD on :meth:`reset`.
    """

    __slots__ = ("_buf", "_debug", "capacity", "offset")

    def __init__(self, capacity: int, *, debug: bool = False) -> None:
        self._buf = aligned_buffer(capacity)
        self._debug = debug
        self.capacity = capacity
        self.offset = 0

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
        return np.ndarray(shape, dtype, buffer=self._buf, offset=start)

    def reset(self) -> None:
        """Free everything (poisoning the used bytes in debug mode)."""
        if self._debug and self.offset:
            self._buf[: self.offset] = POISON_BYTE
        self.offset = 0
