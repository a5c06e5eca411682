"""Per-thread small-object pools: size-class free lists with deferred cross-thread frees.

A pool hit is a list pop and a dict insert, with no lock. A free on the owning thread is a
dict pop and a list append. A free from another thread goes to the owner's deferred queue
(``collections.deque``: appends are atomic) and is applied at the owner's next
``begin_frame`` or pool miss. The live-allocation table is shared by every thread and keyed by
``id(array)``; each entry holds the array, so an id is never reused while the entry exists.

**A freed block is handed out again only when nothing references its last array.** Each
array is built over a ``memoryview`` of its block, so it is the ``.base`` of every array
derived from it and its reference count counts them all. A block whose last array is still
referenced (kept past ``pool_free``, directly or through a slice) is *held*: set aside and
checked again at the next pool miss, never given to a new owner while referenced. So a late
write through a kept reference never reaches another allocation, and a stale ``pool_free``
of a kept array raises ``DoubleFreeError`` (its block was not reused).

Debug mode poisons freed blocks with 0xCD, freezes the freed array, keeps the block out of
use for ``quarantine_frames`` of the owner's frames and verifies the poison before reusing
it (a late write raises ``LateWriteError`` naming where the block was allocated).
"""

from __future__ import annotations

import sys
import threading
import traceback
from array import array
from collections import deque
from collections.abc import Callable
from operator import mul
from typing import Any, Protocol

import numpy as np

from framealloc_engine.allocators.buffer import POISON_BYTE, allocation_site, data_address
from framealloc_engine.allocators.layout import Layout, exact_shape, layout_of
from framealloc_engine.allocators.slab import Block, SlabRegistry
from framealloc_engine.errors import (
    AllocationSizeError,
    DoubleFreeError,
    InvalidFreeError,
    LateWriteError,
)

__all__ = ["DeferredPolicy", "LocalPools", "PoolPathsLike"]

_getrefcount = sys.getrefcount
_frombuffer = np.frombuffer


def _unreferenced_base() -> int:
    """References a block's last array has when nothing but its block holds it, seen from
    inside ``_held`` (measured: the count differs between Python versions)."""
    probe = Block(np.zeros(16, np.uint8), 0, 16, 0)
    probe.view = probe.flat = np.frombuffer(probe.page.data, np.uint8)
    return _references(probe)


def _references(block: Block) -> int:
    view = block.view
    return _getrefcount(view)


_BASE = _unreferenced_base()


class DeferredPolicy(Protocol):
    """When and how frees queued by other threads are applied (see ``framealloc_engine.sync``).

    Without one (``None``) the pools keep the default behaviour: an unbounded queue, applied
    at ``begin_frame`` and on a pool miss.
    """

    @property
    def drains_at_begin(self) -> bool:
        """Apply the queue at ``begin_frame``."""

    @property
    def drains_at_end(self) -> bool:
        """Apply the queue at ``end_frame``."""

    @property
    def drains_on_miss(self) -> bool:
        """Apply the queue on a pool miss (before taking a new slab page)."""

    def enqueue(
        self, owner: LocalPools, block: Block, sender: int, release: Callable[[], None]
    ) -> None:
        """Queue ``block`` for ``owner`` (calls ``release`` once the free is admitted)."""

    def note_processed(self, owner: LocalPools, count: int, nbytes: int) -> None:
        """``owner`` applied ``count`` queued frees of ``nbytes`` bytes."""


class PoolPathsLike(Protocol):
    """Alloc and free of one :class:`LocalPools` implemented elsewhere (native)."""

    def alloc(self, dtype: Any, shape: Any = ()) -> np.ndarray:
        """Like :meth:`LocalPools.alloc`."""

    def free(self, array: np.ndarray) -> int:
        """Like :meth:`LocalPools.free`."""


