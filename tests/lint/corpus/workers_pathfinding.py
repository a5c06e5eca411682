"""Path requests solved on a thread pool; results come back as transfer handles."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from framealloc_engine import FrameBarrier, SmartAlloc, ThreadBudgetConfig, TransferHandle


def solve(
    alloc: SmartAlloc, barrier: FrameBarrier, grid: np.ndarray, start: int, goal: int
) -> TransferHandle:
    alloc.set_thread_budget_config(threading.get_ident(), ThreadBudgetConfig())
    cost = alloc.pool_alloc(np.float32, grid.size)
    cost.fill(np.inf)
    cost[start] = 0.0
    frontier = [start]
    while frontier:
        node = frontier.pop()
        for step in (-1, 1, -grid.shape[1], grid.shape[1]):
            nxt = node + step
            if 0 <= nxt < grid.size and grid.flat[nxt] == 0 and cost[nxt] > cost[node] + 1:
                cost[nxt] = cost[node] + 1
                frontier.append(nxt)
    result = np.array([cost[goal]], np.float32)
    alloc.pool_free(cost)
    handle = alloc.frame_box_for_transfer(result).send()
    barrier.signal_frame_complete()
    return handle


def smooth(points: np.ndarray) -> np.ndarray:
    out = points.copy()
    out[1:-1] = (points[:-2] + points[1:-1] + points[2:]) / 3
    return out


class Navigator:
    def __init__(self, grid: np.ndarray, workers: int = 2) -> None:
        self.alloc = SmartAlloc()
        self.grid = grid
        self.pool = ThreadPoolExecutor(workers)
        self.barrier = FrameBarrier(workers)
        self.distances: dict[int, float] = {}

    def frame(self, requests: list[tuple[int, int]]) -> None:
        self.alloc.begin_frame()
        futures = [
            self.pool.submit(solve, self.alloc, self.barrier, self.grid, s, g) for s, g in requests
        ]
        waypoints = self.alloc.frame_alloc(np.float32, (len(requests), 2))
        waypoints[:] = [(s % self.grid.shape[1], g % self.grid.shape[1]) for s, g in requests]
        smoothed = self.pool.submit(smooth, waypoints)  # expect: FA201
        for (start, _), future in zip(requests, futures, strict=True):
            self.distances[start] = float(future.result().receive()[0])
        smoothed.result()
        self.barrier.wait_all()
        self.alloc.end_frame()


def main() -> None:
    grid = np.zeros((64, 64), np.uint8)
    grid[10:50, 30] = 1
    nav = Navigator(grid)
    for frame in range(10):
        nav.frame([(frame, 64 * 63 - frame), (64 + frame, 64 * 40)])
