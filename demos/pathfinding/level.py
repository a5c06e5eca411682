"""The pathfinding world: a tile map from ``assets/pathfinding/map.txt`` with doors.

The map's terrain costs live in one flat ``uint8`` array (pool memory; 0 = impassable), row
after row, so a cell is one integer ``y * width + x`` and its neighbours are fixed offsets
(the border is wall, so no neighbour of a walkable cell falls off the map). Doors open and
close on a per-house schedule; each change is counted in :attr:`Level.version`, which the
planner and the agents use to notice that the world changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..assets import asset_path

__all__ = ["COSTS", "TILE", "TILE_ORDER", "Door", "Level", "load_rows"]

#: Pixels per tile.
TILE = 16
#: Tile characters in ``tiles.png`` order (``d``: a door while closed).
TILE_ORDER = ",.#T~=Dd"
#: Cost of entering a tile, times ten so that diagonal steps (x 1.4) stay integers.
COSTS = {",": 10, ".": 10, "=": 10, "D": 10, "T": 30, "~": 80, "#": 0, "d": 0}


@dataclass(eq=False)
class Door:
    """A door: its cell, its house's place in the door schedule, and whether it is open."""

    cell: int
    house: int
    offset: float = 0.0
    open: bool = True


def load_rows(name: str = "map.txt") -> list[str]:
    """The map's rows, from ``assets/pathfinding/<name>``."""
    text = asset_path("pathfinding", name).read_text(encoding="utf-8")
    rows = [row for row in text.splitlines() if row]
    if len({len(row) for row in rows}) != 1:
        raise ValueError(f"pathfinding map {name!r} is not rectangular")
    return rows


class Level:
    """Terrain costs and tile codes of a map, and its doors.

    Args:
        rows: The map (see ``assets/make_pathfinding.py`` for the legend).
        cost: A ``uint8`` array of ``width * height`` to hold the costs (pool memory).
        code: A ``uint8`` array of the same size for the tile codes (what is drawn).
        period: Seconds of a house's door cycle (each house is offset); doors are closed
            for the last ``closed_share`` of it.
    """

    def __init__(
        self,
        rows: list[str],
        cost: np.ndarray,
        code: np.ndarray,
        *,
        period: float = 7.0,
        closed_share: float = 0.3,
    ) -> None:
        self.rows = rows
        self.height, self.width = len(rows), len(rows[0])
        self.cost = cost
        self.code = code
        self.period = period
        self.closed_share = closed_share
        self.version = 0
        self.doors: list[Door] = []
        for y, row in enumerate(rows):
            for x, char in enumerate(row):
                cell = y * self.width + x
                cost[cell] = COSTS[char]
                code[cell] = TILE_ORDER.index(char)
                if char == "D":
                    self.doors.append(Door(cell, self._house_of(x, y)))
        houses = sorted({door.house for door in self.doors})
        for door in self.doors:
            door.offset = 0.37 * houses.index(door.house)
        doors = {door.cell for door in self.doors}
        #: Cells an agent may stand on or aim for (doors excluded: they close).
        self.walkable = [cell for cell in range(self.size) if cost[cell] and cell not in doors]
        self.changed: list[Door] = []

    @property
    def size(self) -> int:
        """Cells of the map."""
        return self.width * self.height

    def _house_of(self, x: int, y: int) -> int:
        """Doors of the same house share a number: the smallest cell of the walls (and
        doors) connected to the door."""
        rows, width = self.rows, self.width
        seen = {(x, y)}
        todo = [(x, y)]
        while todo:
            cx, cy = todo.pop()
            for nx, ny in ((cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1)):
                if (nx, ny) not in seen and 0 <= ny < len(rows) and 0 <= nx < width and (
                    rows[ny][nx] in "#D"
                ):
                    seen.add((nx, ny))
                    todo.append((nx, ny))
        return min(cy * width + cx for cx, cy in seen)

    def cell_of(self, x: float, y: float) -> int:
        """The cell under pixel ``(x, y)``."""
        return int(y // TILE) * self.width + int(x // TILE)

    def centre(self, cell: int) -> tuple[int, int]:
        """Pixel centre of a cell."""
        y, x = divmod(cell, self.width)
        return x * TILE + TILE // 2, y * TILE + TILE // 2

    def update_doors(self, elapsed: float) -> list[Door]:
        """Open and close doors for time ``elapsed``; returns the doors that changed (a list
        reused from call to call)."""
        changed = self.changed
        changed.clear()
        for door in self.doors:
            phase = (elapsed / self.period + door.offset) % 1.0
            should_open = phase < 1.0 - self.closed_share
            if should_open != door.open:
                door.open = should_open
                self.cost[door.cell] = COSTS["D"] if should_open else COSTS["d"]
                self.code[door.cell] = TILE_ORDER.index("D" if should_open else "d")
                changed.append(door)
        if changed:
            self.version += 1
        return changed