class LocalPools:
    """The pools of one thread.

    Args:
        registry: The global slab registry to refill from.
        live: The allocator-wide table of live pool arrays (``id(array) -> Block``).
        debug: Poison freed blocks, freeze freed arrays, never reuse arrays.
    """

    __slots__ = (
        "_class_of",
        "_frame",
        "_free",
        "_held",
        "_layouts",
        "_live",
        "_registry",
        "alloc_counts",
        "alloc_total",
        "alive",
        "debug",
        "deferred",
        "deferred_applied",
        "deferred_sent",
        "free_counts",
        "hot_alloc",
        "hot_free",
        "paths",
        "quarantine",
        "quarantine_frames",
        "refills",
        "size_classes",
        "thread",
        "thread_id",
    )

    def __init__(
        self,
        registry: SlabRegistry,
        live: dict[int, Block],
        *,
        debug: bool = False,
        quarantine_frames: int = 2,
    ) -> None:
        self._registry = registry
        self._live = live
        self.debug = debug
        self.quarantine_frames = quarantine_frames
        #: Blocks whose last array is still referenced: reusable once it is not.
        self._held: list[Block] = []
        #: Debug mode: (owner frame it may be reused at, block), oldest first.
        self.quarantine: deque[tuple[int, Block]] = deque()
        self._frame = 0
        self.size_classes = registry.size_classes
        n = len(self.size_classes)
        self._free: list[list[Block]] = [[] for _ in range(n)]
        # request nbytes // 16 -> class index, for every size the pools serve
        self._class_of: list[int] = []
        for units in range(self.size_classes[-1] // 16 + 1):
            nbytes = units * 16
            self._class_of.append(next(i for i, s in enumerate(self.size_classes) if s >= nbytes))
        self._layouts: dict[tuple[object, object], tuple[Layout, int]] = {}
        self.deferred: deque[Block] = deque()
        # int64 counters the native paths increment in place (never resized).
        self.alloc_counts = array("q", bytes(8 * n))
        self.free_counts = array("q", bytes(8 * n))
        #: ``sum(alloc_counts)``, kept as they move (one read where attribution checks
        #: whether the pools allocated since its last charge).
        self.alloc_total = array("q", bytes(8))
        self.deferred_sent = 0
        self.deferred_applied = 0
        self.refills = 0
        self.thread_id = threading.get_ident()
        #: The owning thread (a free from another thread checks it is still running).
        self.thread = threading.current_thread()
        self.alive = True
        #: The native alloc and free of these pools (see ``use_paths``), or None.
        self.paths: PoolPathsLike | None = None
        #: What the per-thread dispatch calls: ``alloc``/``free``, or the native paths'.
        self.hot_alloc: Callable[..., np.ndarray] = self.alloc
        self.hot_free: Callable[[np.ndarray], int] = self.free

    def use_paths(self, paths: PoolPathsLike) -> None:
        """Let ``paths`` (the native extension's ``PoolPaths`` over these pools) serve the
        common case of :meth:`alloc` and :meth:`free`; it calls back here for the rest."""
        self.paths = paths
        self.hot_alloc = paths.alloc
        self.hot_free = paths.free

    @property
    def control(self) -> DeferredPolicy | None:
        """The allocator's deferred-free control (shared through the slab registry), or
        ``None`` for the original behaviour: an unbounded queue drained at frame begin."""
        return self._registry.deferred_control

    # --- allocation -------------------------------------------------------------------------

    def alloc(self, dtype: Any, shape: Any = ()) -> np.ndarray:
        """Allocate a block for ``dtype``/``shape`` (hot path: no lock on a hit).

        Raises:
            AllocationSizeError: (FA004) larger than the largest size class.
        """
        # Only exact shapes may use the layout cache (4.0 == 4): validation never depends on
        # what was asked before.
        if shape.__class__ is int or shape == () or exact_shape(shape):
            try:
                layout, class_index = self._layouts[(dtype, shape)]
            except (KeyError, TypeError):
                layout, class_index = self._resolve(dtype, shape)
        else:
            layout, class_index = self._resolve(dtype, shape)
        try:
            block = self._free[class_index].pop()
        except IndexError:
            block = self._refill(class_index)
        last = block.view
        # Unreferenced 1-d array: ``block.view``, ``block.flat``, ``last`` and the call's
        # argument (_BASE). An N-d array: ``block.view``, ``last`` and the argument; its 1-d
        # base: ``block.flat``, the N-d array's ``.base`` and the argument.
        if last is not None and (
            (_getrefcount(last) > _BASE)
            if block.flat is last
            else (_getrefcount(last) > _BASE - 1 or _getrefcount(block.flat) > _BASE - 1)
        ):
            block = self._unheld(class_index, block)
            last = block.view
        if block.layout is layout:  # the block's last array has this layout: reuse it
            view: np.ndarray = last  # type: ignore[assignment]  # set with layout
        else:  # (debug mode never records a layout, so it always builds a fresh array)
            view = self._array(block, layout)
        del last
        self._live[id(view)] = block
        self.alloc_counts[class_index] += 1
        self.alloc_total[0] += 1
        return view

    def _array(self, block: Block, layout: Layout) -> np.ndarray:
        """A new array of ``layout`` over ``block``: its own collapse point (see above)."""
        dt = layout.dtype
        count = layout.nbytes // dt.itemsize if dt.itemsize else 0
        flat = _frombuffer(block.memory(), dt, count)
        shape = layout.shape if dt.subdtype is None else layout.shape + dt.subdtype[1]
        view = flat if flat.shape == shape else flat.reshape(shape)
        block.view = view
        block.flat = flat
        if self.debug:
            block.site = allocation_site()
        else:
            block.layout = layout
        return view

    def _unheld(self, class_index: int, block: Block) -> Block:
        """``block``'s last array is still referenced: set it aside and take another."""
        self._held.append(block)
        free = self._free[class_index]
        while True:
            try:
                candidate = free.pop()
            except IndexError:
                candidate = self._refill(class_index)
            if not self._referenced(candidate):
                return candidate
            self._held.append(candidate)

    @staticmethod
    def _referenced(block: Block) -> bool:
        """Whether anything but ``block`` references its last array (or arrays derived)."""
        view = block.view
        if view is None:
            return False
        flat = block.flat
        if flat is view:  # block.view, block.flat, two locals, the argument
            return _getrefcount(view) > _BASE + 1
        # view: block.view, local, argument; flat: block.flat, view.base, local, argument
        return _getrefcount(view) > _BASE - 1 or _getrefcount(flat) > _BASE

    def _recheck_held(self) -> None:
        """Return held blocks whose last array is no longer referenced to the free lists."""
        held = self._held
        if not held:
            return
        still = []
        free = self._free
        for block in held:
            if self._referenced(block):
                still.append(block)
            else:
                free[block.class_index].append(block)
        self._held = still

    @property
    def held_count(self) -> int:
        """Freed blocks set aside because their last array is still referenced."""
        return len(self._held)

    def _resolve(self, dtype: Any, shape: Any) -> tuple[Layout, int]:
        layout = layout_of(dtype, shape)
        largest = self.size_classes[-1]
        if layout.nbytes > largest or layout.align > 16:
            raise AllocationSizeError(
                f"pool allocation of {layout.nbytes} bytes is larger than the largest size "
                f"class ({largest} bytes)",
                note=f"dtype {layout.dtype}, shape {layout.shape}",
                help="use heap_alloc()/heap_box() for large blocks, or add a larger class "
                "with AllocConfig().with_size_classes(...)",
            )
        entry = (layout, self._class_of[(layout.nbytes + 15) // 16])
        try:
            if len(self._layouts) > 1024:
                self._layouts.clear()
            self._layouts[(dtype, shape)] = entry
        except TypeError:
            pass
        return entry

    def _refill(self, class_index: int) -> Block:
        if self._held:
            self._recheck_held()
            free = self._free[class_index]
            if free:
                return free.pop()
        if self.quarantine:
            self._leave_quarantine(force=True)
            free = self._free[class_index]
            if free:
                return free.pop()
        if self.deferred and (self.control is None or self.control.drains_on_miss):
            self.process_deferred()
            free = self._free[class_index]
            if free:
                return free.pop()
        blocks = self._registry.refill(class_index)
        self.refills += 1
        for block in blocks:
            block.owner = self
        free = self._free[class_index]
        free.extend(blocks)
        return free.pop()

    # --- freeing ----------------------------------------------------------------------------

    def free(self, array: np.ndarray) -> int:
        """Free a pool array; returns the block size.

        Raises:
            DoubleFreeError: (FA401) the array was already freed.
            InvalidFreeError: (FA401) the array did not come from these pools.
        """
        block = self._live.pop(id(array), None)
        if block is None:
            raise self._bad_free(array)
        if block.owner is not self:
            return self._free_foreign(array, block)
        class_index = block.class_index
        self.free_counts[class_index] += 1
        if self.debug:
            self._poison(array, block)
            self.quarantine.append((self._frame + self.quarantine_frames, block))
        else:
            self._free[class_index].append(block)
        return block.size

    @staticmethod
    def _poison(array: np.ndarray, block: Block) -> None:
        array.flags.writeable = False
        block.page[block.offset : block.offset + block.size].fill(POISON_BYTE)

    def frame_begun(self) -> None:
        """The owning thread began a frame: debug quarantine ages by one frame."""
        self._frame += 1
        if self.quarantine:
            self._leave_quarantine(force=False)

    def _leave_quarantine(self, *, force: bool) -> None:
        """Verify and free quarantined blocks whose time is up (all of them with ``force``:
        a pool miss takes them before reserving new memory)."""
        quarantine = self.quarantine
        frame = self._frame
        while quarantine and (force or quarantine[0][0] <= frame):
            _, block = quarantine.popleft()
            self._verify_poison(block)
            self._free[block.class_index].append(block)

    @staticmethod
    def _verify_poison(block: Block) -> None:
        region = block.page[block.offset : block.offset + block.size]
        bad = np.flatnonzero(region != POISON_BYTE)
        if not bad.size:
            return
        region.fill(POISON_BYTE)  # report once
        stack = block.site or []
        frame = stack[-1] if stack else None
        where = f"{frame.filename}:{frame.lineno} in {frame.name}" if frame else "unknown"
        raise LateWriteError(
            f"pool memory written after it was freed: {bad.size} byte(s) of a "
            f"{block.size}-byte block changed while quarantined",
            note=f"the block was allocated at {where}; traceback of the allocation:\n"
            + "".join(traceback.format_list(stack)),
            help="do not use a pool array after pool_free() (or its PoolBox after close())",
        )

    def _release(self, array: np.ndarray, block: Block) -> None:
        self.free_counts[block.class_index] += 1
        self.deferred_sent += 1
        if self.debug:
            self._poison(array, block)

    def _free_foreign(self, array: np.ndarray, block: Block) -> int:
        owner = block.owner
        # An owner whose thread exited (retired or not yet) never drains its queue: the
        # block goes back to the registry at once.
        if owner is None or not owner.alive or not owner.thread.is_alive():
            self._release(array, block)
            self._registry.give_back([block])
            return block.size
        control = owner.control
        if control is None:
            self._release(array, block)
            owner.deferred.append(block)
            return block.size
        try:
            control.enqueue(owner, block, self.thread_id, lambda: self._release(array, block))
        except BaseException:
            self._live[id(array)] = block
            raise
        return block.size

    def _bad_free(self, array: object) -> Exception:
        if isinstance(array, np.ndarray) and self._registry.contains_address(
            data_address(array)
        ):
            return DoubleFreeError(
                "pool array freed twice (or a slice of a pool array was freed)",
                note=f"array of dtype {array.dtype} and shape {array.shape} is not live",
            )
        return InvalidFreeError(
            "pool_free() got an array the pools did not hand out",
            note=f"got {type(array).__name__}"
            + (f" of dtype {array.dtype}" if isinstance(array, np.ndarray) else ""),
        )

    def process_deferred(self, limit: int | None = None) -> int:
        """Apply frees queued by other threads (up to ``limit``); returns how many."""
        deferred = self.deferred
        free = self._free
        done = 0
        nbytes = 0
        control = self.control
        while deferred and (limit is None or done < limit):
            try:
                block = deferred.popleft()
            except IndexError:
                break
            if self.debug:
                self.quarantine.append((self._frame + self.quarantine_frames, block))
            else:
                free[block.class_index].append(block)
            nbytes += block.size
            done += 1
        self.deferred_applied += done
        if control is not None and done:
            control.note_processed(self, done, nbytes)
        return done

    def drain_at_frame_begin(self) -> int:
        """Apply queued frees if the processing mode says so at ``begin_frame``."""
        control = self._registry.deferred_control
        if control is None or control.drains_at_begin:
            return self.process_deferred()
        return 0

    def drain_at_frame_end(self) -> int:
        """Apply queued frees if the processing mode says so at ``end_frame``."""
        control = self._registry.deferred_control
        if control is not None and control.drains_at_end:
            return self.process_deferred()
        return 0

    def give_back_orphans(self, blocks: list[Block]) -> None:
        """Hand blocks freed on behalf of this thread to the slab registry (any thread)."""
        self._registry.give_back(blocks)

    def retire(self) -> None:
        """The owning thread has exited: hand every free and queued block back."""
        self.alive = False
        self.process_deferred()
        self._leave_quarantine(force=True)
        blocks = [b for free in self._free for b in free] + self._held
        self._held = []
        for free in self._free:
            free.clear()
        self._registry.give_back(blocks)
        # A free racing with retirement may have queued after the drain above.
        self.process_deferred()
        rest = [b for free in self._free for b in free]
        if rest:
            for free in self._free:
                free.clear()
            self._registry.give_back(rest)

    # --- accounting -------------------------------------------------------------------------

    def allocated_bytes(self) -> int:
        """Bytes of blocks this thread allocated (cumulative)."""
        return sum(map(mul, self.alloc_counts, self.size_classes))

    def freed_bytes(self) -> int:
        """Bytes of blocks this thread freed (cumulative, any owner)."""
        return sum(map(mul, self.free_counts, self.size_classes))

    def free_block_count(self) -> int:
        """Blocks sitting in this thread's free lists."""
        return sum(len(f) for f in self._free)
