"""Generate the pathfinding demo's map and sprites (files under ``assets/pathfinding/``).

* ``map.txt``: a 50 x 26 tile world, one character per tile (legend below), built from a
  fixed seed: grass, a river with two bridges, forest patches, and walled houses whose doors
  open and close while the demo runs.
* ``tiles.png``: the 16 x 16 tiles, left to right in :data:`TILE_ORDER`.
* ``agents.png``: eight 12 x 12 agents, one colour each.

Everything is procedural and deterministic: ``python assets/make_pathfinding.py`` rewrites
the same files. Made here and dedicated to the public domain (CC0), like every generated
asset of this repository.

Legend: ``,`` grass, ``.`` floor, ``#`` wall, ``T`` forest, ``~`` shallow water, ``=`` bridge,
``D`` door.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402 - after hiding the banner

__all__ = ["AGENT_COLORS", "HEIGHT", "OUT", "TILE", "TILE_ORDER", "WIDTH", "main", "make_map"]

OUT = Path(__file__).resolve().parent / "pathfinding"
WIDTH, HEIGHT = 50, 26
TILE = 16
#: Characters of ``tiles.png``, left to right (``D`` open, then ``d``: a closed door).
TILE_ORDER = ",.#T~=Dd"
#: The agents' colours, in ``agents.png`` order.
AGENT_COLORS = (
    (255, 214, 64), (255, 110, 90), (120, 200, 255), (190, 140, 255),
    (255, 150, 220), (120, 255, 170), (255, 170, 70), (240, 240, 240),
)
_HOUSES = ((3, 3, 9, 7), (15, 2, 8, 6), (4, 15, 10, 8), (36, 3, 10, 7), (37, 15, 9, 8),
           (18, 17, 7, 6))


def make_map(seed: int = 7) -> list[str]:
    """The map as rows of characters (see the module's legend)."""
    rng = np.random.default_rng(seed)
    grid = np.full((HEIGHT, WIDTH), ",", dtype="<U1")
    # forest: blurred noise above a threshold
    noise = rng.random((HEIGHT, WIDTH))
    for _ in range(3):
        noise = (noise + np.roll(noise, 1, 0) + np.roll(noise, -1, 0) + np.roll(noise, 1, 1)
                 + np.roll(noise, -1, 1)) / 5
    grid[noise > np.quantile(noise, 0.8)] = "T"
    # a river meandering down the map, two tiles wide, with two bridges
    for y in range(HEIGHT):
        x = int(round(30 + 2.5 * np.sin(y / 4.0)))
        grid[y, x : x + 2] = "~"
    for y in (6, 19):
        row = grid[y]
        row[row == "~"] = "="
        grid[y - 1 : y + 2][grid[y - 1 : y + 2] == "T"] = ","
    # houses: walls, floor, a door or two
    for hx, hy, hw, hh in _HOUSES:
        grid[hy : hy + hh, hx : hx + hw] = "#"
        grid[hy + 1 : hy + hh - 1, hx + 1 : hx + hw - 1] = "."
        grid[hy + hh - 1, hx + hw // 2] = "D"
        if hw >= 9:
            grid[hy + hh // 2, hx] = "D"
        grid[hy + hh, hx + hw // 2] = ","  # keep each doorstep clear
        grid[hy + hh // 2, max(hx - 1, 0)] = "," if hw >= 9 else grid[hy + hh // 2, hx - 1]
    grid[0, :] = grid[-1, :] = "#"
    grid[:, 0] = grid[:, -1] = "#"
    return ["".join(row) for row in grid]


def _noise(rng: np.random.Generator, base: tuple[int, int, int], spread: int) -> np.ndarray:
    tile = np.empty((TILE, TILE, 3), np.int16)
    tile[:] = base
    tile += rng.integers(-spread, spread + 1, (TILE, TILE, 1))
    return tile


def _tiles() -> np.ndarray:
    rng = np.random.default_rng(11)
    y, x = np.mgrid[0:TILE, 0:TILE]
    grass = _noise(rng, (62, 122, 58), 10)
    floor = _noise(rng, (170, 140, 100), 6)
    floor[(y % 4) == 0] -= 28
    wall = _noise(rng, (96, 96, 108), 6)
    mortar = ((y % 8) == 0) | (((x + 4 * ((y // 8) % 2)) % 8) == 0)
    wall[mortar] = (60, 60, 70)
    forest = grass.copy()
    canopy = (x - 7.5) ** 2 + (y - 7.0) ** 2 <= 36
    forest[canopy] = _noise(rng, (28, 86, 40), 12)[canopy]
    forest[((x - 5.5) ** 2 + (y - 5.0) ** 2 <= 4)] = (70, 140, 70)
    water = _noise(rng, (40, 90, 170), 6)
    water[((x + 2 * y) % 8) == 0] = (90, 150, 220)
    bridge = _noise(rng, (140, 100, 60), 6)
    bridge[(x % 4) == 0] = (100, 70, 40)
    door_open = floor.copy()
    door_open[:, :2] = door_open[:, -2:] = (60, 60, 70)
    door_closed = _noise(rng, (150, 90, 40), 5)
    door_closed[:, :2] = door_closed[:, -2:] = (60, 60, 70)
    door_closed[7:9, 10:12] = (240, 210, 90)
    tiles = [grass, floor, wall, forest, water, bridge, door_open, door_closed]
    strip: np.ndarray = np.clip(np.concatenate(tiles, axis=1), 0, 255).astype(np.uint8)
    return strip


def _agents() -> np.ndarray:
    size = 12
    y, x = np.mgrid[0:size, 0:size]
    r = np.hypot(x - 5.5, y - 5.5)
    strip = np.zeros((size, size * len(AGENT_COLORS), 4), np.uint8)
    for i, color in enumerate(AGENT_COLORS):
        cell = strip[:, i * size : (i + 1) * size]
        cell[r <= 5.6] = (20, 20, 30, 255)  # outline
        cell[r <= 4.4, :3] = color
        cell[(np.hypot(x - 4.0, y - 4.0) <= 1.3), :3] = (255, 255, 255)  # highlight
    return strip


def _save(rgb: np.ndarray, path: Path) -> None:
    height, width = rgb.shape[:2]
    data = np.ascontiguousarray(rgb).tobytes()
    if rgb.shape[2] == 4:
        surface = pygame.image.frombuffer(data, (width, height), "RGBA")
    else:
        surface = pygame.image.frombuffer(data, (width, height), "RGB")
    pygame.image.save(surface, str(path))


def main(out: Path = OUT) -> list[Path]:
    """Write ``map.txt``, ``tiles.png`` and ``agents.png`` to ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "map.txt", out / "tiles.png", out / "agents.png"]
    paths[0].write_text("\n".join(make_map()) + "\n", encoding="utf-8")
    _save(_tiles(), paths[1])
    _save(_agents(), paths[2])
    return paths


if __name__ == "__main__":
    for written in main():
        print(written)
