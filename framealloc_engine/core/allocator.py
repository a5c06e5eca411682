"""``AllocatorCore``: frames, pools and the heap for every thread; knows no feature.

It owns the global state (slab registry, system heap, reservations, the live pool table),
each thread's state (arena, pools, deferred queue, counters; created on the thread's first
use) and the hooks features plug into: allocation observers and redirects, frame-end hooks.
:class:`~framealloc_engine.smart.SmartAlloc` adds the features on top.

Example::

    core = AllocatorCore()
    with core.frame_scope():
        tmp = core.frame_alloc(np.float32, (1024, 3))
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Self, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from framealloc_engine.allocators import backend
from framealloc_engine.allocators.heap import SystemHeap
from framealloc_engine.allocators.layout import DTypeSpec, ShapeSpec
from framealloc_engine.allocators.slab import Block, SlabRegistry
from framealloc_engine.config import AllocConfig
from framealloc_engine.core.attribution import Attribution, PhaseListener
from framealloc_engine.core.boxes import FrameBox, HeapBox, PoolBox, as_storable_array
from framealloc_engine.core.checkpoints import Checkpoints
from framealloc_engine.core.leaks import LiveAllocation, format_leaks, live_allocations
from framealloc_engine.core.observers import AllocObserver, AllocRedirect, ObservedPaths
from framealloc_engine.core.reservations import Reservations
from framealloc_engine.core.stats import AllocStats, ThreadStats
from framealloc_engine.core.thread_state import ThreadState
from framealloc_engine.core.threads import PerThread, RetiredTotals, ThreadFront, ThreadRegistry
from framealloc_engine.errors import FrameNotActiveError

if TYPE_CHECKING:
    from framealloc_engine.allocators.pool import DeferredPolicy

__all__ = ["AllocatorCore", "FrameEndHook"]

T = TypeVar("T")
#: A numpy scalar type: ``frame_alloc(np.float32, n)`` is an ``NDArray[np.float32]``.
S = TypeVar("S", bound=np.generic)

#: Called with the thread state just before a frame's memory is reset.
FrameEndHook = Callable[[ThreadState], None]


class AllocatorCore:
    """The frame-aware allocator without its optional features.

    Args:
        config: Allocator configuration; ``AllocConfig()`` when omitted.
    """

    def __init__(self, config: AllocConfig | None = None) -> None:
        self.config = config if config is not None else AllocConfig()
        cfg = self.config
        self._reservations = Reservations(cfg.global_memory_limit)
        #: Which implementation runs the hot paths (``AllocConfig.backend``).
        self.backend = backend.select(cfg.backend)
        self._slabs = SlabRegistry(
            cfg.size_classes, cfg.slab_page_size, cfg.slab_pages_per_class,
            self._reservations.reserve, self.backend,
        )
        self._heap = SystemHeap(
            cfg.heap_region_size,
            self._reservations.reserve,
            self._reservations.release,
            debug=cfg.debug,
        )
        self._pool_live: dict[int, Block] = {}
        self._threads = ThreadRegistry(cfg, self._slabs, self._pool_live, self._reservations)
        self._threads.on_retire = self._retired_mid_frame
        self._peak_allocated = 0
        self._observers: list[AllocObserver] = []
        self._redirects: list[AllocRedirect] = []
        self._frame_end_hooks: list[FrameEndHook] = []
        self._observed = ObservedPaths(self)
        self._watched = False  # threads use the observed paths
        self._tls: ThreadFront
        if backend.NATIVE_DISPATCH:
            # The native dispatch finds the calling thread itself: its bound methods are
            # stored on the allocator once (an attribute read and a C call per allocation).
            front = backend.new_front(self._threads.slot)
            front.state  # noqa: B018 - registers the creating thread, as PerThread does
            self._tls = front
            self.frame_alloc = front.frame_alloc  # type: ignore[method-assign]
            self.try_frame_alloc = front.try_frame_alloc  # type: ignore[method-assign]
            self.pool_alloc = front.pool_alloc  # type: ignore[method-assign]
            self.pool_free = front.pool_free  # type: ignore[method-assign]
            self.frame_slice = front.frame_slice  # type: ignore[method-assign]
        else:
            self._tls = PerThread(self._threads)
        #: Tags and phases (``with_tag``, ``begin_phase``...), per thread.
        self._attribution = Attribution(self)
        #: Frame checkpoints (``frame_checkpoint``, ``rollback_to``...), per thread.
        self._checkpoints = Checkpoints(self)

    @classmethod
    def with_defaults(cls) -> Self:
        """An allocator with ``AllocConfig()``."""
        return cls(AllocConfig())

    # --- threads ----------------------------------------------------------------------------

    def current_state(self) -> ThreadState:
        """The calling thread's state (created on its first use)."""
        return self._tls.state

    def thread_states(self, *, retired: bool = True) -> list[ThreadState]:
        """Every thread's state: live threads' and, with ``retired``, exited threads'."""
        return self._threads.states(retired=retired)

    def frame_info(self) -> tuple[int, bool] | None:
        """``(frame_number, frame_active)`` of the calling thread, or ``None`` if it never
        used this allocator (reading it does not register the thread)."""
        state = self._threads.registered()
        return None if state is None else (state.frame_number, state.arena.active)

    @property
    def exited_totals(self) -> RetiredTotals:
        """What exited threads no longer listed by :meth:`thread_states` did (summed)."""
        return self._threads.folded

    @property
    def threads_lock(self) -> threading.Lock:
        """A lock features take to create their shared parts once."""
        return self._threads.lock

    def reclaim_dead_threads(self) -> int:
        """Release the arenas and pool blocks of threads that have exited.

        Runs automatically when a new thread first uses the allocator. Returns how many
        thread states were retired.
        """
        return self._threads.reclaim_dead()

    def _retired_mid_frame(self, state: ThreadState, count: int, nbytes: int) -> None:
        # The thread died mid-frame: observers (budgets, lifecycle) see that frame end.
        for observer in self._observers:
            observer.on_frame_end(state, count, nbytes)

    def process_deferred_frees(self, limit: int | None = None) -> int:
        """Apply up to ``limit`` frees other threads queued for the calling thread."""
        return self._tls.pools.process_deferred(limit)

    @property
    def reservations(self) -> Reservations:
        """Memory reserved from the system, checked against the global limit."""
        return self._reservations

    @property
    def deferred_policy(self) -> DeferredPolicy | None:
        """The deferred-free policy every thread's pools follow (``None``: the default)."""
        return self._slabs.deferred_control

    def set_deferred_policy(self, policy: DeferredPolicy | None) -> None:
        """Install the deferred-free policy every thread's pools follow."""
        self._slabs.deferred_control = policy

    # --- frames -----------------------------------------------------------------------------

    def begin_frame(self) -> None:
        """Begin a frame on the calling thread; applies deferred frees queued for it.

        Raises:
            FrameStateError: (FA001) a frame is already active on this thread.
        """
        tls = self._tls
        state = tls.state
        state.begin_frame()
        pools = tls.pools
        if pools.deferred:
            pools.drain_at_frame_begin()
        if pools.quarantine:  # debug mode: freed blocks age one frame
            pools.frame_begun()
        if self._observers:
            for observer in self._observers:
                observer.on_frame_begin(state)

    def end_frame(self) -> None:
        """End the calling thread's frame: every frame allocation is freed at once.

        Raises:
            FrameStateError: (FA001) no frame is active on this thread.
        """
        state = self._tls.state
        if self._frame_end_hooks and state.arena.active:
            for hook in self._frame_end_hooks:
                hook(state)
        arena = state.arena
        # The peak is sampled when this thread's frame reached new ground, and every 64th
        # frame for what the pools did meanwhile (heap allocations and stats() sample too).
        if arena.offset > arena.peak_offset or not state.frame_number & 63:
            self._note_peak()
        count, nbytes = state.end_frame()
        if state.pools.deferred:
            state.pools.drain_at_frame_end()
        if self._observers:
            for observer in self._observers:
                observer.on_frame_end(state, count, nbytes)

    @contextmanager
    def frame_scope(self) -> Iterator[None]:
        """``begin_frame()`` on entry and ``end_frame()`` on exit (even on error)."""
        self.begin_frame()
        try:
            yield
        finally:
            self.end_frame()

    @property
    def frame_active(self) -> bool:
        """Whether the calling thread has a frame open."""
        return self._tls.arena.active

    @property
    def frame_number(self) -> int:
        """Frames begun on the calling thread (the current frame's number while active)."""
        return self._tls.state.frame_number

    def frame_remaining(self) -> int:
        """Bytes left in the calling thread's arena this frame."""
        arena = self._tls.arena
        return arena.capacity - arena.offset

    def add_frame_end_hook(self, hook: FrameEndHook) -> None:
        """Call ``hook(state)`` on every thread's frame end, before its memory is reset."""
        with self._threads.lock:
            self._frame_end_hooks = [*self._frame_end_hooks, hook]

    def remove_frame_end_hook(self, hook: FrameEndHook) -> None:
        """Stop calling ``hook`` (no error if it was not installed)."""
        with self._threads.lock:
            self._frame_end_hooks = [h for h in self._frame_end_hooks if h != hook]

    # --- frame allocation -------------------------------------------------------------------

    if TYPE_CHECKING:
        # Typed as numpy's own constructors are: a scalar type or a typed dtype gives an
        # array of that element type; anything else np.dtype() accepts gives NDArray[Any].

        @overload
        def frame_alloc(self, dtype: type[S], shape: ShapeSpec = ()) -> NDArray[S]: ...
        @overload
        def frame_alloc(self, dtype: np.dtype[S], shape: ShapeSpec = ()) -> NDArray[S]: ...
        @overload
        def frame_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> NDArray[Any]: ...
        def frame_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> NDArray[Any]:
            """An uninitialised array in the calling thread's frame arena."""

        @overload
        def try_frame_alloc(self, dtype: type[S], shape: ShapeSpec = ()) -> NDArray[S] | None: ...
        @overload
        def try_frame_alloc(
            self, dtype: np.dtype[S], shape: ShapeSpec = ()
        ) -> NDArray[S] | None: ...
        @overload
        def try_frame_alloc(
            self, dtype: DTypeSpec, shape: ShapeSpec = ()
        ) -> NDArray[Any] | None: ...
        def try_frame_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> NDArray[Any] | None:
            """Like frame_alloc, but None when the arena is full."""

        @overload
        def pool_alloc(self, dtype: type[S], shape: ShapeSpec = ()) -> NDArray[S]: ...
        @overload
        def pool_alloc(self, dtype: np.dtype[S], shape: ShapeSpec = ()) -> NDArray[S]: ...
        @overload
        def pool_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> NDArray[Any]: ...
        def pool_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> NDArray[Any]:
            """An uninitialised array in a pool block of the calling thread."""

        def pool_free(self, array: np.ndarray) -> int:
            """Free a pool array; returns the block size."""

        @overload
        def frame_slice(self, dtype: type[S], n: int) -> NDArray[S]: ...
        @overload
        def frame_slice(self, dtype: np.dtype[S], n: int) -> NDArray[S]: ...
        @overload
        def frame_slice(self, dtype: DTypeSpec, n: int) -> NDArray[Any]: ...
        def frame_slice(self, dtype: DTypeSpec, n: int) -> NDArray[Any]:
            """A zero-filled 1-D frame array of ``n`` items."""

    elif not backend.NATIVE_DISPATCH:
        # One Python frame per call: each property fetches the calling thread's bound
        # method in C (see PerThread). With the native extension loaded the allocator stores
        # its NativeFront's methods on itself instead (see __init__): the class must then
        # define no attribute of these names, or the instance read would not be the fast one.
        frame_alloc = property(
            attrgetter("_tls.frame_alloc"),
            doc="""frame_alloc(dtype, shape=()) -> an uninitialised array in the calling
            thread's frame arena, valid until ``end_frame()``.

            Example::

                verts = alloc.frame_alloc(Vertex, 4096)

            Raises:
                FrameNotActiveError: (FA001) no frame is active on this thread.
                ArenaExhaustedError: (FA003) the arena is full.
                AllocationTypeError, AllocationSizeError: (FA004) a bad dtype or shape.
            """,
        )
        try_frame_alloc = property(
            attrgetter("_tls.try_frame_alloc"),
            doc="""try_frame_alloc(dtype, shape=()) -> like ``frame_alloc`` but ``None`` when
            the arena is full (still FA001 with no active frame).""",
        )
        pool_alloc = property(
            attrgetter("_tls.pool_alloc"),
            doc="""pool_alloc(dtype, shape=()) -> an uninitialised array in a pool block of
            the calling thread (no lock on a hit). Free it with ``pool_free`` from any thread.

            Raises:
                AllocationSizeError: (FA004) larger than the largest size class: use the heap.
            """,
        )
        pool_free = property(
            attrgetter("_tls.pool_free"),
            doc="""pool_free(array) -> free a pool array (returns the block size). From another
            thread the free is deferred to the owner.

            Raises:
                DoubleFreeError: (FA401) freed twice.
                InvalidFreeError: (FA401) not an array from pool_alloc().
            """,
        )

        def frame_slice(self, dtype: DTypeSpec, n: int) -> np.ndarray:
            """A zero-filled 1-D frame array of ``n`` items."""
            array: np.ndarray = self._tls.frame_alloc(dtype, n)
            array.fill(0)
            return array

    def frame_box(self, value: T) -> FrameBox[T]:
        """Box ``value`` for the rest of this frame (see :class:`FrameBox`).

        Raises:
            FrameNotActiveError: (FA001) no frame is active on this thread.
        """
        tls = self._tls
        stored = as_storable_array(value)
        if stored is None:
            if not tls.arena.active:
                raise FrameNotActiveError(
                    "frame_box() used outside an active frame",
                    note="frame boxes live until end_frame(); no frame is active on this thread",
                )
            tls.state.frame_objects.append(value)
            return FrameBox(tls.state, None, value)
        array = tls.frame_alloc(stored.dtype, stored.shape)
        array[...] = stored
        return FrameBox(tls.state, array)

    # --- pool and heap ----------------------------------------------------------------------

    @overload
    def heap_alloc(self, dtype: type[S], shape: ShapeSpec = ()) -> NDArray[S]: ...
    @overload
    def heap_alloc(self, dtype: np.dtype[S], shape: ShapeSpec = ()) -> NDArray[S]: ...
    @overload
    def heap_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> NDArray[Any]: ...
    def heap_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> NDArray[Any]:
        """An uninitialised array on the shared heap (for large blocks); takes a lock."""
        if self._observers or self._redirects:
            return self._observed.heap_alloc(dtype, shape)
        return self.plain_heap_alloc(dtype, shape)

    def plain_heap_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        """``heap_alloc`` without observers (what the observed path calls)."""
        array, size = self._heap.alloc(dtype, shape)
        state = self._tls.state
        state.heap_allocs += 1
        state.heap_bytes += size
        self._note_peak()
        return array

    def heap_free(self, array: np.ndarray) -> None:
        """Free a heap array (from any thread).

        Raises:
            DoubleFreeError: (FA401) freed twice.
            InvalidFreeError: (FA401) not an array from heap_alloc().
        """
        if self._observers or self._redirects:
            self._observed.heap_free(array)
        else:
            self.plain_heap_free(array)

    def plain_heap_free(self, array: np.ndarray) -> int:
        """``heap_free`` without observers; returns the block's size."""
        size = self._heap.free(array)
        state = self._tls.state
        state.heap_frees += 1
        state.heap_bytes_freed += size
        return size

    def pool_box(self, value: T) -> PoolBox[T]:
        """Box ``value`` in a pool block, freed on ``close()``/``with`` exit/collection."""
        stored = as_storable_array(value)
        if stored is None:
            return PoolBox(None, None, value)
        array = self.pool_alloc(stored.dtype, stored.shape)
        array[...] = stored
        return PoolBox(array, self.pool_free)

    def heap_box(self, value: T) -> HeapBox[T]:
        """Box ``value`` in a heap block, freed on ``close()``/``with`` exit/collection."""
        stored = as_storable_array(value)
        if stored is None:
            return HeapBox(None, None, value)
        array = self.heap_alloc(stored.dtype, stored.shape)
        array[...] = stored
        return HeapBox(array, self.heap_free)

    # --- observers and redirects ------------------------------------------------------------

    def add_observer(self, observer: AllocObserver) -> None:
        """Install ``observer``; from now on every allocation and free is reported to it."""
        if observer in self._observers:
            return
        self._observers = [*self._observers, observer]
        self._sync_paths()

    def remove_observer(self, observer: AllocObserver) -> None:
        """Uninstall ``observer`` (no error if it was not installed)."""
        if observer not in self._observers:
            return
        self._observers = [o for o in self._observers if o is not observer]
        self._sync_paths()

    @property
    def observers(self) -> tuple[AllocObserver, ...]:
        """The installed observers, in call order."""
        return tuple(self._observers)

    @property
    def observers_list(self) -> list[AllocObserver]:
        """The installed observers (the list itself: replaced, never mutated, on change)."""
        return self._observers

    def add_redirect(self, redirect: AllocRedirect) -> None:
        """Let ``redirect`` serve allocations elsewhere (see :class:`AllocRedirect`)."""
        if redirect not in self._redirects:
            self._redirects = [*self._redirects, redirect]
            self._sync_paths()

    def remove_redirect(self, redirect: AllocRedirect) -> None:
        """Uninstall ``redirect`` (no error if it was not installed)."""
        if redirect in self._redirects:
            self._redirects = [r for r in self._redirects if r is not redirect]
            self._sync_paths()

    @property
    def redirects(self) -> list[AllocRedirect]:
        """The installed redirects (replaced, never mutated, on change)."""
        return self._redirects

    def add_phase_listener(self, listener: PhaseListener) -> None:
        """Call ``listener(state, name, entering)`` at every phase begin and end."""
        self._attribution.add_phase_listener(listener)

    def remove_phase_listener(self, listener: PhaseListener) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        self._attribution.remove_phase_listener(listener)

    def report_promotion(
        self, state: ThreadState, tag: str, from_kind: str, to_kind: str, nbytes: int
    ) -> None:
        """Tell the observers that count promotions about one (retention calls it)."""
        if self._observers:
            self._observed.report_promotion(state, tag, from_kind, to_kind, nbytes)

    def _sync_paths(self) -> None:
        # Swap every thread onto the observed paths while anything watches or redirects, and
        # back onto the plain ones when nothing does.
        watched = bool(self._observers or self._redirects)
        if watched != self._watched:
            self._watched = watched
            tls = self._tls
            if isinstance(tls, PerThread):
                self._tls = PerThread(self._threads, self._observed if watched else None)
            else:
                tls.observe(self._observed if watched else None)  # type: ignore[attr-defined]

    # --- statistics -------------------------------------------------------------------------

    def _note_peak(self) -> None:
        # Live threads only: an exited thread's frame is over and its pool counters froze
        # when it retired (the registry keeps their net).
        states = self._threads.states(retired=False)
        frame = 0
        for state in states:
            frame += state.arena.offset
        base = frame + self._heap.live_bytes
        pool = self._threads.retired_pool_net
        for state in states:
            pools = state.pools
            pool += pools.allocated_bytes() - pools.freed_bytes()
        total = base + pool
        if total > self._peak_allocated:
            self._peak_allocated = total

    def live_allocations(self) -> list[LiveAllocation]:
        """Every pool and heap allocation not freed yet, with its allocation site in debug
        mode (see :meth:`leak_report`)."""
        return live_allocations(self._pool_live, self._heap)

    def leak_report(self) -> str:
        """What is still allocated, grouped by where it was allocated (sites are recorded in
        debug mode), largest first."""
        return format_leaks(self.live_allocations())

    def thread_stats(self) -> ThreadStats:
        """Statistics of the calling thread."""
        return self._tls.state.snapshot()

    def stats(self) -> AllocStats:
        """Allocator-wide statistics (see :class:`~framealloc_engine.core.stats.AllocStats`)."""
        snaps = [s.snapshot() for s in self._threads.states()]
        folded = self._threads.folded
        if folded.threads:
            snaps.append(folded.snapshot())
        frame = sum(s.frame_in_use for s in snaps)
        pool = sum(s.pool_bytes_allocated - s.pool_bytes_freed for s in snaps)
        heap = sum(s.heap_bytes_allocated - s.heap_bytes_freed for s in snaps)
        total = frame + pool + heap
        self._peak_allocated = max(self._peak_allocated, total)
        return AllocStats(
            total_allocated=total,
            peak_allocated=self._peak_allocated,
            allocation_count=sum(s.allocation_count for s in snaps),
            deallocation_count=sum(s.deallocation_count for s in snaps),
            frame_allocated=frame,
            pool_allocated=pool,
            heap_allocated=heap,
            slab_refill_count=sum(s.slab_refills for s in snaps),
            deferred_free_count=sum(s.deferred_sent for s in snaps),
            deferred_pending=sum(s.deferred_pending for s in snaps),
            reserved_bytes=self._reservations.reserved,
            threads=tuple([s for s in snaps if s.alive]),  # no generator: no GC-tracked garbage
            frame_escapes=sum(s.frame_escapes for s in snaps),
        )
