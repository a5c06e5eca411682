"""Chunk streaming: which chunks to hold, at what priority, and their incremental loading.

Every chunk is one entry of the app allocator's :class:`StreamingAllocator`, whose budget
holds only ``budget_slots`` chunks of a world many times larger. Priorities follow the
distance ``d`` (in chunks, Chebyshev) from the view rectangle:

====================  ============  =================================================
ring                  priority      what happens
====================  ============  =================================================
``d == 0`` (visible)  CRITICAL      reserved first; may evict anything below
``d <= 1``            HIGH
``d <= 2``            NORMAL
``d <= 3``            LOW           prefetch; evicted first (least recently used)
``d > 4``             --            freed ("unloaded") by the demo
====================  ============  =================================================

When the camera moves, a READY chunk is *re-prioritised* in place with
``StreamingAllocator.set_priority`` (no copy). Reservations that do not fit evict
lower-priority READY chunks; the allocator's eviction callback reports them, the demo frees
their ids and flashes them on the minimap.

Loading is a per-frame system with a byte budget: ``begin_load`` → the tile map, then one
row of tiles per step (``report_progress`` after each) → ``finish_load``. Nothing here keeps
an ``access()`` view across a ``reserve``/``free``; the LOADING view is kept between frames,
which the allocator allows (LOADING entries never move).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from framealloc_engine import (
    SmartAlloc,
    StreamBudgetError,
    StreamEviction,
    StreamingAllocator,
    StreamPriority,
    tags,
)
from framealloc_engine.app import Res, ResMut
from framealloc_engine.bridge import AllocResource

from .camera import Camera
from .world import (
    CHUNK_PX,
    CHUNK_TILES,
    ENTRY_BYTES,
    MAP_BYTES,
    ROW_BYTES,
    TILE_PX,
    WorldAssets,
    write_texture_rows,
    write_tile_map,
)

__all__ = [
    "EMPTY",
    "LOADING",
    "PHASE",
    "PREFETCH_RING",
    "PRIORITIES",
    "QUEUED",
    "READY",
    "UNLOAD_RING",
    "ChunkStreamer",
    "StreamingSettings",
    "load_chunks",
    "plan_chunks",
    "tier_of",
]

#: The allocation phase of planning and loading (the overlay shows phases and tags).
PHASE = "streaming"
#: Chunk states as the demo tracks them (QUEUED = reserved, waiting for the loader).
EMPTY, QUEUED, LOADING, READY = 0, 1, 2, 3
#: Priority of each tier (the tier is the index).
PRIORITIES = (
    StreamPriority.LOW,
    StreamPriority.NORMAL,
    StreamPriority.HIGH,
    StreamPriority.CRITICAL,
)
PREFETCH_RING = 3.0
UNLOAD_RING = 4.0
#: A READY chunk is demoted only once it is this far (in chunks) past its ring's outer edge
#: (promotion is immediate), so a chunk on a ring's edge does not flip back and forth.
HYSTERESIS = 0.35


def tier_of(d: float) -> int:
    """The tier (index into :data:`PRIORITIES`) of a chunk at ring distance ``d``; -1 when it
    is beyond the prefetch ring."""
    if d <= 0.0:
        return 3
    if d <= 1.0:
        return 2
    if d <= 2.0:
        return 1
    if d <= PREFETCH_RING:
        return 0
    return -1


@dataclass(frozen=True)
class StreamingSettings:
    """Knobs of the streaming demo (a resource).

    Attributes:
        budget_slots: Chunks the streaming budget holds (its bytes: ``slots * ENTRY_BYTES``).
        load_bytes_per_frame: The loader's bandwidth, bytes per frame.
        queue_depth: Chunks reserved ahead of the loader.
        retier_per_frame: Re-prioritisations per frame at most.
        flash_frames: How long an evicted chunk flashes.
    """

    budget_slots: int = 120
    load_bytes_per_frame: int = 40 * 1024
    queue_depth: int = 2
    retier_per_frame: int = 6
    flash_frames: int = 45

    @property
    def budget_bytes(self) -> int:
        """The streaming allocator's budget."""
        return self.budget_slots * ENTRY_BYTES


