"""Agents: records in pool memory, each with its current path in a pool box.

An agent rests, picks a random goal, waits for the planner, then walks its path waypoint by
waypoint, slower on costly terrain. Movement is vectorised over every agent with frame
temporaries; only arrivals (a few per frame) are handled one by one.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from framealloc_engine import PoolBox, SmartAlloc

from .level import TILE, Level
from .search import LOOKAHEAD, Segments, leading_clear

__all__ = ["MOVING", "NEEDS_GOAL", "RESTING", "WAITING", "Agent", "Agents", "MoveTemps"]

#: One agent: pixel position, goal cell, state, colour, next waypoint, timer, speed.
Agent = np.dtype(
    [("pos", "f4", 2), ("goal", "i4"), ("state", "u1"), ("color", "u1"), ("wp", "u2"),
     ("timer", "f4"), ("speed", "f4")]
)
NEEDS_GOAL, WAITING, MOVING, RESTING = 0, 1, 2, 3
_ZERO = np.zeros((), np.float32)
_EPS = np.full((), 1e-3, np.float32)
_TEN = np.full((), 10.0, np.float32)
_INV_TILE = np.full((), 1.0 / TILE, np.float32)


class MoveTemps(NamedTuple):
    """Frame temporaries of :meth:`Agents.move`."""

    target: np.ndarray
    delta: np.ndarray
    dist: np.ndarray
    step: np.ndarray
    cell: np.ndarray
    flat: np.ndarray
    cellf: np.ndarray
    terrain: np.ndarray
    terrain_u8: np.ndarray
    arrived: np.ndarray
    scalar: np.ndarray
    width: np.ndarray

    @classmethod
    def alloc(cls, alloc: SmartAlloc, n: int, width: int) -> MoveTemps:
        """From the calling thread's arena, for ``n`` agents."""
        w = alloc.frame_alloc(np.intp, ())
        w.fill(width)
        return cls(
            target=alloc.frame_alloc(np.float32, (n, 2)),
            delta=alloc.frame_alloc(np.float32, (n, 2)),
            dist=alloc.frame_alloc(np.float32, n),
            step=alloc.frame_alloc(np.float32, n),
            cell=alloc.frame_alloc(np.intp, (n, 2)),
            flat=alloc.frame_alloc(np.intp, n),
            cellf=alloc.frame_alloc(np.float32, (n, 2)),
            terrain=alloc.frame_alloc(np.float32, n),
            terrain_u8=alloc.frame_alloc(np.uint8, n),
            arrived=alloc.frame_alloc(np.bool_, n),
            scalar=alloc.frame_alloc(np.float32, ()),
            width=w,
        )


