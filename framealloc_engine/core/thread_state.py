"""Everything one thread owns: its frame arena, its pools, its counters, tags and phases.

Attribution to tags and phases costs nothing per allocation: the state keeps *marks* of its
monotonic allocation counters, and whenever the current tag path or phase changes the counts
since the marks are charged to the (tag, phase) key that was current. A frame end charges
nothing when the key did not change during the frame (the common case): the last frame's
breakdown is kept as the key and two marks, and the running totals include the open segment
whenever they are read.
"""

from __future__ import annotations

import threading
from typing import Protocol, TypeVar

from framealloc_engine.allocators.checkpoint import ArenaCheckpoint
from framealloc_engine.allocators.slab import Block, SlabRegistry
from framealloc_engine.core.stats import KindCounts, ThreadStats
from framealloc_engine.core.tags import TAG_SEPARATOR, UNTAGGED
from framealloc_engine.errors import FrameStateError

__all__ = ["FrameHolder", "FrameSource", "Gross", "ThreadState"]

#: A thread's monotonic counters: frame count and bytes, pool count and bytes, heap count
#: and bytes (frame ones include the arena's live part and the frame sources).
Gross = tuple[int, int, int, int, int, int]

K = TypeVar("K")


def _charge(table: dict[K, KindCounts], key: K, start: Gross, end: Gross) -> None:
    """Add the counts between two marks to ``table[key]``."""
    counts = table.get(key)
    if counts is None:
        counts = table[key] = KindCounts()
    counts.frame_count += end[0] - start[0]
    counts.frame_bytes += end[1] - start[1]
    counts.pool_count += end[2] - start[2]
    counts.pool_bytes += end[3] - start[3]
    counts.heap_count += end[4] - start[4]
    counts.heap_bytes += end[5] - start[5]


class FrameHolder(Protocol):
    """An object that holds frame arrays and refuses access once its frame is over."""

    def detach(self) -> None:
        """Let the frame arrays go (the frame ended, or a rollback passed the holder)."""


class FrameSource(Protocol):
    """Frame memory of a thread besides its arena (numpy's own allocations, captured).

    Its counters are cumulative; the thread's frame statistics and attribution include
    them, and it is told when the thread's frames begin and end.
    """

    @property
    def count(self) -> int:
        """Allocations served (cumulative)."""

    @property
    def bytes(self) -> int:
        """Bytes served (cumulative)."""

    @property
    def frees(self) -> int:
        """Allocations freed (cumulative)."""

    @property
    def escapes(self) -> int:
        """Allocations found alive at a frame end (cumulative)."""

    @property
    def live_bytes(self) -> int:
        """Bytes alive now."""

    def frame_begin(self) -> None:
        """The thread began a frame."""

    def frame_end(self) -> None:
        """The thread's frame ended (before the arena resets)."""


