"""Physics split across worker threads that borrow the main thread's frame."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from framealloc_engine import SmartAlloc


def integrate_slice(alloc: SmartAlloc, pos: np.ndarray, vel: np.ndarray, dt: float) -> None:
    step = alloc.frame_alloc(np.float32, pos.shape)
    np.multiply(vel, dt, out=step)
    pos += step


class ParallelPhysics:
    def __init__(self, bodies: int, workers: int = 4) -> None:
        self.alloc = SmartAlloc()
        self.pos = np.zeros((bodies, 2), np.float32)
        self.vel = np.ones((bodies, 2), np.float32)
        self.executor = ThreadPoolExecutor(workers)
        self.workers = workers

    def step(self, dt: float) -> None:
        self.alloc.begin_frame()
        bounds = np.linspace(0, len(self.pos), self.workers + 1, dtype=int)
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            self.executor.submit(  # expect: FA202, FA203
                integrate_slice, self.alloc, self.pos[lo:hi], self.vel[lo:hi], dt
            )
        self.alloc.end_frame()  # expect: FA205

    def close(self) -> None:
        self.executor.shutdown()