class Agents:
    """Every agent's record (one pool block) and current path (a pool box each).

    Args:
        records: ``Agent`` records, one per agent (pool memory).
        level: The world.
        seed: Seed of spawn places, goals, speeds and rests.
    """

    def __init__(self, records: np.ndarray, level: Level, seed: int) -> None:
        self.records = records
        self.level = level
        self.rng = np.random.default_rng(seed)
        self.paths: list[PoolBox[np.ndarray] | None] = [None] * len(records)
        self.arrived = 0
        self.replans = 0
        self._flat_cells = np.zeros(len(records), np.intp)
        for i in range(len(records)):
            x, y = level.centre(self.random_cell())
            records[i]["pos"] = (x, y)
            records[i]["goal"] = -1
            records[i]["state"] = RESTING
            records[i]["color"] = i % 8
            records[i]["wp"] = 0
            records[i]["timer"] = 0.2 + self.rng.random()
            records[i]["speed"] = 55.0 + 35.0 * self.rng.random()

    def __len__(self) -> int:
        return len(self.records)

    def random_cell(self) -> int:
        """A random walkable cell."""
        walkable = self.level.walkable
        return walkable[int(self.rng.random() * len(walkable))]

    def cell(self, i: int) -> int:
        """The cell agent ``i`` stands on."""
        pos = self.records["pos"][i]
        return self.level.cell_of(float(pos[0]), float(pos[1]))

    def set_path(self, i: int, path: PoolBox[np.ndarray]) -> None:
        """Give agent ``i`` a (promoted) path and start walking it."""
        self.drop_path(i)
        self.paths[i] = path
        self.records["wp"][i] = 1 if len(path.array) > 1 else 0
        self.records["state"][i] = MOVING

    def drop_path(self, i: int) -> None:
        """Free agent ``i``'s path, if any."""
        path = self.paths[i]
        if path is not None:
            path.close()
            self.paths[i] = None

    def move(self, dt: float, t: MoveTemps) -> None:
        """Walk every moving agent towards its next waypoint; handle arrivals."""
        rec = self.records
        pos, state, wp = rec["pos"], rec["state"], rec["wp"]
        paths = self.paths
        np.copyto(t.target, pos)
        for i in range(len(rec)):
            path = paths[i]
            if state[i] == MOVING and path is not None:
                t.target[i] = path.array[wp[i]]
        # speed scaled by the terrain underfoot (cost 10: full speed)
        np.multiply(pos, _INV_TILE, out=t.cellf)
        np.floor(t.cellf, out=t.cellf)
        np.copyto(t.cell, t.cellf, casting="unsafe")
        np.multiply(t.cell[:, 1], t.width, out=t.flat)
        np.add(t.flat, t.cell[:, 0], out=t.flat)
        np.take(self.level.cost, t.flat, out=t.terrain_u8, mode="clip")
        np.copyto(t.terrain, t.terrain_u8)
        np.maximum(t.terrain, _TEN, out=t.terrain)
        np.divide(_TEN, t.terrain, out=t.terrain)
        t.scalar.fill(dt)
        np.multiply(rec["speed"], t.scalar, out=t.step)
        np.multiply(t.step, t.terrain, out=t.step)
        # move min(step, distance) along the way to the target
        np.subtract(t.target, pos, out=t.delta)
        np.hypot(t.delta[:, 0], t.delta[:, 1], out=t.dist)
        np.less_equal(t.dist, t.step, out=t.arrived)
        np.minimum(t.step, t.dist, out=t.step)
        np.maximum(t.dist, _EPS, out=t.dist)
        np.divide(t.step, t.dist, out=t.step)
        np.multiply(t.delta, t.step[:, None], out=t.delta)
        np.add(pos, t.delta, out=pos)
        if np.count_nonzero(t.arrived):
            for i in range(len(rec)):
                if t.arrived[i] and state[i] == MOVING:
                    self._next_waypoint(i)

    def _next_waypoint(self, i: int) -> None:
        rec = self.records
        path = self.paths[i]
        assert path is not None
        if int(rec["wp"][i]) + 1 < len(path.array):
            rec["wp"][i] += 1
            return
        self.drop_path(i)
        rec["state"][i] = RESTING
        rec["timer"][i] = 0.3 + 1.2 * self.rng.random()
        self.arrived += 1

    def blocked(self, i: int, s: Segments) -> bool:
        """Whether agent ``i``'s remaining path now crosses a wall (a door closed on it)."""
        path = self.paths[i]
        if path is None:
            return False
        points = path.array
        first = int(self.records["wp"][i])
        pos = self.records["pos"][i]
        x0, y0 = float(pos[0]) // TILE, float(pos[1]) // TILE
        index = first
        while index < len(points):
            m = min(len(points) - index, LOOKAHEAD)
            for j in range(m):
                s.x0[j], s.y0[j] = x0, y0
                x0 = float(points[index + j, 0] // TILE)
                y0 = float(points[index + j, 1] // TILE)
                s.x1[j], s.y1[j] = x0, y0
            if leading_clear(self.level.cost, s, m, cheap=False) < m:
                return True
            index += m
        return False

    def positions(self) -> Any:
        """The ``(n, 2)`` pixel positions (a view of the records)."""
        return self.records["pos"]
