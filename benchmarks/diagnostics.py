"""Cost of the diagnostics features: a steady-state frame with each one off and on.

Run: ``python -m benchmarks.diagnostics``. Prints one table; ratios are against the same
frame with every diagnostic off.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from framealloc_engine import SmartAlloc

FRAMES = 300
F4 = np.dtype(np.float32)


def frame(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    with alloc.with_tag("physics"):
        for _ in range(100):
            alloc.frame_alloc(F4, 16)
    with alloc.with_tag("ai"):
        for _ in range(20):
            alloc.pool_free(alloc.pool_alloc(F4, 4))
    alloc.end_frame()


def timed(setup: Callable[[SmartAlloc], object]) -> float:
    alloc = SmartAlloc()
    setup(alloc)
    for _ in range(20):
        frame(alloc)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(FRAMES):
            frame(alloc)
        best = min(best, (time.perf_counter() - start) / FRAMES)
    alloc.stop_trace()
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cases: list[tuple[str, Callable[[SmartAlloc], object]]] = [
            ("all off", lambda a: None),
            ("behaviour filter", lambda a: a.enable_behavior_filter()),
            ("diagnostics hooks", lambda a: a.attach_diagnostics_hooks()),
            ("profiler hooks (no callback)", lambda a: a.attach_profiler_hooks()),
            ("chrome trace", lambda a: a.start_trace(Path(tmp) / "t.json")),
            ("snapshot polling", lambda a: a.enable_snapshots(Path(tmp) / "s")),
        ]
        base = None
        print(f"{'feature (120 allocs/frame)':<32}{'us/frame':>10}{'ratio':>8}")
        for name, setup in cases:
            t = timed(setup)
            base = base if base is not None else t
            print(f"{name:<32}{t * 1e6:>10.1f}{t / base:>8.2f}")


if __name__ == "__main__":
    main()
