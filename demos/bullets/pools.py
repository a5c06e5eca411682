"""Bullets in pooled chunks: fixed-size blocks of records reached through handles.

A :class:`BulletPool` keeps its bullets in chunks of :data:`CHUNK` ``Bullet`` records, each
chunk one block of the allocator's :class:`~framealloc_engine.HandleAllocator` addressed by
a :class:`~framealloc_engine.Handle`. Work is vectorised per chunk (a handful of numpy calls
over 256 records), so a frame costs a few calls per chunk, not per bullet. A chunk that
stays empty for a while is freed; ``defragment`` may later move the survivors, so views are
re-resolved through the handle every frame (cached until the block moves).

Every numpy call here writes into an existing array (``out=``) and every scalar operand is a
0-d array constant: a steady-state frame makes no numpy data allocation at all.

Example::

    pool = BulletPool("enemy", alloc.handles())
    temps = ChunkTemps.alloc(alloc)            # this frame's temporaries
    pool.spawn(pos, vel, sprite, TTL_ENEMY, temps)
    pool.integrate(dt, bounds, temps)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from framealloc_engine import Handle, HandleAllocator, SmartAlloc

__all__ = [
    "CHUNK",
    "Bullet",
    "BulletPool",
    "ChunkFields",
    "ChunkTemps",
    "const",
]

#: One bullet: position and velocity in pixels (per second), frames left, sprite index.
Bullet = np.dtype(
    [("pos", "f4", 2), ("vel", "f4", 2), ("ttl", "u2"), ("sprite", "u1"), ("flags", "u1")]
)
#: Records per chunk (one handle block of 2.5 KiB).
CHUNK = 128


def const(value: float | int, dtype: type[np.generic] = np.float32) -> np.ndarray:
    """A read-only 0-d array: a scalar operand numpy does not have to box every call."""
    array = np.full((), value, dtype)
    array.flags.writeable = False
    return array


_ZERO_U2 = const(0, np.uint16)
_ONE_U2 = const(1, np.uint16)
_ONE_IP = const(1, np.intp)


class ChunkFields(NamedTuple):
    """Field views of one chunk, valid until its block moves."""

    block: np.ndarray
    pos: np.ndarray
    vel: np.ndarray
    ttl: np.ndarray
    sprite: np.ndarray


class ChunkTemps(NamedTuple):
    """Frame-arena temporaries sized for one chunk, reused chunk after chunk."""

    mask: np.ndarray
    sel: np.ndarray
    rank: np.ndarray
    rank_src: np.ndarray
    vec: np.ndarray
    off2: np.ndarray
    small: np.ndarray

    @classmethod
    def alloc(cls, alloc: SmartAlloc) -> ChunkTemps:
        """Take this frame's temporaries from the calling thread's arena."""
        return cls(
            mask=alloc.frame_alloc(np.bool_, CHUNK),
            sel=alloc.frame_alloc(np.bool_, CHUNK),
            rank=alloc.frame_alloc(np.intp, CHUNK),
            rank_src=alloc.frame_alloc(np.intp, CHUNK),
            vec=alloc.frame_alloc(np.float32, (CHUNK, 2)),
            off2=alloc.frame_alloc(np.bool_, (CHUNK, 2)),
            small=alloc.frame_alloc(np.uint8, CHUNK),
        )


class BulletPool:
    """Bullets of one kind in handle-addressed chunks of :data:`CHUNK` records.

    Args:
        name: For statistics.
        handles: The allocator's handle allocator (``alloc.handles()``).
        idle_frames: Free a chunk after it has been empty this many frames.
        min_chunks: Chunks kept even when empty.
        drag: Velocity factor per second (1.0: none), for sparks that slow down.
    """

    def __init__(
        self,
        name: str,
        handles: HandleAllocator,
        *,
        idle_frames: int = 90,
        min_chunks: int = 1,
        drag: float = 1.0,
    ) -> None:
        self.name = name
        self.handles = handles
        self.idle_frames = idle_frames
        self.min_chunks = min_chunks
        self.drag = drag
        self.chunks: list[Handle] = []
        self.live: list[int] = []
        self.idle: list[int] = []
        self._fields: list[ChunkFields | None] = []
        self.spawned = 0
        self.chunks_allocated = 0
        self.chunks_freed = 0
        self._drag = np.zeros((), np.float32)
        for _ in range(min_chunks):
            self._new_chunk()

    # --- chunks ------------------------------------------------------------------------------

    def _new_chunk(self) -> int:
        handle = self.handles.alloc(Bullet, CHUNK)
        block = self.handles.resolve(handle)
        block.view(np.uint8).fill(0)  # bytewise: filling records would box a scalar
        self.chunks.append(handle)
        self.live.append(0)
        self.idle.append(0)
        self._fields.append(self._split(block))
        self.chunks_allocated += 1
        return len(self.chunks) - 1

    @staticmethod
    def _split(block: np.ndarray) -> ChunkFields:
        return ChunkFields(block, block["pos"], block["vel"], block["ttl"], block["sprite"])

    def fields(self, index: int) -> ChunkFields:
        """Field views of chunk ``index`` (re-split only when defragment moved it)."""
        block = self.handles.resolve(self.chunks[index])
        cached = self._fields[index]
        if cached is None or cached.block is not block:
            cached = self._fields[index] = self._split(block)
        return cached

    def forget_views(self) -> None:
        """Drop the cached field views: a block whose views are referenced never moves, so
        call this before ``defragment`` (the next ``fields`` call re-splits)."""
        self._fields = [None] * len(self._fields)

    def release_idle(self) -> int:
        """Free chunks that stayed empty for ``idle_frames`` frames; returns how many."""
        freed = 0
        for index in range(len(self.chunks) - 1, -1, -1):
            if self.live[index]:
                self.idle[index] = 0
                continue
            self.idle[index] += 1
            if self.idle[index] > self.idle_frames and len(self.chunks) > self.min_chunks:
                self.handles.free(self.chunks.pop(index))
                del self.live[index], self.idle[index], self._fields[index]
                freed += 1
        self.chunks_freed += freed
        return freed

    def release_all(self) -> None:
        """Free every chunk (the game is over)."""
        for handle in self.chunks:
            self.handles.free(handle)
        self.chunks_freed += len(self.chunks)
        self.chunks.clear()
        self.live.clear()
        self.idle.clear()
        self._fields.clear()

    @property
    def count(self) -> int:
        """Live bullets (as of the last update or spawn)."""
        return sum(self.live)

    # --- spawning ----------------------------------------------------------------------------

    def spawn(
        self,
        pos: np.ndarray,
        vel: np.ndarray,
        sprite: np.ndarray,
        ttl: np.ndarray,
        temps: ChunkTemps,
    ) -> int:
        """Add ``len(pos)`` bullets (rows of ``pos``/``vel``/``sprite``) with ``ttl`` frames.

        Free slots are found without any index array: a running count of the dead slots
        gives each the row of the spawn batch it takes. New chunks are allocated only when
        every chunk is full.
        """
        total = len(pos)
        done = 0
        if total == 0:
            return 0
        last = total - 1
        for index in range(len(self.chunks)):
            free = CHUNK - self.live[index]
            if free <= 0:
                continue
            take = min(free, total - done)
            chunk = self.fields(index)
            self._fill_dead_slots(chunk, pos, vel, sprite, ttl, temps, done, take, last)
            self.live[index] += take
            done += take
            if done == total:
                break
        while done < total:
            index = self._new_chunk()
            take = min(CHUNK, total - done)
            chunk = self.fields(index)
            chunk.pos[:take] = pos[done : done + take]
            chunk.vel[:take] = vel[done : done + take]
            chunk.sprite[:take] = sprite[done : done + take]
            chunk.ttl[:take].fill(int(ttl))
            self.live[index] = take
            done += take
        self.spawned += total
        return total

    @staticmethod
    def _fill_dead_slots(
        chunk: ChunkFields,
        pos: np.ndarray,
        vel: np.ndarray,
        sprite: np.ndarray,
        ttl: np.ndarray,
        t: ChunkTemps,
        first: int,
        take: int,
        last: int,
    ) -> None:
        dead, sel, rank, src = t.mask, t.sel, t.rank, t.rank_src
        np.equal(chunk.ttl, _ZERO_U2, out=dead)
        np.copyto(src, dead, casting="unsafe")
        np.cumsum(src, out=rank)  # 1-based rank of each dead slot
        src.fill(take)
        np.less_equal(rank, src, out=sel)
        np.logical_and(sel, dead, out=sel)  # the first `take` dead slots
        src.fill(first - 1)
        np.add(rank, src, out=rank)  # the batch row each slot takes
        src.fill(last)
        np.minimum(rank, src, out=rank)
        np.take(pos, rank, axis=0, out=t.vec, mode="clip")
        np.copyto(chunk.pos, t.vec, where=sel[:, None])
        np.take(vel, rank, axis=0, out=t.vec, mode="clip")
        np.copyto(chunk.vel, t.vec, where=sel[:, None])
        np.take(sprite, rank, out=t.small, mode="clip")
        np.copyto(chunk.sprite, t.small, where=sel)
        np.copyto(chunk.ttl, ttl, where=sel, casting="unsafe")

    # --- simulation --------------------------------------------------------------------------

    def integrate(
        self, dt: np.ndarray, centre: np.ndarray, extent: np.ndarray, temps: ChunkTemps
    ) -> int:
        """Move every bullet, count its frames down, kill it off screen; returns live count.

        Args:
            dt: Seconds of this frame (0-d float32 array).
            centre: Screen centre ``(x, y)`` (float32).
            extent: Half size of the playfield plus margin ``(x, y)`` (float32).
            temps: This frame's temporaries.
        """
        step, alive, off, off2 = temps.vec, temps.mask, temps.sel, temps.off2
        drag = self._drag
        if self.drag != 1.0:
            drag.fill(self.drag ** float(dt))
        for index in range(len(self.chunks)):
            if not self.live[index]:
                continue
            chunk = self.fields(index)
            pos, vel, ttl = chunk.pos, chunk.vel, chunk.ttl
            if self.drag != 1.0:
                np.multiply(vel, drag, out=vel)
            np.multiply(vel, dt, out=step)
            np.add(pos, step, out=pos)
            np.greater(ttl, _ZERO_U2, out=alive)
            np.subtract(ttl, _ONE_U2, out=ttl, where=alive)
            np.subtract(pos, centre, out=step)
            np.absolute(step, out=step)
            np.greater(step, extent, out=off2)
            np.logical_or(off2[:, 0], off2[:, 1], out=off)
            np.copyto(ttl, _ZERO_U2, where=off)
            self.live[index] = int(np.count_nonzero(ttl))
        return self.count
