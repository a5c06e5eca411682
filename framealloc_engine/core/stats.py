"""Statistics snapshots: plain frozen dataclasses, safe to keep and compare.

All byte counts are bytes *taken from the allocator* for an allocation: the frame arena's
bump offset (alignment padding included), a pool block's size class, a heap block's size
rounded to 16 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AllocStats", "KindCounts", "ThreadStats"]


@dataclass(slots=True)
class KindCounts:
    """Allocation counts and bytes per kind, for one tag path or phase."""

    frame_count: int = 0
    frame_bytes: int = 0
    pool_count: int = 0
    pool_bytes: int = 0
    heap_count: int = 0
    heap_bytes: int = 0

    @property
    def count(self) -> int:
        """Allocations of every kind."""
        return self.frame_count + self.pool_count + self.heap_count

    @property
    def bytes(self) -> int:
        """Bytes of every kind."""
        return self.frame_bytes + self.pool_bytes + self.heap_bytes

    def add(self, other: KindCounts) -> None:
        """Add ``other``'s counts into this one."""
        self.frame_count += other.frame_count
        self.frame_bytes += other.frame_bytes
        self.pool_count += other.pool_count
        self.pool_bytes += other.pool_bytes
        self.heap_count += other.heap_count
        self.heap_bytes += other.heap_bytes

    def copy(self) -> KindCounts:
        """An independent copy."""
        return KindCounts(
            self.frame_count,
            self.frame_bytes,
            self.pool_count,
            self.pool_bytes,
            self.heap_count,
            self.heap_bytes,
        )


@dataclass(frozen=True, slots=True)
class ThreadStats:
    """What one thread did with the allocator.

    Frees are counted on the thread that asked for them, so a thread that frees blocks
    another thread allocated can show more frees than allocations; sums over threads
    balance.
    """

    thread_id: int
    thread_name: str
    alive: bool
    frame_number: int
    frame_active: bool
    frames_completed: int
    arena_capacity: int
    frame_in_use: int
    frame_peak: int
    frame_allocations: int
    frame_deallocations: int
    pool_allocations: int
    pool_deallocations: int
    pool_bytes_allocated: int
    pool_bytes_freed: int
    heap_allocations: int
    heap_deallocations: int
    heap_bytes_allocated: int
    heap_bytes_freed: int
    slab_refills: int
    deferred_sent: int
    deferred_pending: int
    deferred_applied: int
    #: Frame arrays still referenced when their frame ended or was rolled back (their bytes
    #: were set aside; see the README's safety model).
    frame_escapes: int = 0

    @property
    def allocation_count(self) -> int:
        """Allocations of every kind made by this thread."""
        return self.frame_allocations + self.pool_allocations + self.heap_allocations

    @property
    def deallocation_count(self) -> int:
        """Frees of every kind made by this thread (frame resets included)."""
        return self.frame_deallocations + self.pool_deallocations + self.heap_deallocations


@dataclass(frozen=True, slots=True)
class AllocStats:
    """Allocator-wide statistics (sums over every thread, live and exited).

    Attributes:
        total_allocated: Live bytes: ``frame_allocated + pool_allocated + heap_allocated``.
        peak_allocated: Highest ``total_allocated`` sampled: at a frame end that went past
            its thread's previous peak (and every 64th frame end), at a heap allocation, and
            at every ``stats()`` call.
        allocation_count: Allocations ever made (every kind).
        deallocation_count: Frees ever made, a frame reset counting each frame allocation.
        frame_allocated: Frame-arena bytes in use on every thread right now.
        pool_allocated: Bytes of live pool blocks.
        heap_allocated: Bytes of live heap blocks.
        slab_refill_count: Times a thread refilled a pool class from the slab registry.
        deferred_free_count: Frees sent to another thread's deferred queue.
        deferred_pending: Deferred frees not yet applied by their owner.
        reserved_bytes: Memory reserved from the system (arenas, slab pages, heap regions).
        threads: Per-thread statistics of live threads.
        frame_escapes: Frame arrays still referenced when their frame ended or was rolled
            back, on every thread (their bytes were set aside, not reused).
    """

    total_allocated: int
    peak_allocated: int
    allocation_count: int
    deallocation_count: int
    frame_allocated: int
    pool_allocated: int
    heap_allocated: int
    slab_refill_count: int
    deferred_free_count: int
    deferred_pending: int
    reserved_bytes: int
    threads: tuple[ThreadStats, ...] = field(default=())
    frame_escapes: int = 0

    @property
    def active_allocations(self) -> int:
        """Allocations not yet freed: ``allocation_count - deallocation_count``."""
        return self.allocation_count - self.deallocation_count
