"""A small stable-fluids solver: every temporary in a frame scope, state on the heap."""

from __future__ import annotations

import numpy as np

from framealloc_engine import AllocConfig, SmartAlloc, tags


class Fluid:
    def __init__(self, n: int) -> None:
        self.alloc = SmartAlloc(AllocConfig().with_frame_arena_size(16 << 20))
        self.n = n
        self.state = self.alloc.heap_alloc(np.float32, (3, n, n))
        self.u, self.v, self.dye = self.state
        self.state.fill(0.0)

    def diffuse(self, field: np.ndarray, rate: float) -> None:
        blurred = self.alloc.frame_alloc(np.float32, field.shape)
        blurred[1:-1, 1:-1] = (
            field[:-2, 1:-1] + field[2:, 1:-1] + field[1:-1, :-2] + field[1:-1, 2:]
        ) * 0.25
        field += (blurred - field) * rate

    def advect(self, field: np.ndarray, dt: float) -> None:
        n = self.n
        rows = self.alloc.frame_alloc(np.float32, (n, n))
        cols = self.alloc.frame_alloc(np.float32, (n, n))
        grid = np.indices((n, n), dtype=np.float32)
        np.clip(grid[0] - self.v * dt, 0, n - 1, out=rows)
        np.clip(grid[1] - self.u * dt, 0, n - 1, out=cols)
        moved = field[rows.astype(np.intp), cols.astype(np.intp)]
        field[...] = moved

    def step(self, dt: float) -> float:
        with self.alloc.frame_scope(), self.alloc.with_tag(tags.PHYSICS):
            for field in (self.u, self.v):
                self.diffuse(field, 0.1)
                self.advect(field, dt)
            self.advect(self.dye, dt)
            total = self.alloc.frame_alloc(np.float32, 1)
            total[0] = self.dye.sum()
            return float(total[0])

    def splat(self, x: int, y: int, amount: float) -> None:
        self.dye[y - 2 : y + 2, x - 2 : x + 2] += amount
        self.u[y, x] += amount * 0.5

    def close(self) -> None:
        self.alloc.heap_free(self.state)


def simulate(frames: int) -> list[float]:
    fluid = Fluid(64)
    totals = []
    for frame in range(frames):
        fluid.splat(32, 32, 1.0 if frame % 10 == 0 else 0.0)
        totals.append(fluid.step(1 / 60))
    fluid.close()
    return totals
