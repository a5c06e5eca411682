"""The streaming allocator: a fixed budget for large assets loaded incrementally.

An asset's life: :meth:`~StreamingAllocator.reserve` (RESERVED) → ``begin_load`` hands out a
writable byte view (LOADING) → the loader fills it, maybe on another thread, calling
``report_progress`` → ``finish_load`` (READY) → :meth:`~StreamingAllocator.access` returns a
read-only view → ``free``. Under memory pressure a reservation evicts READY entries of
*lower* priority, least recently used first (EVICTED: ``access`` returns ``None``)::

    streaming = StreamingAllocator(64 * 1024 * 1024)
    tex = streaming.reserve(1 << 20, StreamPriority.HIGH)
    streaming.begin_load(tex)[:] = texture_bytes       # usually on a loader thread
    streaming.finish_load(tex)
    if (data := streaming.access(tex)) is not None:
        upload(data)

Views are short-lived. The allocator may *compact* (move) RESERVED and READY entries to make
room, and eviction reuses memory, so call :meth:`~StreamingAllocator.access` each time you
need the data and never keep its view across a ``reserve``/``free`` (on any thread). To hold
a view while other threads reserve, use ``with streaming.pinned(id) as data:``; pinned and
LOADING entries are never moved or evicted.

Thread safety: every call except the :meth:`~StreamingAllocator.access` fast path takes one
lock; ``access`` reads a dict without it. Eviction callbacks run after the lock is released.
"""

from __future__ import annotations

import enum
import itertools
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import SupportsIndex

import numpy as np
from numpy.typing import NDArray

from framealloc_engine.allocators.region import Region
from framealloc_engine.errors import (
    AllocationSizeError,
    FrameAllocError,
    StaleHandleError,
    StreamBudgetError,
)

_getrefcount = sys.getrefcount

__all__ = [
    "STREAM_ALIGN",
    "EvictionCallback",
    "StreamEntryInfo",
    "StreamEviction",
    "StreamPriority",
    "StreamState",
    "StreamStateError",
    "StreamStats",
    "StreamingAllocator",
]

#: Entries start on, and are charged in multiples of, this many bytes (a cache line).
STREAM_ALIGN = 64
_ALIGN_MASK = STREAM_ALIGN - 1


class StreamPriority(enum.IntEnum):
    """How much an entry is worth keeping. A reservation evicts only lower priorities."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    CRITICAL = 3


class StreamState(enum.Enum):
    """Where an entry is in its life. Freed ids are forgotten (they raise FA401).

    Attributes:
        RESERVED: Space is set aside; nothing loaded yet. May be moved, never evicted.
        LOADING: ``begin_load`` handed out a writable view. Never moved or evicted.
        READY: Loaded; ``access`` returns it. Evictable by higher-priority reservations,
            movable by compaction (unless pinned).
        EVICTED: Memory was reclaimed. ``access`` returns ``None``; ``free`` forgets the id;
            reserve again to reload.
    """

    RESERVED = "reserved"
    LOADING = "loading"
    READY = "ready"
    EVICTED = "evicted"


class StreamStateError(FrameAllocError, RuntimeError):
    """FA401: a streaming call was made in the wrong state (e.g. ``finish_load`` twice)."""

    code = "FA401"
    default_help = (
        "follow reserve() -> begin_load() -> report_progress()* -> finish_load() -> "
        "access()/free(); check streaming.state(id) first"
    )


@dataclass(frozen=True, slots=True)
class StreamEviction:
    """What the eviction callback receives.

    Attributes:
        stream_id: The evicted id (its state is now EVICTED).
        size: The reserved size in bytes.
        priority: The entry's priority.
        tag: The tag given to :meth:`StreamingAllocator.reserve_tagged`, or ``None``.
    """

    stream_id: int
    size: int
    priority: StreamPriority
    tag: str | None


#: ``fn(eviction)``, called once per evicted entry, outside the allocator's lock.
EvictionCallback = Callable[[StreamEviction], None]


@dataclass(frozen=True, slots=True)
class StreamEntryInfo:
    """A snapshot of one entry (see :meth:`StreamingAllocator.info`)."""

    stream_id: int
    size: int
    priority: StreamPriority
    tag: str | None
    state: StreamState
    progress: int
    pinned: bool


@dataclass(frozen=True, slots=True)
class StreamStats:
    """A snapshot of a :class:`StreamingAllocator`.

    Attributes:
        budget_bytes: The budget given at creation.
        used_bytes: Bytes charged to live (non-evicted) entries, rounded up to 64 each.
        requested_bytes: Sum of the sizes asked for by live entries.
        free_bytes: Bytes not charged to any entry.
        largest_free: Largest contiguous free run.
        peak_used_bytes: High-water mark of ``used_bytes``.
        reserved: Entries in RESERVED.
        loading: Entries in LOADING.
        ready: Entries in READY.
        evicted: Entries in EVICTED (not yet freed).
        evictions_total: Entries evicted since creation.
        evicted_bytes_total: Bytes those evictions reclaimed.
        compactions_total: Times entries were moved to join free space.
        failed_reservations: Reservations refused with FA402.
    """

    budget_bytes: int
    used_bytes: int
    requested_bytes: int
    free_bytes: int
    largest_free: int
    peak_used_bytes: int
    reserved: int
    loading: int
    ready: int
    evicted: int
    evictions_total: int
    evicted_bytes_total: int
    compactions_total: int
    failed_reservations: int


class _Entry:
    __slots__ = (
        "block",
        "offset",
        "pins",
        "priority",
        "progress",
        "size",
        "state",
        "stream_id",
        "tag",
        "tick",
        "view",
    )

    def __init__(
        self,
        stream_id: int,
        size: int,
        block: int,
        offset: int,
        priority: StreamPriority,
        tag: str | None,
    ) -> None:
        self.stream_id = stream_id
        self.size = size
        self.block = block
        self.offset = offset
        self.priority = priority
        self.tag = tag
        self.state = StreamState.RESERVED
        self.progress = 0
        self.tick = 0
        self.pins = 0
        self.view: NDArray[np.uint8] | None = None

    @property
    def span(self) -> int:
        """Bytes the entry occupies in the buffer."""
        return self.block

    @property
    def align(self) -> int:
        """Alignment of the entry's start."""
        return STREAM_ALIGN


