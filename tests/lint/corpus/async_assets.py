"""Streaming level chunks with asyncio next to a frame loop: pool memory in coroutines."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from framealloc_engine import SmartAlloc, tags

CHUNK = 64 * 64


async def read_chunk(path: Path) -> bytes:
    return await asyncio.to_thread(path.read_bytes)


class Streamer:
    def __init__(self, alloc: SmartAlloc, root: Path) -> None:
        self.alloc = alloc
        self.root = root
        self.loaded: dict[tuple[int, int], np.ndarray] = {}

    async def load(self, key: tuple[int, int]) -> None:
        with self.alloc.with_tag(tags.ASSETS):
            tiles = self.alloc.pool_alloc(np.uint8, CHUNK)
        data = await read_chunk(self.root / f"{key[0]}_{key[1]}.bin")
        tiles[: len(data)] = np.frombuffer(data, np.uint8)[:CHUNK]
        self.loaded[key] = tiles

    async def preview(self, key: tuple[int, int]) -> float:
        thumb = self.alloc.frame_alloc(np.uint8, CHUNK // 16)  # expect: FA701
        data = await read_chunk(self.root / f"{key[0]}_{key[1]}.bin")
        thumb[:] = np.frombuffer(data, np.uint8)[: CHUNK : 16]  # expect: FA702
        return float(thumb.mean())  # expect: FA702

    async def checksum(self, key: tuple[int, int]) -> int:
        data = await read_chunk(self.root / f"{key[0]}_{key[1]}.bin")
        with self.alloc.frame_scope():
            scratch = self.alloc.frame_alloc(np.uint8, len(data))
            scratch[:] = np.frombuffer(data, np.uint8)
            return int(scratch.sum())

    def evict(self, keep: set[tuple[int, int]]) -> None:
        for key in list(self.loaded):
            if key not in keep:
                self.alloc.pool_free(self.loaded.pop(key))


async def stream(alloc: SmartAlloc, root: Path, keys: list[tuple[int, int]]) -> Streamer:
    streamer = Streamer(alloc, root)
    await asyncio.gather(*(streamer.load(k) for k in keys))
    return streamer