class ChunkStreamer:
    """Bookkeeping of every chunk's stream entry (a resource).

    Per-chunk state lives in flat Python lists indexed by chunk (``cy * width + cx``) so the
    per-frame planning creates no objects for the collector to track.

    Args:
        streaming: The app allocator's streaming allocator.
        world: The world's assets.
        settings: Budget, bandwidth and pacing.
    """

    def __init__(
        self, streaming: StreamingAllocator, world: WorldAssets, settings: StreamingSettings
    ) -> None:
        n = world.chunks
        self.streaming = streaming
        self.settings = settings
        self.width = world.width
        self.height = world.height
        self.slots = settings.budget_slots
        self.sid = [0] * n
        self.prio = [-1] * n
        self.state = [EMPTY] * n
        self.progress = [0] * n
        self.resident: set[int] = set()
        self.queue: list[int] = []
        self.by_sid: dict[int, int] = {}
        self.ready_by_tier = [0, 0, 0, 0]
        self.loading = -1
        self._view: np.ndarray | None = None
        self._step = 0
        self._evicted: list[int] = []
        self.flash_chunk = [-1] * 64
        self.flash_frame = [-(10**9)] * 64
        self._flash_next = 0
        self.frame = 0
        self.loads = 0
        self.evictions = 0
        self.unloads = 0
        self.promotions = 0
        self.demotions = 0
        self.dropped = 0
        self.cancelled = 0
        self.failed = 0
        self.max_resident = 0
        streaming.set_eviction_callback(self._on_evicted)

    # --- queries ----------------------------------------------------------------------------

    def ring(self, chunk: int, view: tuple[float, float, float, float]) -> float:
        """Chebyshev distance, in chunks, from ``chunk`` to the view rectangle (0: visible)."""
        left, top, right, bottom = view
        i = chunk % self.width
        j = chunk // self.width
        dx = max(0.0, i - right, left - (i + 1))
        dy = max(0.0, j - bottom, top - (j + 1))
        return dx if dx > dy else dy

    def tier_counts(self) -> list[int]:
        """Resident chunks per tier (any state), LOW first."""
        counts = [0, 0, 0, 0]
        prio = self.prio
        for c in self.resident:
            counts[prio[c]] += 1
        return counts

    # --- planning ---------------------------------------------------------------------------

    def plan(self, view: tuple[float, float, float, float]) -> None:
        """One frame of planning: unload, re-prioritise, and reserve what the loader needs."""
        self.frame += 1
        state, prio = self.state, self.prio
        moves = 0
        limit = self.settings.retier_per_frame
        for c in tuple(self.resident):
            st = state[c]
            if st in (LOADING, EMPTY):  # EMPTY: evicted earlier in this loop
                continue
            d = self.ring(c, view)
            if st == QUEUED:
                if tier_of(d) != prio[c]:
                    self._release(c)  # reserved for a ring it has left: reserve again later
                    self.cancelled += 1
                continue
            if d > UNLOAD_RING:
                self._release(c)
                self.unloads += 1
                continue
            if moves >= limit:
                continue
            p = prio[c]
            if tier_of(d) > p:
                moves += self._retier(c, tier_of(d))
            elif tier_of(d - HYSTERESIS) < p:
                moves += self._retier(c, max(tier_of(d), 0))
        while len(self.queue) < self.settings.queue_depth:
            if not self._reserve_best(view):
                break
        if len(self.resident) > self.max_resident:
            self.max_resident = len(self.resident)

    def _reserve_best(self, view: tuple[float, float, float, float]) -> bool:
        """Reserve the nearest unresident chunk of the highest tier; False when none fits."""
        left, top, right, bottom = view
        w = self.width
        i0 = max(0, int(left - PREFETCH_RING))
        i1 = min(w - 1, int(right + PREFETCH_RING))
        j0 = max(0, int(top - PREFETCH_RING))
        j1 = min(self.height - 1, int(bottom + PREFETCH_RING))
        state = self.state
        best, best_tier, best_d = -1, -1, 0.0
        for j in range(j0, j1 + 1):
            for c in range(j * w + i0, j * w + i1 + 1):
                if state[c] != EMPTY:
                    continue
                d = self.ring(c, view)
                t = tier_of(d)
                if t > best_tier or (t == best_tier and t >= 0 and d < best_d):
                    best, best_tier, best_d = c, t, d
        if best < 0 or best_tier < 0 or not self._can_reserve(best_tier):
            return False
        try:
            sid = self.streaming.reserve_tagged(ENTRY_BYTES, PRIORITIES[best_tier], "chunk")
        except StreamBudgetError:
            self.failed += 1
            return False
        self.sid[best] = sid
        self.prio[best] = best_tier
        self.state[best] = QUEUED
        self.progress[best] = 0
        self.by_sid[sid] = best
        self.resident.add(best)
        self.queue.append(best)
        self._drain_evictions()
        return True

    def _can_reserve(self, tier: int) -> bool:
        """Whether a reservation at ``tier`` fits: a free slot, or a READY chunk of a lower
        tier to evict. Every entry has the same size, so free space is never fragmented
        below one chunk."""
        if len(self.resident) < self.slots:
            return True
        return any(self.ready_by_tier[t] > 0 for t in range(tier))

    def _retier(self, c: int, tier: int) -> int:
        """Give READY chunk ``c`` the priority of ``tier`` in place
        (``StreamingAllocator.set_priority``: no copy, nothing evicted). Returns 1 if the
        priority changed."""
        old_tier = self.prio[c]
        if tier == old_tier:
            return 0
        self.streaming.set_priority(self.sid[c], PRIORITIES[tier])
        self.prio[c] = tier
        self.ready_by_tier[old_tier] -= 1
        self.ready_by_tier[tier] += 1
        if tier > old_tier:
            self.promotions += 1
        else:
            self.demotions += 1
        return 1

    def _release(self, c: int) -> None:
        """Free chunk ``c``'s entry (RESERVED or READY)."""
        sid = self.sid[c]
        self.streaming.free(sid)
        if self.state[c] == READY:
            self.ready_by_tier[self.prio[c]] -= 1
        elif self.state[c] == QUEUED:
            self.queue.remove(c)
        self._forget(c, sid)

    def _forget(self, c: int, sid: int) -> None:
        del self.by_sid[sid]
        self.resident.discard(c)
        self.sid[c] = 0
        self.prio[c] = -1
        self.state[c] = EMPTY
        self.progress[c] = 0

    def _on_evicted(self, eviction: StreamEviction) -> None:
        # Runs inside reserve(): only note the id; _drain_evictions does the rest.
        self._evicted.append(eviction.stream_id)

    def _drain_evictions(self) -> None:
        evicted = self._evicted
        while evicted:
            sid = evicted.pop()
            c = self.by_sid[sid]
            self.streaming.free(sid)  # forget the EVICTED id; reserve again to reload
            self.ready_by_tier[self.prio[c]] -= 1
            self._forget(c, sid)
            self.evictions += 1
            k = self._flash_next
            self.flash_chunk[k] = c
            self.flash_frame[k] = self.frame
            self._flash_next = (k + 1) % len(self.flash_chunk)

    # --- loading ----------------------------------------------------------------------------

    def load(self, world: WorldAssets, alloc: SmartAlloc) -> None:
        """Spend this frame's byte budget on the loading queue."""
        if self.loading < 0 and not self.queue:
            return
        budget = self.settings.load_bytes_per_frame
        scratch = alloc.frame_alloc(np.uint32, (CHUNK_TILES, TILE_PX, TILE_PX))
        ids = alloc.frame_alloc(np.intp, CHUNK_TILES)
        streaming = self.streaming
        while budget > 0:
            c = self.loading
            if c < 0:
                if not self.queue:
                    break
                c = self.queue.pop(0)
                self._view = streaming.begin_load(self.sid[c])
                self.state[c] = LOADING
                self.loading = c
                self._step = 0
            view = self._view
            assert view is not None
            tile_map = view[:MAP_BYTES].reshape(CHUNK_TILES, CHUNK_TILES)
            step = self._step
            if step == 0:
                write_tile_map(world, alloc, c, tile_map)
                budget -= MAP_BYTES
            else:
                texture = view[MAP_BYTES:].view(np.uint32).reshape(CHUNK_PX, CHUNK_PX)
                write_texture_rows(world, tile_map, step - 1, texture, scratch, ids)
                budget -= ROW_BYTES
            self._step = step + 1
            done = MAP_BYTES + step * ROW_BYTES
            self.progress[c] = done
            streaming.report_progress(self.sid[c], done)
            if self._step > CHUNK_TILES:
                streaming.finish_load(self.sid[c])
                self.state[c] = READY
                self.ready_by_tier[self.prio[c]] += 1
                self.loading = -1
                self._view = None
                self.loads += 1


def plan_chunks(
    streamer: ResMut[ChunkStreamer], camera: Res[Camera], alloc: AllocResource
) -> None:
    """Unload, re-prioritise and reserve chunks around the camera."""
    with alloc.phase_scope(PHASE), alloc.with_tag(tags.ASSETS):
        streamer.value.plan(camera.value.view_in_chunks())


def load_chunks(
    streamer: ResMut[ChunkStreamer], world: Res[WorldAssets], alloc: AllocResource
) -> None:
    """Load queued chunks slice by slice, within the per-frame byte budget."""
    with alloc.phase_scope(PHASE), alloc.with_tag(tags.ASSETS):
        streamer.value.load(world.value, alloc.alloc)
