"""A first-fit free-extent map over one contiguous byte range.

The heap, the handle allocator and the streaming allocator all place variable-sized blocks
in a fixed buffer; this is the piece they share. It only does offset arithmetic: callers own
the bytes and the locking.
"""

from __future__ import annotations

import bisect

__all__ = ["ExtentMap", "align_up"]


def align_up(value: int, align: int) -> int:
    """Round ``value`` up to a multiple of ``align`` (a power of two)."""
    return (value + align - 1) & -align


class ExtentMap:
    """Free extents of a range ``[0, capacity)``, kept sorted and coalesced.

    Args:
        capacity: Size of the managed range in bytes.

    Example::

        em = ExtentMap(1024)
        off = em.allocate(100, 16)   # -> 0
        em.release(off, 100)
    """

    __slots__ = ("_capacity", "_sizes", "_starts", "_used")

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self._capacity = capacity
        self._starts: list[int] = [0]
        self._sizes: dict[int, int] = {0: capacity}
        self._used = 0

    @property
    def capacity(self) -> int:
        """Size of the managed range."""
        return self._capacity

    @property
    def used(self) -> int:
        """Bytes currently allocated (including alignment padding handed out)."""
        return self._used

    @property
    def free_bytes(self) -> int:
        """Bytes in free extents."""
        return self._capacity - self._used

    def largest_free(self) -> int:
        """Size of the largest free extent (0 when full)."""
        return max(self._sizes.values(), default=0)

    def free_extents(self) -> list[tuple[int, int]]:
        """The free extents as sorted ``(start, size)`` pairs."""
        return [(s, self._sizes[s]) for s in self._starts]

    def allocate(self, size: int, align: int = 16) -> int:
        """Take ``size`` bytes aligned to ``align``; return the offset, or -1 if none fits.

        Padding before an aligned start stays free, so releases need only
        ``(offset, size)``.
        """
        if size <= 0:
            raise ValueError(f"size must be positive, got {size}")
        sizes = self._sizes
        for start in self._starts:
            extent = sizes[start]
            aligned = align_up(start, align)
            pad = aligned - start
            if extent - pad < size:
                continue
            self._take(start, extent, aligned, size)
            return aligned
        return -1

    def allocate_at(self, offset: int, size: int) -> bool:
        """Take exactly ``[offset, offset+size)`` if it lies in one free extent."""
        i = bisect.bisect_right(self._starts, offset) - 1
        if i < 0:
            return False
        start = self._starts[i]
        extent = self._sizes[start]
        if offset + size > start + extent:
            return False
        self._take(start, extent, offset, size)
        return True

    def _take(self, start: int, extent: int, at: int, size: int) -> None:
        starts = self._starts
        sizes = self._sizes
        i = bisect.bisect_left(starts, start)
        del starts[i]
        del sizes[start]
        head = at - start
        tail = start + extent - (at + size)
        if head:
            starts.insert(i, start)
            sizes[start] = head
            i += 1
        if tail:
            tail_start = at + size
            starts.insert(i, tail_start)
            sizes[tail_start] = tail
        self._used += size

    def release(self, offset: int, size: int) -> None:
        """Return ``[offset, offset+size)``; merges with neighbouring free extents.

        Raises:
            ValueError: the range is outside the map or overlaps a free extent.
        """
        if size <= 0 or offset < 0 or offset + size > self._capacity:
            raise ValueError(f"extent ({offset}, {size}) outside [0, {self._capacity})")
        starts = self._starts
        sizes = self._sizes
        i = bisect.bisect_left(starts, offset)
        if i < len(starts) and starts[i] < offset + size:
            raise ValueError(f"extent ({offset}, {size}) overlaps a free extent")
        if i > 0:
            prev = starts[i - 1]
            if prev + sizes[prev] > offset:
                raise ValueError(f"extent ({offset}, {size}) overlaps a free extent")
        new_start, new_size = offset, size
        # merge with the following extent
        if i < len(starts) and starts[i] == offset + size:
            nxt = starts[i]
            new_size += sizes.pop(nxt)
            del starts[i]
        # merge with the preceding extent
        if i > 0:
            prev = starts[i - 1]
            if prev + sizes[prev] == offset:
                sizes[prev] += new_size
                self._used -= size
                return
        starts.insert(i, new_start)
        sizes[new_start] = new_size
        self._used -= size

    def reset(self) -> None:
        """Free everything."""
        self._starts = [0]
        self._sizes = {0: self._capacity}
        self._used = 0
