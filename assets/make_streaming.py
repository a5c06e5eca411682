"""Generate the streaming demo's assets (deterministic; run from anywhere).

``python assets/make_streaming.py`` writes, next to this script:

* ``streaming/tileset.png``: 16 tiles of 16x16 pixels in one row (water, sand, grass,
  trees, rock, snow ...), procedural pixel art.
* ``streaming/world.png``: the world map, one pixel per chunk; its colour is the chunk's
  biome (see ``biomes.json``).
* ``streaming/biomes.json``: each biome's name, map colour and the four tileset tiles its
  chunks are made of.

Everything here is made by this script (no third-party art): CC0, see
``assets/streaming/LICENSE.md``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402 - after the banner switch

__all__ = ["BIOMES", "TILE", "WORLD_SIZE", "main", "make_tileset", "make_world"]

TILE = 16
WORLD_SIZE = (48, 32)  # chunks (width, height)
SEED = 20240607

#: (name, map colour, four tile ids); the order is the biome id.
BIOMES: list[tuple[str, tuple[int, int, int], tuple[int, int, int, int]]] = [
    ("deep water", (16, 40, 110), (0, 0, 1, 0)),
    ("water", (40, 96, 180), (2, 3, 2, 2)),
    ("beach", (226, 206, 140), (4, 4, 5, 4)),
    ("plains", (96, 170, 70), (6, 6, 7, 8)),
    ("forest", (34, 110, 50), (9, 6, 10, 9)),
    ("hills", (150, 120, 80), (11, 8, 11, 12)),
    ("mountains", (128, 128, 134), (12, 13, 12, 11)),
    ("snow", (236, 242, 252), (14, 14, 15, 14)),
]


def _noise(rng: np.random.Generator, shape: tuple[int, int], amp: float) -> np.ndarray:
    return rng.normal(0.0, amp, shape)


def _tile(base: tuple[int, int, int], rng: np.random.Generator, amp: float = 8.0) -> np.ndarray:
    t = np.empty((TILE, TILE, 3), np.float64)
    t[...] = base
    t += _noise(rng, (TILE, TILE), amp)[..., None]
    return t


def _dots(t: np.ndarray, rng: np.random.Generator, n: int, color: tuple[int, int, int]) -> None:
    for _ in range(n):
        y, x = rng.integers(1, TILE - 1, 2)
        t[y, x] = color


def _waves(t: np.ndarray, phase: int, color: tuple[int, int, int]) -> None:
    for row in range(2 + phase, TILE, 5):
        for x in range(TILE):
            if (x + row * 3 + phase) % 7 < 3:
                t[row + (1 if (x // 3) % 2 else 0), x] = color


def _disc(t: np.ndarray, cy: float, cx: float, r: float, color: tuple[int, int, int]) -> None:
    yy, xx = np.mgrid[0:TILE, 0:TILE]
    t[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = color


def make_tileset() -> np.ndarray:
    """The 16 tiles as a ``(16, TILE, TILE, 3)`` uint8 array (tile, y, x, rgb)."""
    rng = np.random.default_rng(SEED)
    tiles = []
    deep = _tile((18, 44, 116), rng, 4)
    _waves(deep, 0, (40, 80, 160))
    tiles.append(deep)
    deep2 = _tile((18, 44, 116), rng, 4)
    _waves(deep2, 2, (36, 74, 150))
    tiles.append(deep2)
    for phase in (0, 2):
        water = _tile((44, 104, 188), rng, 5)
        _waves(water, phase, (150, 200, 240))
        tiles.append(water)
    sand = _tile((226, 206, 144), rng, 6)
    _dots(sand, rng, 6, (190, 166, 110))
    tiles.append(sand)
    sand2 = _tile((220, 198, 136), rng, 6)
    _dots(sand2, rng, 3, (250, 240, 220))
    _disc(sand2, 10, 5, 1.5, (160, 150, 140))
    tiles.append(sand2)
    grass = _tile((84, 160, 64), rng, 10)
    tiles.append(grass)
    flowers = _tile((84, 160, 64), rng, 10)
    for color in ((250, 230, 60), (250, 250, 250), (240, 120, 180)):
        _dots(flowers, rng, 2, color)
    tiles.append(flowers)
    tall = _tile((70, 140, 54), rng, 8)
    for x in range(1, TILE, 3):
        tall[6:12, x] = (46, 110, 40)
    tiles.append(tall)
    tree = _tile((60, 130, 50), rng, 8)
    tree[10:15, 7:9] = (100, 70, 40)
    _disc(tree, 7, 8, 6, (28, 96, 40))
    _disc(tree, 5, 6, 2.5, (52, 136, 58))
    tiles.append(tree)
    pine = _tile((60, 130, 50), rng, 8)
    for row in range(1, 13):
        half = row // 2
        pine[row, 8 - half : 8 + half + 1] = (20, 80, 44)
    pine[13:15, 7:9] = (100, 70, 40)
    tiles.append(pine)
    dirt = _tile((146, 116, 76), rng, 9)
    _dots(dirt, rng, 5, (110, 86, 56))
    tiles.append(dirt)
    rock = _tile((124, 124, 130), rng, 7)
    for x in range(2, 14):
        rock[4 + (x * 5) % 7, x] = (84, 84, 90)
    tiles.append(rock)
    boulder = _tile((112, 112, 118), rng, 6)
    _disc(boulder, 8, 8, 6, (88, 88, 96))
    _disc(boulder, 6, 6, 2, (150, 150, 158))
    tiles.append(boulder)
    snow = _tile((236, 242, 252), rng, 4)
    _dots(snow, rng, 5, (200, 214, 236))
    tiles.append(snow)
    snow_rock = _tile((236, 242, 252), rng, 4)
    _disc(snow_rock, 9, 8, 4.5, (120, 120, 128))
    _disc(snow_rock, 7, 7, 2, (240, 244, 250))
    tiles.append(snow_rock)
    sheet: np.ndarray = np.clip(np.stack(tiles), 0, 255).astype(np.uint8)
    return sheet


def _smooth_noise(rng: np.random.Generator, w: int, h: int, cells: int) -> np.ndarray:
    grid = rng.random((cells + 2, cells + 2))
    ys = np.linspace(0, cells, h)
    xs = np.linspace(0, cells, w)
    y0 = ys.astype(int)
    x0 = xs.astype(int)
    fy = (ys - y0)[:, None]
    fx = (xs - x0)[None, :]
    a = grid[y0][:, x0]
    b = grid[y0][:, x0 + 1]
    c = grid[y0 + 1][:, x0]
    d = grid[y0 + 1][:, x0 + 1]
    noise: np.ndarray = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    return noise


def make_world() -> np.ndarray:
    """The world's biome ids, ``(height, width)`` uint8: islands in an ocean."""
    w, h = WORLD_SIZE
    rng = np.random.default_rng(SEED + 1)
    height = (
        _smooth_noise(rng, w, h, 4)
        + 0.5 * _smooth_noise(rng, w, h, 8)
        + 0.25 * _smooth_noise(rng, w, h, 16)
    ) / 1.75
    yy, xx = np.mgrid[0:h, 0:w]
    edge = np.minimum(np.minimum(xx, w - 1 - xx) / 6.0, np.minimum(yy, h - 1 - yy) / 5.0)
    height = height * np.clip(edge, 0.0, 1.0) ** 0.5
    cuts = [0.22, 0.34, 0.39, 0.52, 0.60, 0.68, 0.76]
    biomes: np.ndarray = np.searchsorted(cuts, height).astype(np.uint8)
    return biomes


def _save_rgb(rgb: np.ndarray, path: Path) -> None:
    """Save an ``(h, w, 3)`` uint8 image as PNG."""
    surface = pygame.surfarray.make_surface(np.ascontiguousarray(rgb.transpose(1, 0, 2)))
    pygame.image.save(surface, str(path))


def main(out_dir: Path | None = None) -> Path:
    """Write the assets; returns the directory written."""
    out = out_dir if out_dir is not None else Path(__file__).resolve().parent / "streaming"
    out.mkdir(parents=True, exist_ok=True)
    tiles = make_tileset()
    _save_rgb(np.concatenate(list(tiles), axis=1), out / "tileset.png")
    world = make_world()
    colors = np.array([color for _, color, _ in BIOMES], np.uint8)
    _save_rgb(colors[world], out / "world.png")
    biomes = [
        {"id": i, "name": name, "color": list(color), "tiles": list(tile_ids)}
        for i, (name, color, tile_ids) in enumerate(BIOMES)
    ]
    meta = {"tile_size": TILE, "tiles": len(tiles), "biomes": biomes}
    (out / "biomes.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    print(f"wrote {main()}")
