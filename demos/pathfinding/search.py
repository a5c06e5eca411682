"""A* on the tile grid, line-of-sight tests and path smoothing.

A search keeps its nodes in three flat arrays the size of the map (cost so far, parent,
state), handed in by its caller: frame memory for a speculative attempt that either
finishes this frame or is rolled back, scratch-pool memory for a long search that resumes
frame after frame. The open list is a Python list of ``int`` keys (``f << shift | cell``)
driven by ``heapq``: ints are not tracked by the garbage collector and the list is reused, so
a search creates no garbage. The hot loop reads and writes the node arrays through
memoryviews (a Python int per access, no numpy scalar).

Line of sight is vectorised: a batch of segments is sampled densely with numpy into
frame-arena temporaries, the cells under the samples are gathered from the cost grid, and
the number of leading clear segments comes out of one ``logical_and.accumulate``.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any, NamedTuple

import numpy as np

from framealloc_engine import SmartAlloc

__all__ = [
    "FOUND",
    "LOOKAHEAD",
    "PENDING",
    "SAMPLES",
    "UNREACHABLE",
    "NodeArrays",
    "Search",
    "Segments",
    "leading_clear",
    "smooth",
]

FOUND, PENDING, UNREACHABLE = "found", "pending", "unreachable"
#: Segments tested at once by :func:`leading_clear` (and the smoothing look-ahead).
LOOKAHEAD = 32
#: Samples per segment (a 32-tile diagonal is sampled every third of a tile).
SAMPLES = 144
_T = np.linspace(0.0, 1.0, SAMPLES, dtype=np.float32)
_T.flags.writeable = False
_CHEAP = np.full((), 10, np.uint8)
_WALL = np.zeros((), np.uint8)
_HALF = np.full((), 0.5, np.float32)
_OPEN, _CLOSED = 1, 2


class NodeArrays(NamedTuple):
    """The node storage of one search: ``g`` (cost so far), ``parent``, ``state``."""

    g: np.ndarray
    parent: np.ndarray
    state: np.ndarray

    @classmethod
    def alloc(cls, allocate: Any, cells: int) -> NodeArrays:
        """Carve the three arrays with ``allocate(dtype, shape)`` (``alloc.frame_alloc`` or a
        scratch pool's ``alloc``)."""
        return cls(allocate(np.int32, cells), allocate(np.int32, cells), allocate(np.uint8, cells))

    @classmethod
    def try_alloc(cls, try_allocate: Any, cells: int) -> NodeArrays | None:
        """Like :meth:`alloc` with a ``try_alloc`` that returns None when full."""
        g = try_allocate(np.int32, cells)
        parent = try_allocate(np.int32, cells) if g is not None else None
        state = try_allocate(np.uint8, cells) if parent is not None else None
        if g is None or parent is None or state is None:
            return None
        return cls(g, parent, state)


class Search:
    """One A* search from ``start`` to ``goal``, resumable with a node budget per call.

    Args:
        agent: Who asked (the caller's bookkeeping).
        start: Start cell.
        goal: Goal cell.
        nodes: Its node storage (cleared here).
        open_list: A list to use as the open heap (cleared here).
        width: Map width in cells.
    """

    __slots__ = (
        "_g", "_parent", "_state", "agent", "expansions", "frames", "goal", "nodes", "open",
        "shift", "start", "width",
    )

    def __init__(
        self, agent: int, start: int, goal: int, nodes: NodeArrays, open_list: list[int],
        width: int,
    ) -> None:
        self.agent, self.start, self.goal, self.width = agent, start, goal, width
        self.nodes = nodes
        nodes.state.fill(0)
        self._g = nodes.g.data  # memoryviews: the hot loop reads Python ints
        self._parent = nodes.parent.data
        self._state = nodes.state.data
        self.shift = len(nodes.state).bit_length()
        self.open = open_list
        open_list.clear()
        self.expansions = 0
        self.frames = 0
        self._g[start] = 0
        self._parent[start] = start
        self._state[start] = _OPEN
        heappush(open_list, (self._h(start) << self.shift) | start)

    def _h(self, cell: int) -> int:
        """Octile distance to the goal at the cheapest terrain cost (admissible)."""
        y, x = divmod(cell, self.width)
        gy, gx = divmod(self.goal, self.width)
        dx, dy = abs(x - gx), abs(y - gy)
        return 10 * (dx + dy) - 6 * min(dx, dy)

    def run(self, cost: memoryview, budget: int, heat: memoryview | None = None) -> str:
        """Expand up to ``budget`` nodes.

        Args:
            cost: The level's cost grid (a ``uint8`` memoryview; 0 = wall).
            budget: Most nodes to expand in this call.
            heat: Optional ``uint8`` grid marked 255 where a node is expanded (for drawing).

        Returns:
            :data:`FOUND`, :data:`UNREACHABLE` (open list exhausted) or :data:`PENDING`.
        """
        g, parent, state, heap = self._g, self._parent, self._state, self.open
        width, goal, shift = self.width, self.goal, self.shift
        mask = (1 << shift) - 1
        gy, gx = divmod(goal, width)
        neighbours = (
            (1, 10, 0, 0), (-1, 10, 0, 0), (width, 10, 0, 0), (-width, 10, 0, 0),
            (width + 1, 14, 1, width), (width - 1, 14, -1, width),
            (-width + 1, 14, 1, -width), (-width - 1, 14, -1, -width),
        )
        expanded = 0
        try:
            while heap:
                node = heappop(heap) & mask
                if state[node] == _CLOSED:
                    continue
                state[node] = _CLOSED
                expanded += 1
                if heat is not None:
                    heat[node] = 255
                if node == goal:
                    return FOUND
                g_node = g[node]
                for offset, step, side_a, side_b in neighbours:
                    nb = node + offset
                    terrain = cost[nb]
                    if not terrain or state[nb] == _CLOSED:
                        continue
                    if side_a and not (cost[node + side_a] and cost[node + side_b]):
                        continue  # no cutting corners past a wall
                    g_nb = g_node + terrain * step // 10
                    if state[nb] == _OPEN and g_nb >= g[nb]:
                        continue
                    g[nb] = g_nb
                    parent[nb] = node
                    state[nb] = _OPEN
                    y, x = divmod(nb, width)
                    dx = x - gx if x > gx else gx - x
                    dy = y - gy if y > gy else gy - y
                    h = 10 * (dx + dy) - 6 * (dx if dx < dy else dy)
                    heappush(heap, ((g_nb + h) << shift) | nb)
                if expanded >= budget:
                    return PENDING
            return UNREACHABLE
        finally:
            self.expansions += expanded

    def path_length(self) -> int:
        """Cells on the found path, start and goal included."""
        parent, node, n = self._parent, self.goal, 1
        while node != self.start:
            node = parent[node]
            n += 1
        return n

    def trace(self, out: np.ndarray) -> int:
        """Write the found path's cells, start first, into ``out``; returns how many."""
        n = self.path_length()
        parent, node = self._parent, self.goal
        for i in range(n - 1, -1, -1):
            out[i] = node
            node = parent[node]
        return n

    def release(self) -> None:
        """Let go of the node arrays (before their memory is reset or reused)."""
        self._g.release()
        self._parent.release()
        self._state.release()


class Segments(NamedTuple):
    """Frame temporaries of :func:`leading_clear`: up to :data:`LOOKAHEAD` segments, each
    sampled :data:`SAMPLES` times. Fill ``x0, y0, x1, y1`` (cell coordinates) first."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    dx: np.ndarray
    px: np.ndarray
    py: np.ndarray
    ix: np.ndarray
    iy: np.ndarray
    terrain: np.ndarray
    ok: np.ndarray
    row_ok: np.ndarray
    prefix: np.ndarray
    width: np.ndarray

    @classmethod
    def alloc(cls, alloc: SmartAlloc, width: int) -> Segments:
        """From the calling thread's arena, for a map ``width`` cells wide."""
        shape = (LOOKAHEAD, SAMPLES)
        w = alloc.frame_alloc(np.intp, ())
        w.fill(width)
        return cls(
            x0=alloc.frame_alloc(np.float32, LOOKAHEAD),
            y0=alloc.frame_alloc(np.float32, LOOKAHEAD),
            x1=alloc.frame_alloc(np.float32, LOOKAHEAD),
            y1=alloc.frame_alloc(np.float32, LOOKAHEAD),
            dx=alloc.frame_alloc(np.float32, LOOKAHEAD),
            px=alloc.frame_alloc(np.float32, shape),
            py=alloc.frame_alloc(np.float32, shape),
            ix=alloc.frame_alloc(np.intp, shape),
            iy=alloc.frame_alloc(np.intp, shape),
            terrain=alloc.frame_alloc(np.uint8, shape),
            ok=alloc.frame_alloc(np.bool_, shape),
            row_ok=alloc.frame_alloc(np.bool_, LOOKAHEAD),
            prefix=alloc.frame_alloc(np.bool_, LOOKAHEAD),
            width=w,
        )


def leading_clear(cost: np.ndarray, s: Segments, m: int, *, cheap: bool) -> int:
    """How many of the first ``m`` segments (``s.x0[i], s.y0[i]`` to ``s.x1[i], s.y1[i]``,
    in cells, centre to centre) are clear, counting from the first until one is not.

    Args:
        cost: The level's flat cost grid.
        s: The segments (frame temporaries).
        m: Segments to test (at most :data:`LOOKAHEAD`).
        cheap: Clear means every sampled cell costs the least (open ground: a straight
            walk is then as cheap as the grid path); otherwise just walkable.
    """
    if m <= 0:
        return 0
    px, py, ix, iy = s.px[:m], s.py[:m], s.ix[:m], s.iy[:m]
    for start, end, out, index in ((s.x0, s.x1, px, ix), (s.y0, s.y1, py, iy)):
        np.subtract(end[:m], start[:m], out=s.dx[:m])
        np.multiply(s.dx[:m, None], _T, out=out)
        np.add(out, start[:m, None], out=out)
        np.add(out, _HALF, out=out)  # cell centres
        np.floor(out, out=out)
        np.copyto(index, out, casting="unsafe")
    np.multiply(iy, s.width, out=iy)
    np.add(iy, ix, out=iy)
    terrain, ok = s.terrain[:m], s.ok[:m]
    np.take(cost, iy, out=terrain, mode="clip")
    if cheap:
        np.equal(terrain, _CHEAP, out=ok)
    else:
        np.not_equal(terrain, _WALL, out=ok)
    np.logical_and.reduce(ok, axis=1, out=s.row_ok[:m])
    np.logical_and.accumulate(s.row_ok[:m], out=s.prefix[:m])
    return int(np.count_nonzero(s.prefix[:m]))


def smooth(xs: np.ndarray, ys: np.ndarray, n: int, cost: np.ndarray, s: Segments,
           keep: np.ndarray) -> int:
    """String-pull a grid path: from each kept cell jump to the farthest of the next
    :data:`LOOKAHEAD` cells it can walk to in a straight line over open ground.

    Args:
        xs: Cell x of each path cell, start first (float32).
        ys: Cell y of each path cell.
        n: Cells on the path.
        cost: The level's cost grid.
        s: Frame temporaries.
        keep: Receives the indices (into the path) of the kept cells.

    Returns:
        Cells kept (start and goal included).
    """
    anchor, k = 0, 1
    keep[0] = 0
    while anchor < n - 1:
        m = min(n - 1 - anchor, LOOKAHEAD)
        s.x0[:m].fill(float(xs[anchor]))
        s.y0[:m].fill(float(ys[anchor]))
        np.copyto(s.x1[:m], xs[anchor + 1 : anchor + 1 + m])
        np.copyto(s.y1[:m], ys[anchor + 1 : anchor + 1 + m])
        anchor += max(1, leading_clear(cost, s, m, cheap=True))
        keep[k] = anchor
        k += 1
    return k