class ThreadState:
    """Per-thread allocator state. Only its own thread mutates it (deferred queue aside)."""

    def __init__(
        self,
        arena_size: int,
        registry: SlabRegistry,
        pool_live: dict[int, Block],
        *,
        debug: bool,
    ) -> None:
        thread = threading.current_thread()
        self.thread = thread
        self.thread_id = threading.get_ident()
        self.thread_name = thread.name
        # the registry's backend makes the arena and pools too
        parts = registry.parts
        self.arena = parts.new_arena(arena_size, debug=debug)
        self.pools = parts.new_pools(registry, pool_live, debug=debug)
        self.alive = True
        # frame lifecycle
        self.frame_number = 0
        self.frames_completed = 0
        self.box_generation = 0
        self.box_seq = 0
        self.dead_box_ranges: list[tuple[int, int]] = []
        #: Arena indices this frame rolled back to, in order (checkpoints use it to tell
        #: whether a later rollback went past them).
        self.rollback_log: list[int] = []
        self.frame_objects: list[object] = []
        #: Objects holding frame arrays that refuse access after the frame (frame boxes,
        #: frame collections), with their box sequence numbers: they let the arrays go when
        #: the frame ends or a rollback passes them, so holding them is no escape.
        self.frame_holders: list[tuple[int, FrameHolder]] = []
        #: Per-thread state of optional facade features (e.g. pending retained
        #: allocations), keyed by feature; only the owning thread touches an entry.
        self.extensions: dict[str, object] = {}
        #: Frame memory besides the arena (see :class:`FrameSource`); usually empty.
        self.frame_sources: list[FrameSource] = []
        self._source_marks = (0, 0)
        # cumulative counters (frame ones exclude the arena's live part)
        self.frame_allocs_done = 0
        self.frame_bytes_done = 0
        self.heap_allocs = 0
        self.heap_frees = 0
        self.heap_bytes = 0
        self.heap_bytes_freed = 0
        # tags and phases
        self.tag_stack: list[str] = []
        self.tag_path = UNTAGGED
        self.phase_stack: list[str] = []
        self.phase_path = UNTAGGED
        #: Gross counters when the running totals were last charged (at a tag or phase change).
        self._marks: Gross = (0, 0, 0, 0, 0, 0)
        #: Gross counters when the current frame's breakdown was last charged (at a tag or
        #: phase change, or the previous frame end).
        self._frame_marks: Gross = (0, 0, 0, 0, 0, 0)
        self._tag_paths: list[str] = []
        #: The current frame's segments closed by tag or phase changes, per (tag, phase).
        self.frame_buckets: dict[tuple[str, str], KindCounts] = {}
        #: The last completed frame: its buckets, or (key, marks at its start, marks at its
        #: end) when one key held the whole frame (made into buckets only when read).
        self._last_frame: dict[tuple[str, str], KindCounts] | tuple[tuple[str, str], Gross, Gross]
        self._last_frame = {}
        self._last_by: tuple[dict[str, KindCounts], dict[str, KindCounts]] | None = None
        self._tag_totals: dict[str, KindCounts] = {}
        self._phase_totals: dict[str, KindCounts] = {}

    # --- monotonic counters -----------------------------------------------------------------

    def _gross(self, marks: Gross) -> Gross:
        arena = self.arena
        pools = self.pools
        pool_count = pools.alloc_total[0]
        # Pool bytes only grow with the pool count: skip the per-class sum when it is unchanged
        # since ``marks`` (tag and phase changes flush often; this keeps a flush well under a
        # microsecond).
        pool_bytes = marks[3] if pool_count == marks[2] else pools.allocated_bytes()
        frame_count = self.frame_allocs_done + arena.count
        frame_bytes = self.frame_bytes_done + arena.offset
        if self.frame_sources:
            count, nbytes = self._source_totals()
            frame_count += count
            frame_bytes += nbytes
        return (frame_count, frame_bytes, pool_count, pool_bytes, self.heap_allocs,
                self.heap_bytes)  # fmt: skip

    def _source_totals(self) -> tuple[int, int]:
        """Allocations and bytes the frame sources served (cumulative)."""
        count = nbytes = 0
        for source in self.frame_sources:
            count += source.count
            nbytes += source.bytes
        return count, nbytes

    def flush_attribution(self) -> None:
        """Charge allocations since the last charge to the current tag path and phase (the
        owning thread calls this before the key changes, and wherever it wants the breakdown
        of the open frame up to now)."""
        marks = self._marks
        arena = self.arena
        # Fast exit when nothing was allocated since the last charge: byte counters only move
        # with their counts (rollbacks and frame ends re-mark), so the counts decide. Nested
        # tag and phase pushes hit this.
        if (
            self.frame_allocs_done + arena.count == marks[0]
            and self.heap_allocs == marks[4]
            and self.pools.alloc_total[0] == marks[2]
            and not self.frame_sources
        ):
            return
        now = self._gross(marks)
        tag, phase = key = (self.tag_path, self.phase_path)
        _charge(self._tag_totals, tag, marks, now)
        _charge(self._phase_totals, phase, marks, now)
        frame_marks = self._frame_marks
        if now != frame_marks:
            _charge(self.frame_buckets, key, frame_marks, now)
        self._marks = self._frame_marks = now

    @property
    def tag_totals(self) -> dict[str, KindCounts]:
        """Counts per tag path since the thread began, up to now (a new dict; safe to read
        from another thread)."""
        return self._totals_with_open_segment(self._tag_totals, self.tag_path)

    @property
    def phase_totals(self) -> dict[str, KindCounts]:
        """Counts per phase path since the thread began, up to now (a new dict)."""
        return self._totals_with_open_segment(self._phase_totals, self.phase_path)

    def _totals_with_open_segment(
        self, charged: dict[str, KindCounts], key: str
    ) -> dict[str, KindCounts]:
        # Read-only, so another thread may call it: the open segment (since the last charge)
        # is added to a copy, never charged.
        marks = self._marks
        now = self._gross(marks)
        totals = {name: counts.copy() for name, counts in list(charged.items())}
        if now != marks:
            _charge(totals, key, marks, now)
        return totals

    # --- frame lifecycle --------------------------------------------------------------------

    def begin_frame(self) -> None:
        """Open a frame on this thread."""
        if self.arena.active:
            raise FrameStateError(
                f"begin_frame() called while frame {self.frame_number} is still active",
                note=f"thread {self.thread_name!r} already has an open frame",
                help="call end_frame() before beginning the next frame",
            )
        # no charge here: what was allocated between frames belongs to the key current now,
        # and the next charge (a key change or this frame's end) counts it the same
        self.frame_number += 1
        self.arena.begin()
        if self.frame_sources:
            self._source_marks = self._source_totals()
            for source in self.frame_sources:
                source.frame_begin()

    def end_frame(self) -> tuple[int, int]:
        """Close the frame; returns ``(allocations, bytes)`` the reset freed."""
        if not self.arena.active:
            raise FrameStateError(
                "end_frame() called with no active frame",
                note=f"thread {self.thread_name!r} has no open frame",
                help="call begin_frame() first (each thread begins and ends its own frames)",
            )
        if self.frame_holders:
            self._detach_holders(0)
        self._close_frame_breakdown()
        count, used = self.arena.end()
        # The gross counters do not move: what the arena held moves into the *_done totals,
        # so the marks stay exact.
        self.frame_allocs_done += count
        self.frame_bytes_done += used
        self.frames_completed += 1
        self.box_generation += 1
        if self.dead_box_ranges:
            self.dead_box_ranges.clear()
        if self.rollback_log:
            self.rollback_log.clear()
        if self.frame_objects:
            self.frame_objects.clear()
        if self.frame_sources:
            for source in self.frame_sources:
                source.frame_end()
            # what the sources served this frame counts as this frame's allocations (their
            # cumulative counters are in the gross counters already)
            served, served_bytes = self._source_totals()
            marks = self._source_marks
            return count + served - marks[0], used + served_bytes - marks[1]
        return count, used

    def _close_frame_breakdown(self) -> None:
        # The frame's last segment: when no tag or phase changed during the frame it is the
        # whole frame, kept as marks (nothing is charged or folded; the running totals hold
        # it as their open segment).
        frame_marks = self._frame_marks
        now = self._gross(frame_marks)
        key = (self.tag_path, self.phase_path)
        buckets = self.frame_buckets
        if buckets:
            if now != frame_marks:
                _charge(buckets, key, frame_marks, now)
            self._last_frame = buckets
            self.frame_buckets = {}
        else:
            self._last_frame = (key, frame_marks, now)
        self._frame_marks = now
        self._last_by = None

    @property
    def last_frame_buckets(self) -> dict[tuple[str, str], KindCounts]:
        """Counts per (tag path, phase path) of the last completed frame (do not mutate)."""
        last = self._last_frame
        if isinstance(last, tuple):
            key, start, end = last
            last = {}
            if end != start:
                _charge(last, key, start, end)
            self._last_frame = last
        return last

    def _last_frame_breakdown(self) -> tuple[dict[str, KindCounts], dict[str, KindCounts]]:
        cached = self._last_by
        if cached is None:
            by_tag: dict[str, KindCounts] = {}
            by_phase: dict[str, KindCounts] = {}
            for (tag, phase), counts in self.last_frame_buckets.items():
                by_tag.setdefault(tag, KindCounts()).add(counts)
                by_phase.setdefault(phase, KindCounts()).add(counts)
            cached = self._last_by = (by_tag, by_phase)
        return cached

    @property
    def last_frame_by_tag(self) -> dict[str, KindCounts]:
        """Counts per tag path of the last completed frame (do not mutate)."""
        return self._last_frame_breakdown()[0]

    @property
    def last_frame_by_phase(self) -> dict[str, KindCounts]:
        """Counts per phase path of the last completed frame (do not mutate)."""
        return self._last_frame_breakdown()[1]

    def checkpoint(self) -> tuple[ArenaCheckpoint, int]:
        """Arena position plus the box sequence number at this point."""
        return self.arena.checkpoint(), self.box_seq

    def rollback(self, checkpoint: ArenaCheckpoint, box_seq: int) -> int:
        """Undo allocations after a checkpoint; boxes made since become invalid."""
        self.flush_attribution()
        if self.frame_holders:
            self._detach_holders(box_seq)
        used = self.arena.offset
        freed = self.arena.rollback(checkpoint)
        self.rollback_log.append(checkpoint.index)
        self.frame_allocs_done += freed
        self.frame_bytes_done += used - checkpoint.offset
        if self.box_seq > box_seq:
            self.dead_box_ranges.append((box_seq, self.box_seq))
        self._marks = self._frame_marks = self._gross(self._marks)
        return freed

    # --- tags and phases --------------------------------------------------------------------

    def push_tag(self, name: str) -> None:
        """Enter a nested tag."""
        self.flush_attribution()
        path = self.tag_path
        self._tag_paths.append(path)
        self.tag_stack.append(name)
        self.tag_path = f"{path}{TAG_SEPARATOR}{name}" if path else name

    def pop_tag(self) -> str:
        """Leave the innermost tag."""
        if not self.tag_stack:
            raise FrameStateError("tag stack is empty", help="pop only tags you pushed")
        self.flush_attribution()
        name = self.tag_stack.pop()
        self.tag_path = self._tag_paths.pop()
        return name

    def push_phase(self, name: str) -> None:
        """Enter a nested phase."""
        self.flush_attribution()
        self.phase_stack.append(name)
        self.phase_path = TAG_SEPARATOR.join(self.phase_stack)

    def pop_phase(self) -> str:
        """Leave the innermost phase."""
        if not self.phase_stack:
            raise FrameStateError(
                "end_phase() called with no active phase",
                help="pair every begin_phase(name) with one end_phase(), or use phase_scope()",
            )
        self.flush_attribution()
        name = self.phase_stack.pop()
        self.phase_path = TAG_SEPARATOR.join(self.phase_stack)
        return name

    # --- boxes ------------------------------------------------------------------------------

    def register_frame_holder(self, holder: FrameHolder, seq: int) -> None:
        """``holder`` (made with box sequence ``seq``) holds frame arrays until its frame
        ends or a rollback passes it; then its ``detach()`` is called."""
        self.frame_holders.append((seq, holder))

    def _detach_holders(self, from_seq: int) -> None:
        keep = []
        for seq, holder in self.frame_holders:
            if seq >= from_seq:
                holder.detach()
            else:
                keep.append((seq, holder))
        self.frame_holders = keep

    def next_box(self) -> tuple[int, int]:
        """A (generation, sequence) pair identifying a new frame box."""
        seq = self.box_seq
        self.box_seq = seq + 1
        return self.box_generation, seq

    def box_alive(self, generation: int, seq: int) -> bool:
        """Whether a frame box made at ``(generation, seq)`` is still valid."""
        if generation != self.box_generation or not self.arena.active:
            return False
        return all(not lo <= seq < hi for lo, hi in self.dead_box_ranges)

    # --- retirement and stats ---------------------------------------------------------------

    def retire(self) -> tuple[int, int] | None:
        """The thread has exited: end its frame and hand its pool blocks back.

        Returns:
            ``(allocations, bytes)`` of the frame it ended, or ``None`` if none was open.
        """
        ended = self.end_frame() if self.arena.active else None
        self.pools.retire()
        self.alive = False
        return ended

    def snapshot(self) -> ThreadStats:
        """A consistent-enough view of this thread's counters."""
        arena = self.arena
        pools = self.pools
        served = freed = escaped = live = 0
        for source in self.frame_sources:  # a loop, not generators: no GC-tracked garbage
            served += source.count
            freed += source.frees
            escaped += source.escapes
            live += source.live_bytes
        return ThreadStats(
            thread_id=self.thread_id,
            thread_name=self.thread_name,
            alive=self.alive,
            frame_number=self.frame_number,
            frame_active=arena.active,
            frames_completed=self.frames_completed,
            arena_capacity=arena.capacity,
            frame_in_use=arena.offset + live,
            frame_peak=max(arena.peak_offset, arena.offset),
            frame_allocations=self.frame_allocs_done + arena.count + served,
            frame_deallocations=self.frame_allocs_done + freed,
            pool_allocations=sum(pools.alloc_counts),
            pool_deallocations=sum(pools.free_counts),
            pool_bytes_allocated=pools.allocated_bytes(),
            pool_bytes_freed=pools.freed_bytes(),
            heap_allocations=self.heap_allocs,
            heap_deallocations=self.heap_frees,
            heap_bytes_allocated=self.heap_bytes,
            heap_bytes_freed=self.heap_bytes_freed,
            slab_refills=pools.refills,
            deferred_sent=pools.deferred_sent,
            deferred_pending=len(pools.deferred),
            deferred_applied=pools.deferred_applied,
            frame_escapes=arena.escapes + escaped,
        )

    def current_bucket_key(self) -> tuple[str, str]:
        """The (tag path, phase path) allocations are charged to now."""
        return self.tag_path, self.phase_path
