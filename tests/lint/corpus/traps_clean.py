"""Correct allocator use that looks like mistakes: copies, slices into storage, local lists."""

from __future__ import annotations

import threading

import numpy as np

from framealloc_engine import SmartAlloc, tags
from framealloc_engine.app import AllocResource, Res, ResMut

HISTORY: list[float] = []


class Body:
    def __init__(self, n: int) -> None:
        self.pos = np.zeros((n, 2), np.float32)
        self.vel = np.zeros((n, 2), np.float32)
        self.prev = np.zeros((n, 2), np.float32)
        self.frames: list[int] = []
        self.energy = 0.0


class FrameCounter:
    """Not an allocator: a class with a method that happens to be called frame_alloc."""

    def __init__(self) -> None:
        self.count = 0

    def frame_alloc(self, n: int) -> list[int]:
        self.count += n
        return [0] * n


def integrate(alloc: AllocResource, body: ResMut[Body], dt: float) -> None:
    b = body.value
    step = alloc.frame_alloc(np.float32, b.pos.shape)
    np.multiply(b.vel, dt, out=step)
    b.prev[:] = b.pos
    b.pos += step
    b.pos[...] = np.clip(b.pos, 0, 100)
    np.copyto(b.vel, step * 0.0 + b.vel)
    energy = alloc.frame_alloc(np.float32, len(b.vel))
    np.einsum("ij,ij->i", b.vel, b.vel, out=energy)
    b.energy = float(energy.sum())
    HISTORY.append(b.energy)
    b.frames.append(len(HISTORY))


def neighbours(alloc: AllocResource, body: Res[Body]) -> int:
    b = body.value
    d = alloc.frame_alloc(np.float32, (len(b.pos), len(b.pos)))
    diff = b.pos[:, None, :] - b.pos[None, :, :]
    np.sqrt((diff**2).sum(axis=2), out=d)
    close = [int(i) for i in np.flatnonzero((d < 2.0).sum(axis=1) > 1)]
    return len(close)


def summarise(alloc: SmartAlloc, values: np.ndarray) -> dict[str, float]:
    with alloc.frame_scope(), alloc.with_tag(tags.GENERAL):
        sorted_values = alloc.frame_alloc(values.dtype, values.shape)
        np.copyto(sorted_values, values)
        sorted_values.sort()
        quarter = len(values) // 4
        return {
            "median": float(sorted_values[len(values) // 2]),
            "iqr": float(sorted_values[-quarter] - sorted_values[quarter]),
        }


def report_in_background(alloc: SmartAlloc, values: np.ndarray) -> threading.Thread:
    copy = values.copy()
    worker = threading.Thread(target=print, args=(copy.mean(),))
    worker.start()
    return worker


def counters() -> int:
    counter = FrameCounter()
    for n in range(100):
        counter.frame_alloc(n)
    return counter.count
