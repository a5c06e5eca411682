"""The system heap: large blocks in shared regions, behind one lock, O(1) alloc and free.

Blocks that fit a region are placed in regions of ``region_size`` bytes with segregated fits
(a two-level set of size bins and a bitmap of the non-empty ones, as in TLSF): an allocation
finds a free block in a bin large enough with two bit operations, splits off the rest; a free
merges the block with its free neighbours through the tables of free block starts and ends.
Neither walks the free blocks, however many are live. Larger blocks get a dedicated region,
returned to the system when freed.

**Freed bytes are reused only once nothing references them.** Each array is built over a
``memoryview`` of its block, so it is the ``.base`` of every array derived from it; when it is
freed, the block returns to the free bins only when the array and everything derived from it
are gone (a weak reference's callback queues it, and the next heap call applies the queue). A
late write through a kept reference therefore never reaches another allocation. Debug mode
also poisons freed blocks with 0xCD, freezes the freed array, and verifies the poison when the
block comes back (``LateWriteError`` names where it was allocated).
"""

from __future__ import annotations

import threading
import traceback
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from framealloc_engine.allocators.buffer import (
    POISON_BYTE,
    aligned_buffer,
    allocation_site,
    data_address,
)
from framealloc_engine.allocators.extents import align_up
from framealloc_engine.allocators.layout import layout_of
from framealloc_engine.errors import DoubleFreeError, InvalidFreeError, LateWriteError

__all__ = ["HeapBlock", "SystemHeap"]

#: Sub-bins per power of two (2 bits, as in TLSF).
_SL_BITS = 2
_MIN_BLOCK = 16


def _bin_of(size: int) -> int:
    """The bin a free block of ``size`` bytes is filed in."""
    fl = size.bit_length() - 1
    if fl < _SL_BITS:
        return size
    sl = (size >> (fl - _SL_BITS)) & ((1 << _SL_BITS) - 1)
    return (fl << _SL_BITS) | sl


def _search_bin(size: int) -> int:
    """The first bin whose every block holds ``size`` bytes (the size rounded up to the next
    bin boundary)."""
    fl = size.bit_length() - 1
    if fl >= _SL_BITS:
        size += (1 << (fl - _SL_BITS)) - 1
    return _bin_of(size)


class _Region:
    __slots__ = ("buffer", "dedicated", "ends", "index", "memory", "size", "starts")

    def __init__(self, index: int, size: int, dedicated: bool) -> None:
        self.index = index
        self.size = size
        self.buffer = aligned_buffer(size)
        self.memory = self.buffer.data
        self.dedicated = dedicated
        #: Free blocks by start (-> size) and by end (-> start): neighbours merge in O(1).
        self.starts: dict[int, int] = {}
        self.ends: dict[int, int] = {}


class HeapBlock:
    """A live heap block: its region, offset, size and the array over it."""

    __slots__ = ("array", "flat", "offset", "region", "site", "size")

    def __init__(
        self, region: _Region, offset: int, size: int, array: np.ndarray, flat: np.ndarray
    ) -> None:
        self.region = region
        self.offset = offset
        self.size = size
        self.array = array
        self.flat = flat
        self.site: list[Any] | None = None


