"""Handle-based allocation: stable handles to relocatable blocks in one fixed buffer.

A :class:`Handle` is an ``(index, generation)`` pair, not memory. :meth:`HandleAllocator.resolve`
turns it into a numpy view of the block's bytes; :meth:`HandleAllocator.defragment` may move
blocks, so a view is valid only until the next defragment (or an allocation that had to
defragment to fit). Re-resolve instead of keeping views, or pin what you hold::

    handles = HandleAllocator(capacity_bytes=1 << 20)
    h = handles.alloc(np.float32, (1024, 3))
    handles.resolve(h)[:] = 0.0
    with handles.pinned(h) as pts:   # pts stays put, even across defragment()
        pts += 1.0
    handles.defragment()
    handles.resolve(h)               # same handle, same bytes, maybe a new place

Thread safety: every mutating call takes one lock; :meth:`~HandleAllocator.resolve` and
:meth:`~HandleAllocator.is_valid` are lock-free (they read one ``(generation, view)`` pair
from a list, which is atomic), so they stay close to a dict lookup.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, SupportsIndex

import numpy as np
from numpy.typing import DTypeLike, NDArray

from framealloc_engine.allocators import backend
from framealloc_engine.allocators.layout import normalize_dtype, normalize_shape
from framealloc_engine.allocators.region import Region
from framealloc_engine.errors import (
    AllocationSizeError,
    BudgetExceededError,
    FrameAllocError,
    StaleHandleError,
)

__all__ = [
    "MIN_BLOCK_ALIGN",
    "Handle",
    "HandleAllocator",
    "HandlePinError",
    "HandleSpaceError",
    "HandleStats",
    "Relocation",
    "RelocationCallback",
    "ShapeLike",
]

#: Every block starts on a multiple of ``max(MIN_BLOCK_ALIGN, dtype.alignment)``.
MIN_BLOCK_ALIGN = 16

#: What ``alloc`` accepts as a shape: an int, or a sequence of ints (numpy ints included).
ShapeLike = SupportsIndex | Sequence[SupportsIndex]

#: ``fn(handle, old_offset, new_offset)``, called for every block :meth:`defragment` moves.
RelocationCallback = Callable[["Handle", int, int], None]


class HandleSpaceError(BudgetExceededError):
    """FA301: the handle allocator's buffer has no room, even after defragmenting.

    Raised only when the request *could* fit an empty allocator; a request larger than the
    whole capacity raises :class:`~framealloc_engine.errors.AllocationSizeError` instead.
    """

    code = "FA301"
    default_help = (
        "free handles you no longer need, unpin blocks so defragment() can move them, or "
        "create the HandleAllocator with a larger capacity_bytes"
    )


class HandlePinError(FrameAllocError, RuntimeError):
    """FA401: pins were misused (``unpin`` without ``pin``, or ``free`` of a pinned block)."""

    code = "FA401"
    default_help = "pair every pin() with one unpin(), or use `with handles.pinned(h):`"


@dataclass(frozen=True, slots=True, order=True)
class Handle:
    """A stable reference to a block of a :class:`HandleAllocator`.

    Small, immutable, hashable and ordered (by index, then generation). The generation
    changes when the slot is freed, so an old handle never reaches a new block.

    Attributes:
        index: Slot index in the allocator's table.
        generation: Generation of the slot when this handle was issued.
    """

    index: int
    generation: int

    def __post_init__(self) -> None:
        if self.index < 0 or self.generation < 0:
            raise ValueError(f"handle index and generation must be >= 0, got {self}")


@dataclass(frozen=True, slots=True)
class Relocation:
    """One block moved by :meth:`HandleAllocator.defragment`.

    Attributes:
        handle: The moved block's handle (still valid).
        old_offset: Byte offset before the move.
        new_offset: Byte offset after the move (always lower).
        nbytes: Bytes copied.
    """

    handle: Handle
    old_offset: int
    new_offset: int
    nbytes: int


@dataclass(frozen=True, slots=True)
class HandleStats:
    """A snapshot of a :class:`HandleAllocator`.

    Attributes:
        live: Live handles.
        pinned: Live handles with at least one pin.
        bytes_used: Bytes held by live blocks (alignment padding excluded).
        capacity: Size of the buffer in bytes.
        free_bytes: Bytes not held by any block.
        largest_free: Largest contiguous free run, the biggest block that fits now.
        fragmentation: ``1 - largest_free / free_bytes`` (0.0 when nothing is free).
        relocations_total: Blocks moved since creation.
        defragment_calls: Calls of :meth:`HandleAllocator.defragment`, plus automatic ones.
    """

    live: int
    pinned: int
    bytes_used: int
    capacity: int
    free_bytes: int
    largest_free: int
    fragmentation: float
    relocations_total: int
    defragment_calls: int


class _Block:
    """Cold per-slot metadata (the hot path reads only ``_entries``)."""

    __slots__ = ("align", "dtype", "flat", "handle", "nbytes", "offset", "pins", "shape", "size")

    def __init__(
        self,
        handle: Handle,
        offset: int,
        size: int,
        nbytes: int,
        align: int,
        dtype: np.dtype[Any],
        shape: tuple[int, ...],
    ) -> None:
        self.handle = handle
        self.offset = offset
        self.size = size
        self.nbytes = nbytes
        self.align = align
        self.dtype = dtype
        self.shape = shape
        self.pins = 0
        #: The 1-d array under the block's view: it counts every array derived from it.
        self.flat: NDArray[Any] | None = None

    @property
    def span(self) -> int:
        """Bytes the block occupies in the buffer."""
        return self.size


# Each allocator numbers its slots' generations from its own base, so a handle of another
# allocator never matches a slot here (it would take 2**40 reuses of one slot to get there).
_GENERATION_BITS = 40
_allocators = itertools.count()
_getrefcount = sys.getrefcount

# alloc() builds handles without re-validating fields it computed itself.
_new_handle = object.__new__
_set_field = object.__setattr__

# Distinct (dtype, shape) requests remembered; beyond this they are validated every time.
_LAYOUT_CACHE_LIMIT = 4096

# A free slot holds (_FREE, _DEAD): no handle has a negative generation, so none matches.
_FREE = -1
_DEAD: NDArray[Any] = np.empty(0, dtype=np.uint8)
_DEAD.flags.writeable = False


class HandleAllocator:
    """Relocatable blocks in one preallocated buffer, reached through :class:`Handle`.

    Args:
        capacity_bytes: Size of the buffer. Fixed: the allocator never grows.
        debug: Fill freed and vacated bytes with 0xCD.
        auto_defragment: When a request does not fit but enough bytes are free, run one
            full :meth:`defragment` and retry before raising :class:`HandleSpaceError`.
            Such an allocation moves unpinned blocks (relocation callbacks fire).

    Views from :meth:`resolve` are valid until the next relocation; the allocator makes
    the view it handed out read-only when its block moves or is freed, so late writes
    through it raise ``ValueError`` (slices taken from it are not frozen).
    """

    def __init__(
        self,
        capacity_bytes: int = 1 << 20,
        *,
        debug: bool = False,
        auto_defragment: bool = True,
    ) -> None:
        if isinstance(capacity_bytes, bool) or not isinstance(capacity_bytes, int):
            raise AllocationSizeError(f"capacity_bytes must be an int, got {capacity_bytes!r}")
        if capacity_bytes <= 0:
            raise AllocationSizeError(
                f"capacity_bytes must be positive, got {capacity_bytes}",
                help="give the allocator room, e.g. HandleAllocator(capacity_bytes=1 << 20)",
            )
        self._capacity = capacity_bytes
        self._region = Region(capacity_bytes, debug=debug)
        self._auto_defragment = auto_defragment
        # Hot table: one (generation, view) tuple per slot, replaced whole so a lock-free
        # reader always sees a matching pair.
        self._entries: list[tuple[int, NDArray[Any]]] = []
        # The slot's current generation (the next one to issue while the slot is free).
        self._generations: list[int] = []
        self._blocks: list[_Block | None] = []
        resolver = backend.handle_resolver(self._entries, self._stale)
        if resolver is not None:  # the same lookup in C
            self.resolve = resolver  # type: ignore[method-assign,assignment]
        self._free_slots: list[int] = []
        self._lock = threading.RLock()
        self._first_generation = next(_allocators) << _GENERATION_BITS
        self._callbacks: list[RelocationCallback] = []
        self._layouts: dict[
            tuple[object, object], tuple[np.dtype[Any], tuple[int, ...], int, int]
        ] = {}
        self._bytes_used = 0
        self._relocations = 0
        self._defrag_calls = 0

    @property
    def capacity(self) -> int:
        """Size of the buffer in bytes."""
        return self._capacity

    # -- allocation -------------------------------------------------------------------------

    def alloc(self, dtype: DTypeLike, shape: ShapeLike = ()) -> Handle:
        """Allocate an (uninitialised, like ``np.empty``) array block; return its handle.

        Args:
            dtype: Any numpy dtype spec, structured dtypes included.
            shape: Array shape; ``()`` is one scalar element.

        Returns:
            A handle for :meth:`resolve`.

        Raises:
            AllocationTypeError: object or unsized dtype (FA004).
            AllocationSizeError: negative shape, or larger than the whole capacity (FA004).
            HandleSpaceError: no room now, even after defragmenting (FA301).
        """
        # The cache is keyed by the objects passed; only plain-int shapes may use it, since
        # 4.0 == 4 and True == 1 would otherwise hit entries made for valid shapes.
        plain = type(shape) is int
        if type(shape) is tuple:
            plain = True
            for d in shape:
                if type(d) is not int:
                    plain = False
                    break
        layout = None
        if plain:
            try:
                layout = self._layouts[dtype, shape]
            except (KeyError, TypeError):  # first use, or an unhashable dtype spec
                layout = None
        if layout is None:
            layout = self._layout(dtype, shape)
        dt, shp, nbytes, align = layout
        size = nbytes or 1
        with self._lock:
            region = self._region
            offset = region.place(size, align)
            if offset < 0 and self._auto_defragment and region.free_bytes >= size:
                self._defragment_locked(None)
                offset = region.place(size, align)
            if offset < 0:
                raise self._space_error(size, align)
            if self._free_slots:
                index = self._free_slots.pop()
                generation = self._generations[index]
            else:
                index = len(self._entries)
                generation = self._first_generation
                self._entries.append((_FREE, _DEAD))
                self._generations.append(generation)
                self._blocks.append(None)
            handle = _new_handle(Handle)
            _set_field(handle, "index", index)
            _set_field(handle, "generation", generation)
            view, flat = region.view(offset, shp, dt, nbytes)
            block = _Block(handle, offset, size, nbytes, align, dt, shp)
            block.flat = flat
            del flat
            self._blocks[index] = block
            self._entries[index] = (generation, view)
            self._bytes_used += nbytes
            return handle

    def free(self, handle: Handle) -> None:
        """Free a block. Its handle, and every copy of it, becomes stale.

        Raises:
            StaleHandleError: the handle is stale or unknown (FA401).
            HandlePinError: the block is pinned (FA401).
        """
        with self._lock:
            block = self._block(handle)
            if block.pins:
                raise HandlePinError(
                    f"cannot free {handle}: it is pinned {block.pins} time(s)",
                    note="a pinned block may have views in use",
                )
            index = handle.index
            old_view = self._entries[index][1]
            old_view.flags.writeable = False
            del old_view
            self._entries[index] = (_FREE, _DEAD)
            flat, block.flat = block.flat, None
            # set aside, not reused, while a view (or a slice of one) is still referenced
            self._region.release(block.offset, block.size, flat)
            del flat
            self._generations[index] = handle.generation + 1
            self._blocks[index] = None
            self._free_slots.append(index)
            self._bytes_used -= block.nbytes

    # -- access (hot) -----------------------------------------------------------------------

    def resolve(self, handle: Handle) -> NDArray[Any]:
        """The block's array view. Lock-free.

        The view is the allocator's cached one: re-resolve after :meth:`defragment`, and do
        not reassign its ``shape``/``dtype``/``flags``.

        Raises:
            StaleHandleError: the handle is stale, freed or unknown (FA401).
        """
        try:
            generation, view = self._entries[handle.index]
        except IndexError:
            raise self._stale(handle) from None
        if generation != handle.generation:
            raise self._stale(handle)
        return view

    def is_valid(self, handle: Handle) -> bool:
        """Whether ``handle`` refers to a live block of this allocator. Lock-free."""
        entries = self._entries
        index = handle.index
        return index < len(entries) and entries[index][0] == handle.generation

    # -- pinning ----------------------------------------------------------------------------

    def pin(self, handle: Handle) -> None:
        """Keep the block in place until a matching :meth:`unpin` (pins are counted).

        Raises:
            StaleHandleError: the handle is stale or unknown (FA401).
        """
        with self._lock:
            self._block(handle).pins += 1

    def unpin(self, handle: Handle) -> None:
        """Undo one :meth:`pin`.

        Raises:
            StaleHandleError: the handle is stale or unknown (FA401).
            HandlePinError: the block is not pinned (FA401).
        """
        with self._lock:
            block = self._block(handle)
            if block.pins == 0:
                raise HandlePinError(f"unpin({handle}) without a matching pin()")
            block.pins -= 1

    def is_pinned(self, handle: Handle) -> bool:
        """Whether the block has at least one pin.

        Raises:
            StaleHandleError: the handle is stale or unknown (FA401).
        """
        with self._lock:
            return self._block(handle).pins > 0

    @contextmanager
    def pinned(self, handle: Handle) -> Iterator[NDArray[Any]]:
        """Pin for the ``with`` body and yield the block's view, valid throughout.

        Example::

            with handles.pinned(h) as arr:
                worker_pool.submit(fill, arr).result()
        """
        self.pin(handle)
        try:
            yield self.resolve(handle)
        finally:
            self.unpin(handle)

    # -- defragmentation --------------------------------------------------------------------

    def on_relocate(self, fn: RelocationCallback) -> RelocationCallback:
        """Register ``fn(handle, old_offset, new_offset)``, called for every moved block.

        Callbacks run inside the allocator's (reentrant) lock once the moves are done, in
        registration order; an exception from one propagates out of ``defragment()`` (or
        the ``alloc()`` that defragmented) and skips the rest, but the moves stand. Usable
        as a decorator; returns ``fn``.
        """
        with self._lock:
            self._callbacks.append(fn)
        return fn

    def remove_relocate_callback(self, fn: RelocationCallback) -> None:
        """Unregister a callback added with :meth:`on_relocate`.

        Raises:
            ValueError: ``fn`` is not registered.
        """
        with self._lock:
            self._callbacks.remove(fn)

    def defragment(self, max_moves: int | None = None) -> list[Relocation]:
        """Slide unpinned blocks toward the start of the buffer, in address order.

        Every handle stays valid and every block keeps its bytes; views resolved before
        the call must be resolved again. Pinned blocks stay put and the blocks after them
        pack up against them.

        Args:
            max_moves: Move at most this many blocks (for a bounded amount of work per
                frame; call again next frame to continue). ``None`` compacts fully.

        Returns:
            The moves made, in the order they were made.

        Raises:
            ValueError: ``max_moves`` is negative.
        """
        if max_moves is not None and max_moves < 0:
            raise ValueError(f"max_moves must be >= 0 or None, got {max_moves}")
        with self._lock:
            return self._defragment_locked(max_moves)

    def _defragment_locked(self, max_moves: int | None) -> list[Relocation]:
        self._defrag_calls += 1
        region = self._region
        entries = self._entries
        live = [b for b in self._blocks if b is not None]
        moves: list[Relocation] = []

        def moved(block: _Block, old: int) -> NDArray[Any] | None:
            handle = block.handle
            stale = entries[handle.index][1]
            stale.flags.writeable = False
            old_flat = block.flat
            view, block.flat = region.view(block.offset, block.shape, block.dtype, block.nbytes)
            entries[handle.index] = (handle.generation, view)
            moves.append(Relocation(handle, old, block.offset, block.nbytes))
            return old_flat

        region.compact(live, self._movable, max_moves, moved)
        self._relocations += len(moves)
        for fn in list(self._callbacks):
            for move in moves:
                fn(move.handle, move.old_offset, move.new_offset)
        return moves

    def _movable(self, block: _Block) -> bool:
        """Unpinned, and no view of it (nor any array derived from one) is referenced: moving
        it cannot leave a reader writing where another block will be."""
        if block.pins:
            return False
        view = self._entries[block.handle.index][1]
        flat = block.flat
        if view is flat:  # entry tuple, block, two locals, the call's argument
            return _getrefcount(view) <= 5
        # the view: entry tuple, local, argument; its 1-d array: block, view, local, argument
        return _getrefcount(view) <= 3 and _getrefcount(flat) <= 4

    # -- introspection ----------------------------------------------------------------------

    def offset_of(self, handle: Handle) -> int:
        """The block's current byte offset in the buffer (changes on relocation).

        Raises:
            StaleHandleError: the handle is stale or unknown (FA401).
        """
        with self._lock:
            return self._block(handle).offset

    def live_handles(self) -> list[Handle]:
        """Every live handle, ordered by index."""
        with self._lock:
            return [b.handle for b in self._blocks if b is not None]

    def stats(self) -> HandleStats:
        """A consistent snapshot of the allocator's counters."""
        with self._lock:
            blocks = [b for b in self._blocks if b is not None]
            free = self._region.free_bytes
            largest = self._region.largest_free()
            return HandleStats(
                live=len(blocks),
                pinned=sum(1 for b in blocks if b.pins),
                bytes_used=self._bytes_used,
                capacity=self._capacity,
                free_bytes=free,
                largest_free=largest,
                fragmentation=(1.0 - largest / free) if free else 0.0,
                relocations_total=self._relocations,
                defragment_calls=self._defrag_calls,
            )

    def __len__(self) -> int:
        return len(self._blocks) - len(self._free_slots)

    def __repr__(self) -> str:
        return (
            f"HandleAllocator(capacity_bytes={self._capacity}, live={len(self)}, "
            f"free_bytes={self._region.free_bytes})"
        )

    # -- helpers (cold) ---------------------------------------------------------------------

    def _layout(
        self, spec: DTypeLike, shape: ShapeLike
    ) -> tuple[np.dtype[Any], tuple[int, ...], int, int]:
        """Validate a request once; cache it by the objects passed (when hashable)."""
        dt = normalize_dtype(spec)
        shp = normalize_shape(shape)
        nbytes = dt.itemsize * math.prod(shp)
        if nbytes > self._capacity:
            raise AllocationSizeError(
                f"a {dt} array of shape {shp} needs {nbytes} bytes, more than the handle "
                f"allocator's whole capacity of {self._capacity} bytes",
                help="create the HandleAllocator with a larger capacity_bytes, or split the data",
            )
        layout = (dt, shp, nbytes, max(MIN_BLOCK_ALIGN, dt.alignment))
        if len(self._layouts) < _LAYOUT_CACHE_LIMIT:
            with contextlib.suppress(TypeError):  # unhashable spec: validate every time
                self._layouts[spec, shape] = layout
        return layout

    def _block(self, handle: Handle) -> _Block:
        index = handle.index
        if index < len(self._blocks):
            block = self._blocks[index]
            if block is not None and block.handle.generation == handle.generation:
                return block
        raise self._stale(handle)

    def _stale(self, handle: Handle) -> StaleHandleError:
        index = handle.index
        if index < len(self._entries):
            current = self._generations[index]
            live = self._blocks[index] is not None
            state = f"slot {index} is at generation {current} ({'live' if live else 'free'})"
            ours = handle.generation >> _GENERATION_BITS == current >> _GENERATION_BITS
            if ours and handle.generation < current:
                why = "the block was freed (and the slot maybe reused)"
            else:
                why = "this slot never issued that generation: the handle is from another allocator"
        else:
            state = f"this allocator has only {len(self._entries)} slot(s)"
            why = "the handle belongs to another allocator"
        return StaleHandleError(
            f"stale handle: index {index}, generation {handle.generation}",
            note=f"{state}; {why}",
            help="check handles.is_valid(h) before use, and stop using a handle after free(h)",
        )

    def _space_error(self, size: int, align: int) -> HandleSpaceError:
        region = self._region
        pinned = sum(1 for b in self._blocks if b is not None and b.pins)
        return HandleSpaceError(
            f"handle allocator full: no room for {size} bytes (align {align})",
            note=(
                f"capacity {self._capacity} B, free {region.free_bytes} B, largest free "
                f"run {region.largest_free()} B, {len(self)} live block(s), {pinned} pinned"
            ),
        )
