"""Turning path requests into smoothed paths, a few per frame, in three lanes.

1. **Straight line, speculatively** (``alloc.speculative``): the two-waypoint path is
   allocated as retained frame memory first, then the line of sight is tested; a blocked line
   returns ``SpeculationFailed`` and the rollback takes the path back in O(1).
2. **Budgeted attempt** (``alloc.checkpoint_guard``): A* with its node arrays in the frame
   arena and at most ``attempt_budget`` expansions. Found: the path is smoothed and kept as
   a retained frame allocation (``RetentionPolicy.PROMOTE_TO_POOL``), the guard commits.
   Out of budget: the guard rolls back every node array of the attempt at once and the
   request moves to the long lane.
3. **Long searches** (``alloc.scratch_pool("pathfinding")``): A* whose node arrays must
   outlive the frame, resumed frame after frame with a slice of the budget. Their memory is
   carved from the scratch pool, and the pool is reset as a whole once no long search is in
   flight.

Found paths wait in :attr:`Planner.found` until the ``Last`` schedule promotes them into pool
memory (see ``game.promote_paths``): ``SmartAllocPlugin`` ends frames with a plain
``end_frame()``, which would discard them.
"""

from __future__ import annotations

from collections import deque
from typing import Any, NamedTuple

import numpy as np

from framealloc_engine import RetentionPolicy, ScratchPool, SmartAlloc, SpeculationFailed

from .level import TILE, Level
from .search import (
    FOUND,
    UNREACHABLE,
    NodeArrays,
    Search,
    Segments,
    leading_clear,
    smooth,
)

__all__ = ["PlanTemps", "Planner", "Request"]

