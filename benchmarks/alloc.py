"""Allocator benchmark: frame, pool and heap allocation against ``np.empty``.

Run: ``python benchmarks/alloc.py`` (about a minute). Everything runs in one process; each
row is the best of several repeats (the least disturbed by other load), and the ratio column
is ours / baseline (below 1.0 means faster than the baseline).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from framealloc_engine import MIB, AllocConfig, SmartAlloc  # noqa: E402

REPEATS = 9
PER_FRAME = 100


def _best_time(fn: Callable[[], None], repeats: int = REPEATS) -> float:
    """Best of ``repeats`` runs: the least disturbed by other processes on the machine."""
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return min(samples)


def _frame_steady(alloc: SmartAlloc, nbytes: int, frames: int) -> Callable[[], None]:
    count = nbytes // 4
    fa = alloc.frame_alloc
    f32 = np.float32

    def run() -> None:
        for _ in range(frames):
            alloc.begin_frame()
            for _ in range(PER_FRAME):
                fa(f32, count).fill(1.0)
            alloc.end_frame()

    return run


def _numpy_steady(nbytes: int, frames: int) -> Callable[[], None]:
    count = nbytes // 4
    empty = np.empty
    f32 = np.float32

    def run() -> None:
        for _ in range(frames):
            for _ in range(PER_FRAME):
                empty(count, f32).fill(1.0)

    return run


def _first_frame(alloc: SmartAlloc, nbytes: int, frames: int) -> Callable[[], None]:
    """Frames that never repeat the previous frame's requests, so every allocation takes
    the path a first frame takes (no view reuse): the shapes alternate between frames."""
    count = nbytes // 4
    fa = alloc.frame_alloc
    f32 = np.float32

    def run() -> None:
        for frame in range(frames):
            alloc.begin_frame()
            n = count + (frame & 1)
            for _ in range(PER_FRAME):
                fa(f32, n).fill(1.0)
            alloc.end_frame()

    return run


def _numpy_first(nbytes: int, frames: int) -> Callable[[], None]:
    count = nbytes // 4
    empty = np.empty
    f32 = np.float32

    def run() -> None:
        for frame in range(frames):
            n = count + (frame & 1)
            for _ in range(PER_FRAME):
                empty(n, f32).fill(1.0)

    return run


def _big_frame(alloc: SmartAlloc, nbytes: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(5):
            alloc.begin_frame()
            alloc.frame_alloc(np.uint8, nbytes).fill(1)
            alloc.end_frame()

    return run


def _big_numpy(nbytes: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(5):
            np.empty(nbytes, np.uint8).fill(1)

    return run


Record = np.dtype([("pos", "f4", 2), ("vel", "f4", 2), ("hp", "i4"), ("team", "u1")])


def _pool_cycle(alloc: SmartAlloc, n: int) -> Callable[[], None]:
    pa = alloc.pool_alloc
    pf = alloc.pool_free

    def run() -> None:
        for _ in range(n):
            pf(pa(Record))

    return run


def _numpy_record(n: int) -> Callable[[], None]:
    empty = np.empty

    def run() -> None:
        for _ in range(n):
            empty((), Record)

    return run


def _pool_batch(alloc: SmartAlloc, n: int) -> Callable[[], None]:
    """Allocate 64 records, then free them (a frame's worth of game objects)."""
    pa = alloc.pool_alloc
    pf = alloc.pool_free

    def run() -> None:
        for _ in range(n // 64):
            held = [pa(Record) for _ in range(64)]
            for block in held:
                pf(block)

    return run


def _numpy_batch(n: int) -> Callable[[], None]:
    empty = np.empty

    def run() -> None:
        for _ in range(n // 64):
            held = [empty((), Record) for _ in range(64)]
            del held

    return run


def main() -> None:
    """Print the benchmark table."""
    rows: list[tuple[str, str, float, float]] = []
    alloc = SmartAlloc(AllocConfig().with_frame_arena_size(32 * MIB))
    frames = 200
    for label, nbytes in (("64 B", 64), ("1 KiB", 1024), ("4 KiB", 4096), ("64 KiB", 65536)):
        n = frames if nbytes < 65536 else 40
        ours = _best_time(_frame_steady(alloc, nbytes, n)) / (n * PER_FRAME)
        base = _best_time(_numpy_steady(nbytes, n)) / (n * PER_FRAME)
        rows.append((f"frame_alloc {label} + fill, steady state", "np.empty + fill", ours, base))
    for label, nbytes in (("64 B", 64), ("1 KiB", 1024), ("4 KiB", 4096)):
        ours = _best_time(_first_frame(alloc, nbytes, 100)) / (100 * PER_FRAME)
        base = _best_time(_numpy_first(nbytes, 100)) / (100 * PER_FRAME)
        rows.append((f"frame_alloc {label} + fill, first frame", "np.empty + fill", ours, base))
    big = 64 * MIB
    big_alloc = SmartAlloc(AllocConfig().with_frame_arena_size(big + MIB))
    ours = _best_time(_big_frame(big_alloc, big), 5) / 5
    base = _best_time(_big_numpy(big), 5) / 5
    rows.append(("frame_alloc 64 MiB + fill, steady state", "np.empty + fill", ours, base))
    n = 20_000
    ours = _best_time(_pool_cycle(alloc, n)) / n
    base = _best_time(_numpy_record(n)) / n
    rows.append(("pool_alloc + pool_free, 32 B record", "np.empty((), Record)", ours, base))
    ours = _best_time(_pool_batch(alloc, n)) / n
    base = _best_time(_numpy_batch(n)) / n
    rows.append(("pool: 64 records alloc, then free", "np.empty x64, drop", ours, base))

    print(f"{'case':46} {'baseline':24} {'ours':>11} {'baseline':>11} {'ratio':>7}")
    print("-" * 103)
    for case, baseline, ours_s, base_s in rows:
        print(
            f"{case:46} {baseline:24} {_fmt(ours_s):>11} {_fmt(base_s):>11} "
            f"{ours_s / base_s:>6.2f}x"
        )
    print("\nratio = ours / baseline; < 1.00x means faster than the baseline")


def _fmt(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e9:.0f} ns"


if __name__ == "__main__":
    main()