class StreamingAllocator:
    """Streaming memory for large assets under one byte budget.

    Args:
        budget_bytes: Bytes of the one preallocated buffer; reservations never exceed it.
        debug: Fill evicted and freed memory with 0xCD.

    Eviction rule: a reservation that does not fit evicts READY, unpinned entries whose
    priority is strictly lower than its own, lowest priority first and least recently
    used (``finish_load``/``access``) first within a priority, stopping as soon as it
    fits. It never evicts LOADING or RESERVED entries, nor entries of equal or higher
    priority. If the free bytes suffice but are scattered, RESERVED and READY entries are
    compacted first (no data is lost). If even evicting every candidate could not make
    room, nothing is evicted and :class:`~framealloc_engine.errors.StreamBudgetError`
    (FA402) is raised.
    """

    def __init__(self, budget_bytes: int, *, debug: bool = False) -> None:
        if isinstance(budget_bytes, bool) or not isinstance(budget_bytes, int):
            raise AllocationSizeError(f"budget_bytes must be an int, got {budget_bytes!r}")
        if budget_bytes < STREAM_ALIGN:
            raise AllocationSizeError(
                f"streaming budget of {budget_bytes} bytes is below the minimum of {STREAM_ALIGN}",
                help="give the streaming allocator a budget, e.g. 64 * 1024 * 1024",
            )
        self._budget = budget_bytes
        self._region = Region(
            budget_bytes, debug=debug, usable=budget_bytes - budget_bytes % STREAM_ALIGN
        )
        self._lock = threading.RLock()
        self._entries: dict[int, _Entry] = {}
        self._ready: dict[int, _Entry] = {}  # READY entries only: the access fast path
        self._ids = itertools.count(1)
        self._next_id = 1
        self._clock = itertools.count(1)
        self._callback: EvictionCallback | None = None
        self._requested = 0
        self._peak = 0
        self._evictions = 0
        self._evicted_bytes = 0
        self._compactions = 0
        self._failed = 0

    @property
    def budget_bytes(self) -> int:
        """The budget given at creation."""
        return self._budget

    # -- reservation ------------------------------------------------------------------------

    def reserve(
        self, size: SupportsIndex, priority: StreamPriority | int = StreamPriority.NORMAL
    ) -> int:
        """Reserve ``size`` bytes; return the new entry's id (ids are never reused).

        May evict lower-priority READY entries and compact others (see the class docs).

        Raises:
            AllocationSizeError: ``size`` is not a positive int (FA004).
            StreamBudgetError: the reservation cannot fit, even after eviction (FA402).
        """
        return self.reserve_tagged(size, priority, None)

    def reserve_tagged(
        self, size: SupportsIndex, priority: StreamPriority | int, tag: str | None
    ) -> int:
        """Like :meth:`reserve`, remembering ``tag`` (shown in stats, info and evictions)."""
        n = size
        if type(n) is not int:  # bools, floats and strings are refused; numpy ints are fine
            n = int(n) if isinstance(n, np.integer) else -1
        if n <= 0:
            raise AllocationSizeError(
                f"stream reservation size must be a positive int, got {size!r}",
                help="reserve the asset's byte size, e.g. streaming.reserve(width * height "
                "* 4, StreamPriority.NORMAL)",
            )
        size = n
        if type(priority) is not StreamPriority:
            priority = StreamPriority(priority)
        block = (size + _ALIGN_MASK) & ~_ALIGN_MASK
        evicted: list[_Entry] = []
        try:
            with self._lock:
                offset = self._make_room(block, size, priority, evicted)
                stream_id = next(self._ids)
                self._next_id = stream_id + 1
                self._entries[stream_id] = _Entry(stream_id, size, block, offset, priority, tag)
                self._requested += size
                used = self._region.used
                if used > self._peak:
                    self._peak = used
                return stream_id
        finally:
            callback = self._callback
            if evicted and callback is not None:
                for entry in evicted:
                    callback(StreamEviction(entry.stream_id, entry.size, entry.priority, entry.tag))

    # -- loading ----------------------------------------------------------------------------

    def begin_load(self, stream_id: int) -> NDArray[np.uint8]:
        """Start loading: RESERVED → LOADING. Returns a writable ``uint8`` view of ``size``.

        The entry neither moves nor is evicted while LOADING, so a loader thread may write
        the view freely. ``finish_load`` makes this view read-only.

        Raises:
            StaleHandleError: unknown or freed id (FA401).
            StreamStateError: the entry is not RESERVED (FA401).
        """
        with self._lock:
            entry = self._get(stream_id)
            self._expect(entry, StreamState.RESERVED, "begin_load")
            entry.state = StreamState.LOADING
            view, _ = self._region.view(entry.offset, (entry.size,), np.uint8, entry.size)
            entry.view = view
            return view

    def report_progress(self, stream_id: int, bytes_loaded: int) -> None:
        """Record how many bytes of a LOADING entry are loaded so far (a total, not a delta).

        Raises:
            StaleHandleError: unknown or freed id (FA401).
            StreamStateError: the entry is not LOADING (FA401).
            AllocationSizeError: ``bytes_loaded`` is negative or beyond the size (FA004).
        """
        with self._lock:
            entry = self._get(stream_id)
            self._expect(entry, StreamState.LOADING, "report_progress")
            if (
                isinstance(bytes_loaded, bool)
                or not isinstance(bytes_loaded, (int, np.integer))
                or not 0 <= bytes_loaded <= entry.size
            ):
                raise AllocationSizeError(
                    f"progress {bytes_loaded!r} for stream {stream_id} is outside "
                    f"[0, {entry.size}]",
                    note=f"stream {stream_id} reserved {entry.size} bytes",
                    help="report the total bytes loaded so far, between 0 and the size",
                )
            entry.progress = int(bytes_loaded)

    def finish_load(self, stream_id: int) -> None:
        """Finish loading: LOADING → READY. The loader's view becomes read-only.

        Raises:
            StaleHandleError: unknown or freed id (FA401).
            StreamStateError: the entry is not LOADING (FA401).
        """
        with self._lock:
            entry = self._get(stream_id)
            self._expect(entry, StreamState.LOADING, "finish_load")
            view = entry.view
            assert view is not None
            view.flags.writeable = False
            entry.state = StreamState.READY
            entry.progress = entry.size
            entry.tick = next(self._clock)
            self._ready[stream_id] = entry

    # -- access -----------------------------------------------------------------------------

    def access(self, stream_id: int) -> NDArray[np.uint8] | None:
        """A READY entry's bytes as a read-only ``uint8`` view, or ``None`` if not READY.

        Marks the entry as recently used. Call it each time: the view is valid only until
        the next ``reserve``/``free`` on any thread (compaction may move the entry,
        eviction may reuse its memory); use :meth:`pinned` to hold it longer.

        Returns:
            The view when READY; ``None`` when RESERVED, LOADING or EVICTED.

        Raises:
            StaleHandleError: unknown or freed id (FA401).
        """
        try:
            entry = self._ready[stream_id]
        except KeyError:
            return self._access_slow(stream_id)
        entry.tick = next(self._clock)
        return entry.view

    def _access_slow(self, stream_id: int) -> NDArray[np.uint8] | None:
        with self._lock:
            entry = self._get(stream_id)
            if entry.state is StreamState.READY:  # became READY since the fast path looked
                entry.tick = next(self._clock)
                return entry.view
            return None

    @contextmanager
    def pinned(self, stream_id: int) -> Iterator[NDArray[np.uint8] | None]:
        """Yield ``access(stream_id)`` with the entry pinned: not moved, not evicted.

        Yields ``None`` (and pins nothing) when the entry is not READY.

        Example::

            with streaming.pinned(tex) as data:
                if data is not None:
                    upload(data)   # safe even if another thread reserves meanwhile
        """
        with self._lock:
            entry = self._get(stream_id)
            ready = entry.state is StreamState.READY
            if ready:
                entry.pins += 1
                entry.tick = next(self._clock)
        try:
            yield entry.view if ready else None
        finally:
            if ready:
                with self._lock:
                    entry.pins -= 1

    # -- release ----------------------------------------------------------------------------

    def free(self, stream_id: int) -> None:
        """Forget an entry and return its memory. Its id becomes unknown (FA401 after).

        Raises:
            StaleHandleError: unknown or already freed id (FA401).
            StreamStateError: the entry is LOADING or pinned (FA401).
        """
        with self._lock:
            entry = self._get(stream_id)
            if entry.state is StreamState.LOADING:
                raise StreamStateError(
                    f"cannot free stream {stream_id} while it is loading",
                    note="a loader may still be writing its view",
                    help="call finish_load() first, then free()",
                )
            if entry.pins:
                raise StreamStateError(
                    f"cannot free stream {stream_id} while it is pinned",
                    help="leave the `with streaming.pinned(id)` block first",
                )
            if entry.state is not StreamState.EVICTED:
                self._release(entry)
            del self._entries[stream_id]

    def set_priority(self, stream_id: int, priority: StreamPriority) -> StreamPriority:
        """Change an entry's priority in place (no copy, no eviction); returns the old one.

        The new priority decides what later reservations may evict: raising it protects a
        chunk the camera approaches, lowering it makes a distant one the first to go.

        Raises:
            StaleHandleError: unknown or freed id (FA401).
            TypeError: ``priority`` is not a StreamPriority.
        """
        if not isinstance(priority, StreamPriority):
            raise TypeError(f"priority must be a StreamPriority, got {priority!r}")
        with self._lock:
            entry = self._get(stream_id)
            old = entry.priority
            entry.priority = priority
            return old

    def set_eviction_callback(self, fn: EvictionCallback | None) -> None:
        """Call ``fn(StreamEviction)`` for each evicted entry (``None`` to stop).

        The callback runs on the thread that reserved, after the allocator's lock is
        released, so it may call back into the allocator (e.g. to reserve a reload).
        """
        with self._lock:
            self._callback = fn

    # -- introspection ----------------------------------------------------------------------

    def state(self, stream_id: int) -> StreamState:
        """The entry's state.

        Raises:
            StaleHandleError: unknown or freed id (FA401).
        """
        with self._lock:
            return self._get(stream_id).state

    def info(self, stream_id: int) -> StreamEntryInfo:
        """A snapshot of one entry.

        Raises:
            StaleHandleError: unknown or freed id (FA401).
        """
        with self._lock:
            e = self._get(stream_id)
            return StreamEntryInfo(
                e.stream_id, e.size, e.priority, e.tag, e.state, e.progress, e.pins > 0
            )

    def stats(self) -> StreamStats:
        """A consistent snapshot of the allocator's counters."""
        with self._lock:
            counts = dict.fromkeys(StreamState, 0)
            for e in self._entries.values():
                counts[e.state] += 1
            extents = self._region
            return StreamStats(
                budget_bytes=self._budget,
                used_bytes=extents.used,
                requested_bytes=self._requested,
                free_bytes=extents.free_bytes,
                largest_free=extents.largest_free(),
                peak_used_bytes=self._peak,
                reserved=counts[StreamState.RESERVED],
                loading=counts[StreamState.LOADING],
                ready=counts[StreamState.READY],
                evicted=counts[StreamState.EVICTED],
                evictions_total=self._evictions,
                evicted_bytes_total=self._evicted_bytes,
                compactions_total=self._compactions,
                failed_reservations=self._failed,
            )

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"StreamingAllocator(budget_bytes={self._budget}, entries={len(self._entries)}, "
            f"used={self._region.used})"
        )

    # -- internals (called with the lock held) ----------------------------------------------

    def _get(self, stream_id: int) -> _Entry:
        entry = self._entries.get(stream_id)
        if entry is not None:
            return entry
        if isinstance(stream_id, int) and 0 < stream_id < self._next_id:
            why = "it was freed (ids are never reused)"
        else:
            why = "this allocator never issued it"
        raise StaleHandleError(
            f"unknown stream id {stream_id!r}",
            note=f"{why}; ids issued so far: 1..{self._next_id - 1}",
            help="use the id returned by reserve(), and stop using it after free()",
        )

    @staticmethod
    def _expect(entry: _Entry, state: StreamState, op: str) -> None:
        if entry.state is not state:
            raise StreamStateError(
                f"{op}() on stream {entry.stream_id} needs state {state.name}, "
                f"but it is {entry.state.name}",
            )

    def _make_room(
        self, block: int, size: int, priority: StreamPriority, evicted: list[_Entry]
    ) -> int:
        extents = self._region
        offset = extents.place(block, STREAM_ALIGN)
        if offset >= 0:
            return offset
        candidates = sorted(
            (
                e for e in self._ready.values()
                if e.pins == 0 and e.priority < priority and not self._referenced(e)
            ),
            key=lambda e: (e.priority, e.tick),
        )  # fmt: skip
        evictable = sum(e.block for e in candidates)
        if block > extents.capacity or extents.free_bytes + evictable < block:
            raise self._budget_error(size, block, priority, candidates)
        if extents.free_bytes >= block:
            offset = self._compact_and_allocate(block)
            if offset >= 0:
                return offset
        for entry in candidates:
            self._evict(entry)
            evicted.append(entry)
            offset = extents.place(block, STREAM_ALIGN)
            if offset < 0 and extents.free_bytes >= block:
                offset = self._compact_and_allocate(block)
            if offset >= 0:
                return offset
        # Only reachable when LOADING/pinned entries split the free space.
        raise self._budget_error(size, block, priority, [])

    @staticmethod
    def _referenced(entry: _Entry) -> bool:
        """Whether the entry's view (or an array derived from it) is referenced outside."""
        view = entry.view
        return view is not None and _getrefcount(view) > 3  # entry, local, argument

    def _compact_and_allocate(self, block: int) -> int:
        """Slide unpinned RESERVED/READY entries down; LOADING and pinned ones stay."""
        self._compactions += 1
        region = self._region
        live = [e for e in self._entries.values() if e.state is not StreamState.EVICTED]

        def movable(e: _Entry) -> bool:
            # a view still referenced (a reader, a loader's slice) pins the entry in place:
            # moving it would leave their writes where another entry will be
            return not (e.pins or e.state is StreamState.LOADING or self._referenced(e))

        def moved(e: _Entry, old: int) -> NDArray[np.uint8] | None:
            stale = e.view
            if stale is None:
                return None
            stale.flags.writeable = False
            view, _ = region.view(e.offset, (e.size,), np.uint8, e.size)
            view.flags.writeable = False
            e.view = view
            return stale

        region.compact(live, movable, None, moved)
        return region.place(block, STREAM_ALIGN)

    def _evict(self, entry: _Entry) -> None:
        self._release(entry)
        entry.state = StreamState.EVICTED
        self._evictions += 1
        self._evicted_bytes += entry.block

    def _release(self, entry: _Entry) -> None:
        view, entry.view = entry.view, None
        if view is not None:
            view.flags.writeable = False
        # set aside, not reused, while the view (or a loader's slice of it) is referenced
        self._region.release(entry.offset, entry.block, view)
        del view
        self._ready.pop(entry.stream_id, None)
        self._requested -= entry.size
        entry.offset = -1

    def _budget_error(
        self, size: int, block: int, priority: StreamPriority, candidates: list[_Entry]
    ) -> StreamBudgetError:
        self._failed += 1
        extents = self._region
        loading = [e for e in self._entries.values() if e.state is StreamState.LOADING]
        evictable = sum(e.block for e in candidates)
        entries = "entry" if len(candidates) == 1 else "entries"
        return StreamBudgetError(
            f"streaming budget exhausted: cannot reserve {size} bytes at priority {priority.name}",
            note=(
                f"budget {self._budget} B, request {size} B ({block} B charged), free "
                f"{extents.free_bytes} B (largest run {extents.largest_free()} B), evictable "
                f"{evictable} B in {len(candidates)} READY {entries} of priority below "
                f"{priority.name}; {len(loading)} LOADING "
                f"({sum(e.block for e in loading)} B) cannot move or be evicted"
            ),
            help="free() entries you no longer need, reserve at a higher priority, or "
            "create the StreamingAllocator with a larger budget",
        )
