"""The system heap: large blocks in shared regions, behind one lock.

Blocks that fit a region are placed first-fit in regions of ``region_size`` bytes (freed
extents coalesce). Larger blocks get a dedicated region that is released when freed.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from framealloc_engine.allocators.buffer import POISON_BYTE, aligned_buffer, data_address
from framealloc_engine.allocators.extents import ExtentMap, align_up
from framealloc_engine.allocators.layout import layout_of
from framealloc_engine.errors import DoubleFreeError, InvalidFreeError

__all__ = ["HeapBlock", "SystemHeap"]


class _Region:
    __slots__ = ("buffer", "dedicated", "extents")

    def __init__(self, size: int, dedicated: bool) -> None:
        self.buffer = aligned_buffer(size)
        self.extents = ExtentMap(size)
        self.dedicated = dedicated


class HeapBlock:
    """A live heap block: its region, offset, size and the array over it."""

    __slots__ = ("array", "offset", "region", "size")

    def __init__(self, region: _Region, offset: int, size: int, array: np.ndarray) -> None:
        self.region = region
        self.offset = offset
        self.size = size
        self.array = array


class SystemHeap:
    """Large-block allocator shared by all threads.

    Args:
        region_size: Bytes per shared region.
        reserve: Called with a byte count before a region is created; raises to refuse.
        release: Called with a byte count when a region is returned to the system.
        debug: Poison freed blocks and freeze freed arrays.
    """

    def __init__(
        self,
        region_size: int,
        reserve: Callable[[int], None],
        release: Callable[[int], None],
        *,
        debug: bool = False,
    ) -> None:
        self.region_size = region_size
        self._reserve = reserve
        self._release = release
        self.debug = debug
        self._lock = threading.Lock()
        self._regions: list[_Region] = []
        self._live: dict[int, HeapBlock] = {}
        self._freed: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()
        self.alloc_count = 0
        self.free_count = 0
        self.allocated_bytes = 0
        self.freed_bytes = 0
        self.reserved_bytes = 0

    def alloc(self, dtype: Any, shape: Any = ()) -> tuple[np.ndarray, int]:
        """Allocate an array; returns it and the block size charged for it."""
        layout = layout_of(dtype, shape)
        size = max(16, align_up(layout.nbytes, 16))
        with self._lock:
            region, offset = self._place(size, layout.align)
            array: np.ndarray = np.ndarray(layout.shape, layout.dtype, region.buffer, offset)
            self._live[id(array)] = HeapBlock(region, offset, size, array)
            self.alloc_count += 1
            self.allocated_bytes += size
        return array, size

    def _place(self, size: int, align: int) -> tuple[_Region, int]:
        if size > self.region_size // 2:
            self._reserve(size)
            region = _Region(size, dedicated=True)
            self.reserved_bytes += size
            offset = region.extents.allocate(size, align)
            self._regions.append(region)
            return region, offset
        for region in self._regions:
            if not region.dedicated and region.extents.largest_free() >= size:
                offset = region.extents.allocate(size, align)
                if offset >= 0:
                    return region, offset
        self._reserve(self.region_size)
        region = _Region(self.region_size, dedicated=False)
        self.reserved_bytes += self.region_size
        self._regions.append(region)
        return region, region.extents.allocate(size, align)

    def free(self, array: np.ndarray) -> int:
        """Free a heap array; returns the block size.

        Raises:
            DoubleFreeError: (FA401) already freed.
            InvalidFreeError: (FA401) not a heap array.
        """
        with self._lock:
            block = self._live.pop(id(array), None)
            if block is None:
                raise self._bad_free(array)
            region = block.region
            if self.debug:
                array.flags.writeable = False
                region.buffer[block.offset : block.offset + block.size].fill(POISON_BYTE)
            if region.dedicated:
                self._regions.remove(region)
                self.reserved_bytes -= region.extents.capacity
                self._release(region.extents.capacity)
            else:
                region.extents.release(block.offset, block.size)
            self._freed[id(array)] = array
            self.free_count += 1
            self.freed_bytes += block.size
            return block.size

    def _bad_free(self, array: object) -> Exception:
        if isinstance(array, np.ndarray) and self._freed.get(id(array)) is array:
            return DoubleFreeError(
                "heap array freed twice",
                note=f"array of dtype {array.dtype} and shape {array.shape} was already freed",
            )
        if isinstance(array, np.ndarray):
            address = data_address(array)
            for region in self._regions:
                start = data_address(region.buffer)
                if start <= address < start + region.extents.capacity:
                    return DoubleFreeError(
                        "heap array freed twice (or a slice of a heap array was freed)",
                        note=f"array of dtype {array.dtype} and shape {array.shape} is not live",
                    )
        return InvalidFreeError(
            "heap_free() got an array the heap did not hand out",
            note=f"got {type(array).__name__}",
        )

    def owns(self, array: np.ndarray) -> bool:
        """Whether ``array`` is a live heap allocation."""
        return id(array) in self._live

    @property
    def live_count(self) -> int:
        """Number of live heap blocks."""
        return len(self._live)

    @property
    def live_bytes(self) -> int:
        """Bytes of live heap blocks."""
        return self.allocated_bytes - self.freed_bytes