_TILE = np.full((), TILE, np.intp)
_HALF_TILE = np.full((), TILE // 2, np.intp)


class Request(NamedTuple):
    """A path wanted by ``agent`` from cell ``start`` to cell ``goal``."""

    agent: int
    start: int
    goal: int


class PlanTemps(NamedTuple):
    """Frame temporaries shared by every path finished this frame."""

    segments: Segments
    cells: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    keep: np.ndarray
    kept: np.ndarray
    width: np.ndarray

    @classmethod
    def alloc(cls, alloc: SmartAlloc, level: Level) -> PlanTemps:
        """From the calling thread's arena."""
        size = level.size
        segments = Segments.alloc(alloc, level.width)
        return cls(
            segments=segments,
            cells=alloc.frame_alloc(np.intp, size),
            cx=alloc.frame_alloc(np.intp, size),
            cy=alloc.frame_alloc(np.intp, size),
            xs=alloc.frame_alloc(np.float32, size),
            ys=alloc.frame_alloc(np.float32, size),
            keep=alloc.frame_alloc(np.intp, size),
            kept=alloc.frame_alloc(np.intp, size),
            width=segments.width,
        )


class Planner:
    """Path requests in, retained frame paths out (see the module docstring).

    Args:
        level: The world.
        scratch: The scratch pool long searches carve their node arrays from.
        attempt_budget: Expansions a frame-memory attempt may make before it is rolled
            back and handed to the long lane.
        frame_budget: Expansions per frame over every lane.
        max_attempts: Requests taken from the queue per frame.
        long_slice: Expansions per frame for each long search.
    """

    def __init__(
        self,
        level: Level,
        scratch: ScratchPool,
        *,
        attempt_budget: int = 160,
        frame_budget: int = 400,
        max_attempts: int = 4,
        long_slice: int = 200,
    ) -> None:
        self.level = level
        self.scratch = scratch
        self.attempt_budget = attempt_budget
        self.frame_budget = frame_budget
        self.max_attempts = max_attempts
        self.long_slice = long_slice
        self.queue: deque[Request] = deque()
        self.long_queue: deque[Request] = deque()
        self.long: list[Search] = []
        self.found: list[tuple[int, np.ndarray]] = []
        self.unreachable: list[int] = []
        self._open: list[int] = []
        self._cost = level.cost.data
        self._spec: tuple[Request, PlanTemps] | None = None
        self.stats: dict[str, int] = dict.fromkeys(
            ("requests", "straight", "attempts", "attempts_found", "rollbacks",
             "rolled_back_bytes", "long_started", "long_found", "unreachable",
             "expansions", "scratch_resets", "scratch_peak", "promoted", "promoted_bytes",
             "path_waypoints"),
            0,
        )

    def request(self, agent: int, start: int, goal: int) -> None:
        """Ask for a path; answered in :attr:`found` (or :attr:`unreachable`) later."""
        self.queue.append(Request(agent, start, goal))
        self.stats["requests"] += 1

    def cancel(self, agent: int) -> None:
        """Forget any pending request of ``agent`` (it is re-planning)."""
        for lane in (self.queue, self.long_queue):
            for index in range(len(lane) - 1, -1, -1):
                if lane[index].agent == agent:
                    del lane[index]
        for index in range(len(self.long) - 1, -1, -1):
            if self.long[index].agent == agent:
                self.long.pop(index).release()

    @property
    def pending(self) -> int:
        """Requests not answered yet."""
        return len(self.queue) + len(self.long_queue) + len(self.long)

    def plan(self, alloc: Any, heat: memoryview | None = None) -> None:
        """Answer as many requests as this frame's budget allows.

        Args:
            alloc: The allocator resource (frame arena, checkpoints, retention).
            heat: Optional grid marked where nodes are expanded.
        """
        temps = PlanTemps.alloc(alloc, self.level)
        stats = self.stats
        budget = self.frame_budget
        attempts = 0
        while self.queue and attempts < self.max_attempts and budget > 0:
            request = self.queue.popleft()
            attempts += 1
            self._spec = (request, temps)
            straight = alloc.speculative(self._straight_path)
            self._spec = None
            if not isinstance(straight, SpeculationFailed):
                stats["straight"] += 1
                self.found.append((request.agent, straight))
                continue
            stats["rollbacks"] += 1
            budget -= self._attempt(alloc, request, temps, min(self.attempt_budget, budget),
                                    heat)
        budget = self._start_long_searches(budget)
        self._run_long_searches(alloc, temps, budget, heat)
        self._recycle_scratch()

    def _straight_path(self, alloc: Any) -> np.ndarray | SpeculationFailed:
        """Speculation: the path is the straight line, if open ground all the way."""
        assert self._spec is not None
        request, temps = self._spec
        path: np.ndarray = alloc.frame_retained(
            np.int32, (2, 2), RetentionPolicy.PROMOTE_TO_POOL
        )
        width = self.level.width
        (y0, x0), (y1, x1) = divmod(request.start, width), divmod(request.goal, width)
        seg = temps.segments
        seg.x0[0], seg.y0[0], seg.x1[0], seg.y1[0] = x0, y0, x1, y1
        if request.start == request.goal or not leading_clear(
            self.level.cost, seg, 1, cheap=True
        ):
            return SpeculationFailed("no straight line over open ground")
        path[0, 0], path[0, 1] = x0 * TILE + TILE // 2, y0 * TILE + TILE // 2
        path[1, 0], path[1, 1] = x1 * TILE + TILE // 2, y1 * TILE + TILE // 2
        return path

    def _attempt(
        self, alloc: Any, request: Request, temps: PlanTemps, budget: int,
        heat: memoryview | None,
    ) -> int:
        """A* in frame memory; rolled back unless it finds the path. Returns expansions."""
        stats = self.stats
        stats["attempts"] += 1
        with alloc.checkpoint_guard() as guard:
            nodes = NodeArrays.alloc(alloc.frame_alloc, self.level.size)
            search = Search(request.agent, request.start, request.goal, nodes, self._open,
                            self.level.width)
            try:
                status = search.run(self._cost, budget, heat)
                if status == FOUND:
                    self.found.append((request.agent, self._finish(alloc, search, temps)))
            finally:
                search.release()  # the node arrays go back with the rollback below
            if status == FOUND:
                stats["attempts_found"] += 1
                guard.commit()
            else:
                stats["rollbacks"] += 1
                stats["rolled_back_bytes"] += _arena_used(alloc) - guard.checkpoint.offset
                if status == UNREACHABLE:
                    self._give_up(request.agent)
                else:
                    self.long_queue.append(request)
        stats["expansions"] += search.expansions
        return search.expansions

    def _start_long_searches(self, budget: int) -> int:
        while self.long_queue and budget > 0:
            nodes = NodeArrays.try_alloc(self.scratch.try_alloc, self.level.size)
            if nodes is None:
                break  # the pool is full: wait for a long search to finish
            request = self.long_queue.popleft()
            self.long.append(
                Search(request.agent, request.start, request.goal, nodes, [], self.level.width)
            )
            self.stats["long_started"] += 1
            self.stats["scratch_peak"] = max(self.stats["scratch_peak"], self.scratch.allocated)
        return budget

    def _run_long_searches(
        self, alloc: Any, temps: PlanTemps, budget: int, heat: memoryview | None
    ) -> None:
        stats = self.stats
        index = 0
        while index < len(self.long) and budget > 0:
            search = self.long[index]
            before = search.expansions
            status = search.run(self._cost, min(self.long_slice, budget), heat)
            search.frames += 1
            budget -= search.expansions - before
            stats["expansions"] += search.expansions - before
            if status == FOUND:
                self.found.append((search.agent, self._finish(alloc, search, temps)))
                stats["long_found"] += 1
            elif status == UNREACHABLE:
                self._give_up(search.agent)
            else:
                index += 1
                continue
            search.release()
            del self.long[index]

    def _recycle_scratch(self) -> None:
        # Called once _run_long_searches has returned: none of its locals still references a
        # finished search's node arrays (a referenced array keeps its bytes out of reuse).
        if not self.long and self.scratch.allocated:
            self.scratch.reset()  # every long search is done: recycle their memory at once
            self.stats["scratch_resets"] += 1

    def _give_up(self, agent: int) -> None:
        self.unreachable.append(agent)
        self.stats["unreachable"] += 1

    def _finish(self, alloc: Any, search: Search, temps: PlanTemps) -> np.ndarray:
        """Trace, smooth and keep the found path as retained frame memory (pixel centres)."""
        t = temps
        n = search.trace(t.cells)
        np.divmod(t.cells[:n], t.width, out=(t.cy[:n], t.cx[:n]))
        np.copyto(t.xs[:n], t.cx[:n], casting="unsafe")
        np.copyto(t.ys[:n], t.cy[:n], casting="unsafe")
        k = smooth(t.xs, t.ys, n, self.level.cost, t.segments, t.keep)
        path: np.ndarray = alloc.frame_retained(np.int32, (k, 2), RetentionPolicy.PROMOTE_TO_POOL)
        for column, coords in ((0, t.cx), (1, t.cy)):
            np.take(coords, t.keep[:k], out=t.kept[:k], mode="clip")
            np.multiply(t.kept[:k], _TILE, out=t.kept[:k])
            np.add(t.kept[:k], _HALF_TILE, out=t.kept[:k])
            np.copyto(path[:, column], t.kept[:k], casting="unsafe")
        self.stats["path_waypoints"] += k
        return path


def _arena_used(alloc: Any) -> int:
    """Bytes of the calling thread's arena in use now."""
    return int(alloc.config.frame_arena_size - alloc.frame_remaining())