class SystemHeap:
    """Large-block allocator shared by all threads.

    Args:
        region_size: Bytes per shared region.
        reserve: Called with a byte count before a region is created; raises to refuse.
        release: Called with a byte count when a region is returned to the system.
        debug: Poison freed blocks, freeze freed arrays, verify the poison on reuse.
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
        self._regions: dict[int, _Region] = {}
        self._next_region = 0
        #: bin -> {(region index, start): size}; ``_mask`` has a bit set per non-empty bin.
        self._bins: dict[int, dict[tuple[int, int], int]] = {}
        self._mask = 0
        self._live: dict[int, HeapBlock] = {}
        self._freed: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()
        #: Freed blocks whose arrays just died (weak-reference callbacks, any thread).
        self._returned: deque[HeapBlock] = deque()
        #: Freed blocks whose arrays are still referenced.
        self.held_count = 0
        self.alloc_count = 0
        self.free_count = 0
        self.allocated_bytes = 0
        self.freed_bytes = 0
        self.reserved_bytes = 0

    # --- allocation -------------------------------------------------------------------------

    def alloc(self, dtype: Any, shape: Any = ()) -> tuple[np.ndarray, int]:
        """Allocate an array; returns it and the block size charged for it."""
        layout = layout_of(dtype, shape)
        size = max(_MIN_BLOCK, align_up(layout.nbytes, _MIN_BLOCK))
        # A block is 16-byte aligned; a stricter dtype alignment gets room to align inside.
        span = size + (layout.align - _MIN_BLOCK if layout.align > _MIN_BLOCK else 0)
        with self._lock:
            if self._returned:
                self._take_returned()
            region, start, span = self._place(span)
            offset = align_up(start, layout.align)
            dt = layout.dtype
            flat = np.frombuffer(
                region.memory[offset : offset + layout.nbytes], dt,
                layout.nbytes // dt.itemsize if dt.itemsize else 0,
            )  # fmt: skip
            full = layout.shape if dt.subdtype is None else layout.shape + dt.subdtype[1]
            array = flat if flat.shape == full else flat.reshape(full)
            block = HeapBlock(region, start, span, array, flat)
            if self.debug:
                block.site = allocation_site()
            self._live[id(array)] = block
            self.alloc_count += 1
            self.allocated_bytes += size
        return array, size

    def _place(self, size: int) -> tuple[_Region, int, int]:
        """A region, start and the bytes taken there (at least ``size``)."""
        if size > self.region_size // 2:
            self._reserve(size)
            region = self._new_region(size, dedicated=True)
            return region, 0, size
        index = _search_bin(size)
        candidates = self._mask >> index
        if not candidates:
            self._reserve(self.region_size)
            region = self._new_region(self.region_size, dedicated=False)
            self._insert(region, 0, self.region_size)
            candidates = self._mask >> index
        found = index + (candidates & -candidates).bit_length() - 1
        (region_index, start), free_size = self._pop(found)
        region = self._regions[region_index]
        if free_size - size >= _MIN_BLOCK:
            self._insert(region, start + size, free_size - size)
        else:
            size = free_size  # a remainder too small to file goes with the block
        return region, start, size

    def _new_region(self, size: int, *, dedicated: bool) -> _Region:
        region = _Region(self._next_region, size, dedicated)
        self._next_region += 1
        self._regions[region.index] = region
        self.reserved_bytes += size
        return region

    # --- free bins --------------------------------------------------------------------------

    def _insert(self, region: _Region, start: int, size: int) -> None:
        """File a free block, merged with its free neighbours first."""
        before = region.ends.pop(start, None)
        if before is not None:
            size += start - before
            self._unfile(region, before, region.starts.pop(before))
            start = before
        after = region.starts.pop(start + size, None)
        if after is not None:
            region.ends.pop(start + size + after)
            self._unfile(region, start + size, after)
            size += after
        region.starts[start] = size
        region.ends[start + size] = start
        index = _bin_of(size)
        bin_ = self._bins.get(index)
        if bin_ is None:
            bin_ = self._bins[index] = {}
        bin_[(region.index, start)] = size
        self._mask |= 1 << index

    def _unfile(self, region: _Region, start: int, size: int) -> None:
        index = _bin_of(size)
        bin_ = self._bins[index]
        del bin_[(region.index, start)]
        if not bin_:
            self._mask &= ~(1 << index)

    def _pop(self, index: int) -> tuple[tuple[int, int], int]:
        bin_ = self._bins[index]
        key, size = bin_.popitem()
        if not bin_:
            self._mask &= ~(1 << index)
        region = self._regions[key[0]]
        del region.starts[key[1]]
        del region.ends[key[1] + size]
        return key, size

    # --- freeing ----------------------------------------------------------------------------

    def free(self, array: np.ndarray) -> int:
        """Free a heap array; returns the block size. Its bytes are reused once nothing
        references the array (or anything derived from it).

        Raises:
            DoubleFreeError: (FA401) already freed.
            InvalidFreeError: (FA401) not a heap array.
        """
        with self._lock:
            block = self._live.pop(id(array), None)
            if block is None:
                raise self._bad_free(array)
            if self.debug:
                array.flags.writeable = False
                block.region.buffer[block.offset : block.offset + block.size].fill(POISON_BYTE)
            self._freed[id(array)] = array
            self.free_count += 1
            charged = max(_MIN_BLOCK, align_up(array.nbytes, _MIN_BLOCK))
            self.freed_bytes += charged
            self.held_count += 1
            flat = block.flat
            block.array = block.flat = None  # type: ignore[assignment]
            weakref.finalize(flat, self._returned.append, block)
            del flat
            if self._returned:
                self._take_returned()
            return charged

    def _take_returned(self) -> None:
        """Give the blocks whose arrays died back to the bins (the caller holds the lock)."""
        returned = self._returned
        while returned:
            block = returned.popleft()
            self.held_count -= 1
            region = block.region
            if self.debug:
                self._verify_poison(block)
            if region.dedicated:
                del self._regions[region.index]
                self.reserved_bytes -= region.size
                self._release(region.size)
            else:
                self._insert(region, block.offset, block.size)

    def collect(self) -> None:
        """Apply the queue of returned blocks now (the next heap call would)."""
        with self._lock:
            self._take_returned()

    def _verify_poison(self, block: HeapBlock) -> None:
        region = block.region.buffer[block.offset : block.offset + block.size]
        bad = np.flatnonzero(region != POISON_BYTE)
        if not bad.size:
            return
        region.fill(POISON_BYTE)  # report once
        stack = block.site or []
        frame = stack[-1] if stack else None
        where = f"{frame.filename}:{frame.lineno} in {frame.name}" if frame else "unknown"
        raise LateWriteError(
            f"heap memory written after it was freed: {bad.size} byte(s) of a "
            f"{block.size}-byte block changed",
            note=f"the block was allocated at {where}; traceback of the allocation:\n"
            + "".join(traceback.format_list(stack)),
            help="do not use a heap array after heap_free() (or its HeapBox after close())",
        )

    def _bad_free(self, array: object) -> Exception:
        if isinstance(array, np.ndarray) and self._freed.get(id(array)) is array:
            return DoubleFreeError(
                "heap array freed twice",
                note=f"array of dtype {array.dtype} and shape {array.shape} was already freed",
            )
        if isinstance(array, np.ndarray):
            address = data_address(array)
            for region in self._regions.values():
                start = data_address(region.buffer)
                if start <= address < start + region.size:
                    return DoubleFreeError(
                        "heap array freed twice (or a slice of a heap array was freed)",
                        note=f"array of dtype {array.dtype} and shape {array.shape} is not live",
                    )
        return InvalidFreeError(
            "heap_free() got an array the heap did not hand out",
            note=f"got {type(array).__name__}",
        )

    # --- introspection ----------------------------------------------------------------------

    def owns(self, array: np.ndarray) -> bool:
        """Whether ``array`` is a live heap allocation."""
        return id(array) in self._live

    def live_blocks(self) -> list[HeapBlock]:
        """The live blocks (a snapshot)."""
        with self._lock:
            return list(self._live.values())

    @property
    def live_count(self) -> int:
        """Number of live heap blocks."""
        return len(self._live)

    @property
    def live_bytes(self) -> int:
        """Bytes of live heap blocks."""
        return self.allocated_bytes - self.freed_bytes
