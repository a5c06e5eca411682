"""The streaming demo's world: assets decoded into allocator memory, and chunk synthesis.

The world is ``WORLD_W x WORLD_H`` chunks of ``CHUNK_TILES x CHUNK_TILES`` tiles. Its biome
map (one pixel per chunk), tileset and biome table are assets; a chunk's *stream entry* is
what a real game would read from disk, built here from those assets:

* bytes ``[0, MAP_BYTES)``: the chunk's tile map (tile ids, ``CHUNK_TILES`` squared);
* bytes ``[MAP_BYTES, ENTRY_BYTES)``: its texture, ``CHUNK_PX`` squared pixels packed as
  ``0xAARRGGBB`` (the canvas's format).

Both are written slice by slice straight into the streaming allocator's view, with numpy
``out=`` arguments and frame-arena temporaries, so loading allocates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from framealloc_engine import SmartAlloc

from ..assets import asset_path, load_json

__all__ = [
    "CHUNK_PX",
    "CHUNK_TILES",
    "ENTRY_BYTES",
    "MAP_BYTES",
    "NOISE",
    "TEX_BYTES",
    "TILE_PX",
    "ROW_BYTES",
    "WorldAssets",
    "load_world",
    "pack_rgb",
    "write_texture_rows",
    "write_tile_map",
]

TILE_PX = 16
CHUNK_TILES = 8
CHUNK_PX = TILE_PX * CHUNK_TILES
MAP_BYTES = CHUNK_TILES * CHUNK_TILES
TEX_BYTES = CHUNK_PX * CHUNK_PX * 4
ENTRY_BYTES = MAP_BYTES + TEX_BYTES
#: Bytes of one loading step of a texture: one row of tiles.
ROW_BYTES = TEX_BYTES // CHUNK_TILES
#: Side of the (periodic) noise tables that vary tiles inside a biome.
NOISE = 64
_OPAQUE = 0xFF000000


def pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """``(..., 3)`` uint8 RGB as ``0xAARRGGBB`` uint32 (opaque), a new array (startup)."""
    r = rgb[..., 0].astype(np.uint32)
    g = rgb[..., 1].astype(np.uint32)
    b = rgb[..., 2].astype(np.uint32)
    packed: np.ndarray = (r << 16) | (g << 8) | b | np.uint32(_OPAQUE)
    return packed


def _image_rgb(*parts: str) -> np.ndarray:
    """An image asset as ``(h, w, 3)`` uint8 (startup only)."""
    surface = pygame.image.load(str(asset_path(*parts)))
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).transpose(1, 0, 2))


@dataclass
class WorldAssets:
    """The decoded assets, in heap memory of the demo's allocator (a resource).

    Attributes:
        width: World width in chunks.
        height: World height in chunks.
        tiles: ``(n_tiles, TILE_PX, TILE_PX)`` packed pixels of the tileset.
        biomes: ``(height * width,)`` intp biome id of every chunk (row-major).
        biome_tiles: ``(n_biomes * 4,)`` the four tile ids of each biome.
        biome_colors: ``(n_biomes,)`` packed map colour of each biome.
        biome_names: Biome names, by id.
        jitter_x: ``(NOISE, NOISE)`` intp tile offsets in [-4, 4] that make biome borders
            ragged (x component).
        jitter_y: Same, y component.
        variant: ``(NOISE, NOISE)`` intp in [0, 4): which of its biome's tiles a tile uses.
        columns: ``(CHUNK_TILES,)`` intp ``0..CHUNK_TILES-1``.
        consts: ``(5,)`` intp: ``CHUNK_TILES``, ``width - 1``, ``height - 1``, 4, 0, read
            as 0-d views (a scalar ufunc operand would be a new 0-d array on every call).
    """

    width: int
    height: int
    tiles: np.ndarray
    biomes: np.ndarray
    biome_tiles: np.ndarray
    biome_colors: np.ndarray
    biome_names: list[str]
    jitter_x: np.ndarray
    jitter_y: np.ndarray
    variant: np.ndarray
    columns: np.ndarray
    consts: np.ndarray

    def const(self, i: int) -> np.ndarray:
        """The ``i``-th precomputed constant as a 0-d view (no boxing in numpy calls)."""
        return self.consts[i : i + 1].reshape(())

    @property
    def chunks(self) -> int:
        """Number of chunks in the world."""
        return self.width * self.height

    @property
    def world_bytes(self) -> int:
        """Bytes the whole world would take if every chunk were resident."""
        return self.chunks * ENTRY_BYTES


def _heap_copy(alloc: SmartAlloc, array: np.ndarray) -> np.ndarray:
    out = alloc.heap_alloc(array.dtype, array.shape)
    out[...] = array
    return out


def load_world(alloc: SmartAlloc, seed: int) -> WorldAssets:
    """Read the streaming assets and decode them into ``alloc``'s heap (startup).

    Args:
        alloc: The demo's allocator (the arrays live in its heap for the app's life).
        seed: Seeds the in-biome tile variation.
    """
    meta = load_json("streaming", "biomes.json")
    if int(meta["tile_size"]) != TILE_PX:
        raise ValueError(f"streaming tileset has {meta['tile_size']}-pixel tiles, want {TILE_PX}")
    sheet = _image_rgb("streaming", "tileset.png")  # (TILE_PX, n * TILE_PX, 3)
    n_tiles = sheet.shape[1] // TILE_PX
    tiles = pack_rgb(sheet.reshape(TILE_PX, n_tiles, TILE_PX, 3).transpose(1, 0, 2, 3))
    biomes = meta["biomes"]
    colors = np.array([b["color"] for b in biomes], np.uint8)
    world_rgb = _image_rgb("streaming", "world.png")
    # each map pixel is exactly one biome colour: match it
    match = (world_rgb[:, :, None, :] == colors[None, None, :, :]).all(axis=3)
    if not match.any(axis=2).all():
        raise ValueError("streaming/world.png has a pixel whose colour is no biome's")
    biome_map = match.argmax(axis=2).astype(np.uint8)
    rng = np.random.default_rng(seed)
    return WorldAssets(
        width=int(biome_map.shape[1]),
        height=int(biome_map.shape[0]),
        tiles=_heap_copy(alloc, np.ascontiguousarray(tiles)),
        biomes=_heap_copy(alloc, biome_map.reshape(-1).astype(np.intp)),
        biome_tiles=_heap_copy(alloc, np.array([b["tiles"] for b in biomes], np.uint8).ravel()),
        biome_colors=_heap_copy(alloc, pack_rgb(colors)),
        biome_names=[str(b["name"]) for b in biomes],
        jitter_x=_heap_copy(alloc, rng.integers(-4, 5, (NOISE, NOISE)).astype(np.intp)),
        jitter_y=_heap_copy(alloc, rng.integers(-4, 5, (NOISE, NOISE)).astype(np.intp)),
        variant=_heap_copy(alloc, rng.integers(0, 4, (NOISE, NOISE)).astype(np.intp)),
        columns=_heap_copy(alloc, np.arange(CHUNK_TILES, dtype=np.intp)),
        consts=_heap_copy(
            alloc,
            np.array(
                [CHUNK_TILES, biome_map.shape[1] - 1, biome_map.shape[0] - 1, 4, 0],
                np.intp,
            ),
        ),
    )


def write_tile_map(world: WorldAssets, alloc: SmartAlloc, chunk: int, out: np.ndarray) -> None:
    """Synthesize chunk ``chunk``'s tile map into ``out`` (``(CHUNK_TILES, CHUNK_TILES)``
    uint8, usually the stream entry's first bytes).

    A tile takes the biome of the map pixel at its own position plus a small jitter (ragged
    biome borders) and one of the biome's four tiles; temporaries are frame allocations.
    """
    cx, cy = chunk % world.width, chunk // world.width
    r0 = (cy * CHUNK_TILES) % NOISE
    c0 = (cx * CHUNK_TILES) % NOISE
    rows = slice(r0, r0 + CHUNK_TILES)
    cols = slice(c0, c0 + CHUNK_TILES)
    n = CHUNK_TILES
    side, last_x, last_y, four, zero = (world.const(i) for i in range(5))
    bx = alloc.frame_alloc(np.intp, (n, n))
    by = alloc.frame_alloc(np.intp, (n, n))
    origin = alloc.frame_alloc(np.intp, ())
    # bx = clip((cx*n + col + jitter_x) // n, 0, width-1): the chunk whose biome a tile takes
    origin.fill(cx * n)
    np.add(world.jitter_x[rows, cols], world.columns[None, :], out=bx)
    np.add(bx, origin, out=bx)
    np.floor_divide(bx, side, out=bx)
    np.clip(bx, zero, last_x, out=bx)
    origin.fill(cy * n)
    np.add(world.jitter_y[rows, cols], world.columns[:, None], out=by)
    np.add(by, origin, out=by)
    np.floor_divide(by, side, out=by)
    np.clip(by, zero, last_y, out=by)
    origin.fill(world.width)
    np.multiply(by, origin, out=by)
    np.add(by, bx, out=by)  # linear chunk index
    np.take(world.biomes, by, out=bx, mode="clip")  # biome id
    np.multiply(bx, four, out=bx)
    np.add(bx, world.variant[rows, cols], out=bx)
    np.take(world.biome_tiles, bx, out=out, mode="clip")


def write_texture_rows(
    world: WorldAssets,
    tile_map: np.ndarray,
    row: int,
    texture: np.ndarray,
    scratch: np.ndarray,
    ids: np.ndarray,
) -> None:
    """Paint tile row ``row`` of a chunk's texture from its tile map.

    Args:
        world: The assets (the tileset).
        tile_map: ``(CHUNK_TILES, CHUNK_TILES)`` tile ids.
        row: Tile row to paint.
        texture: ``(CHUNK_PX, CHUNK_PX)`` uint32 texture being loaded.
        scratch: ``(CHUNK_TILES, TILE_PX, TILE_PX)`` uint32 frame temporary.
        ids: ``(CHUNK_TILES,)`` intp frame temporary (numpy would convert uint8 indices
            into a new array).
    """
    np.copyto(ids, tile_map[row])
    np.take(world.tiles, ids, axis=0, out=scratch, mode="clip")
    band = texture[row * TILE_PX : (row + 1) * TILE_PX]
    # band[py, tx * TILE_PX + px] = scratch[tx, py, px]
    np.copyto(band.reshape(TILE_PX, CHUNK_TILES, TILE_PX), scratch.transpose(1, 0, 2))
