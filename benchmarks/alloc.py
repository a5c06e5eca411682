"""Allocator benchmark: frame, pool and heap allocation against numpy's own allocator.

Run: ``python benchmarks/alloc.py`` (two minutes or so; ``--json`` adds the rows as JSON).
Every row times ours and its baseline interleaved, round by round, in this one process
(see ``timing.py``); the ratio is ours / baseline (below 1.00x: faster than the baseline).
Each allocator row runs on the native and the pure-Python backend side by side (the same
rounds, one baseline) when the native core is built.
Calls are written the way a user writes them: ``alloc.frame_alloc(...)`` with the attribute
fetched at every call, ``begin_frame``/``end_frame`` included, no ``.fill()`` on allocation
rows (filling hides the allocation cost).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import Case, Row, Timed, compare, compare_backends, print_table  # noqa: E402

from framealloc_engine import MIB, AllocConfig, SmartAlloc  # noqa: E402
from framealloc_engine.allocators import backend  # noqa: E402

try:
    from framealloc_engine.bridge import AllocResource  # noqa: E402
except ImportError:  # the first release kept it in the engine package
    from framealloc_engine.app import AllocResource  # type: ignore[no-redef]  # noqa: E402

PER_FRAME = 64
FRAMES = 200
Record = np.dtype([("pos", "f4", 2), ("vel", "f4", 2), ("hp", "i4"), ("team", "u1")])
f32 = np.float32


def _frames(alloc: SmartAlloc, frames: int = FRAMES) -> Callable[[], int]:
    """64 frame_alloc of 16 floats a frame, attribute fetched each call."""

    def run() -> int:
        for _ in range(frames):
            alloc.begin_frame()
            for _ in range(PER_FRAME):
                alloc.frame_alloc(f32, 16)
            alloc.end_frame()
        return frames * PER_FRAME

    return run


def _numpy_frames(frames: int = FRAMES) -> Callable[[], int]:
    def run() -> int:
        for _ in range(frames):
            for _ in range(PER_FRAME):
                np.empty(16, f32)
        return frames * PER_FRAME

    return run


def _changing_frames(alloc: SmartAlloc, frames: int = FRAMES) -> Callable[[], int]:
    """Frames that never repeat the previous frame's shapes (every request misses the reuse
    cache, as a first frame does)."""

    def run() -> int:
        for frame in range(frames):
            n = 16 + (frame & 1)
            alloc.begin_frame()
            for _ in range(PER_FRAME):
                alloc.frame_alloc(f32, n)
            alloc.end_frame()
        return frames * PER_FRAME

    return run


def _numpy_changing(frames: int = FRAMES) -> Callable[[], int]:
    def run() -> int:
        for frame in range(frames):
            n = 16 + (frame & 1)
            for _ in range(PER_FRAME):
                np.empty(n, f32)
        return frames * PER_FRAME

    return run


def _pool_cycle(
    alloc: SmartAlloc, dtype: object, shape: object, n: int = 20_000
) -> Callable[[], int]:
    def run() -> int:
        for _ in range(n):
            alloc.pool_free(alloc.pool_alloc(dtype, shape))
        return n

    return run


def _numpy_block(dtype: object, shape: object, n: int = 20_000) -> Callable[[], int]:
    def run() -> int:
        for _ in range(n):
            np.empty(shape, dtype)  # type: ignore[call-overload]
        return n

    return run


def _begin_end(alloc: SmartAlloc, n: int = 20_000) -> Callable[[], int]:
    def run() -> int:
        for _ in range(n):
            alloc.begin_frame()
            alloc.end_frame()
        return n

    return run


def _end_after(alloc: SmartAlloc, allocs: int, frames: int = 3) -> Callable[[], Timed]:
    """Only ``end_frame`` is timed: the frame's ``allocs`` allocations are made untimed."""

    def run() -> Timed:
        spent = 0
        for _ in range(frames):
            alloc.begin_frame()
            for _ in range(allocs):
                alloc.frame_alloc(np.uint8, 16)
            start = time.perf_counter_ns()
            alloc.end_frame()
            spent += time.perf_counter_ns() - start
        return Timed(spent / 1e9 / frames)

    return run


def _big(alloc: SmartAlloc, nbytes: int, n: int = 5) -> Callable[[], int]:
    def run() -> int:
        for _ in range(n):
            alloc.begin_frame()
            alloc.frame_alloc(np.uint8, nbytes).fill(1)
            alloc.end_frame()
        return n

    return run


def _numpy_big(nbytes: int, n: int = 5) -> Callable[[], int]:
    def run() -> int:
        for _ in range(n):
            np.empty(nbytes, np.uint8).fill(1)
        return n

    return run


def _heap_cycle(alloc: SmartAlloc, n: int = 5_000) -> Callable[[], int]:
    def run() -> int:
        for i in range(n):
            alloc.heap_free(alloc.heap_alloc(np.uint8, 8192 + 16 * (i & 7)))
        return n

    return run


def _resource_frames(resource: SmartAlloc, frames: int = FRAMES) -> Callable[[], int]:
    alloc = resource.alloc if isinstance(resource, AllocResource) else resource

    def run() -> int:
        for _ in range(frames):
            alloc.begin_frame()
            for _ in range(PER_FRAME):
                resource.frame_alloc(f32, 16)
            alloc.end_frame()
        return frames * PER_FRAME

    return run


def _exited_threads(alloc: SmartAlloc, count: int) -> None:
    def work() -> None:
        with alloc.frame_scope():
            alloc.frame_alloc(f32, 4)

    for _ in range(count):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()


def _cold_cache_row(cfg: AllocConfig) -> Row:
    """Control for the 100,000-allocation row: the same ``end_frame`` after 10 allocations,
    once with the CPU caches as cold as 100,000 allocations leave them (a 16 MiB sweep), once
    warm. What this costs is the machine's, not the reset's (which is O(1))."""
    alloc = SmartAlloc(cfg)
    sweep = np.zeros(16 * MIB, np.uint8)

    def cold() -> Timed:
        spent = 0
        for _ in range(3):
            alloc.begin_frame()
            for _ in range(10):
                alloc.frame_alloc(np.uint8, 16)
            sweep[::64] += 1
            start = time.perf_counter_ns()
            alloc.end_frame()
            spent += time.perf_counter_ns() - start
        return Timed(spent / 1e9 / 3)

    return compare(
        "control: end_frame after 10, caches swept cold", cold,
        "end_frame after 10", _end_after(SmartAlloc(cfg), 10), rounds=7,
    )  # fmt: skip


def _noop_pair(n: int = 20_000) -> Callable[[], int]:
    """Two empty method calls: what any begin/end pair costs at the least in Python."""

    class Noop:
        def begin_frame(self) -> None:
            pass

        def end_frame(self) -> None:
            pass

    noop = Noop()

    def run() -> int:
        for _ in range(n):
            noop.begin_frame()
            noop.end_frame()
        return n

    return run


def _rows(backends: list[str]) -> list[Row]:
    rows: list[Row] = []
    cfg = AllocConfig().with_frame_arena_size(8 * MIB)
    allocs = {b: SmartAlloc(cfg.with_backend(b)) for b in backends}

    def each(make: Callable[[SmartAlloc], Case]) -> dict[str, Case]:
        return {b: make(allocs[b]) for b in backends}

    rows += compare_backends(
        "64 frame_alloc of 16 floats a frame", each(_frames),
        "np.empty(16, float32)", _numpy_frames(), goal="<= 0.5",
    )  # fmt: skip
    rows += compare_backends(
        "frames that never repeat the previous shapes", each(_changing_frames),
        "np.empty(16|17, float32)", _numpy_changing(), goal="<= 1.0",
    )  # fmt: skip
    rows += compare_backends(
        "pool_alloc + pool_free, 8 floats", each(lambda a: _pool_cycle(a, f32, 8)),
        "np.empty(8, float32)", _numpy_block(f32, 8), goal="<= 0.5",
    )  # fmt: skip
    rows += compare_backends(
        "pool_alloc + pool_free, 21-byte record", each(lambda a: _pool_cycle(a, Record, ())),
        "np.empty((), Record)", _numpy_block(Record, ()), goal="<= 1.0",
    )  # fmt: skip
    rows += compare_backends(
        "begin_frame + end_frame", each(_begin_end),
        "two empty method calls", _noop_pair(), goal="<= 0.5 us",
    )  # fmt: skip
    for b in backends:
        resource = AllocResource(allocs[b])
        rows.append(compare(
            "AllocResource.frame_alloc (a system's alloc)", _resource_frames(resource),
            "SmartAlloc.frame_alloc", _resource_frames(allocs[b]), goal="<= 1.05", backend=b,
        ))  # fmt: skip
    big = 64 * MIB
    rows += compare_backends(
        "64 MiB frame temporary + fill",
        {b: _big(SmartAlloc(cfg.with_frame_arena_size(big + MIB).with_backend(b)), big)
         for b in backends},
        "np.empty + fill", _numpy_big(big), rounds=7, goal="<= 0.33",
    )  # fmt: skip
    for b in backends:
        heap_many = SmartAlloc(cfg.with_backend(b))
        keep_many = [heap_many.heap_alloc(np.uint8, 8192 + 16 * (i % 97)) for i in range(2000)]
        for i in range(0, 2000, 2):  # free every other one: a fragmented heap
            heap_many.heap_free(keep_many[i])
        heap_few = SmartAlloc(cfg.with_backend(b))
        keep_few = [heap_few.heap_alloc(np.uint8, 8192) for _ in range(10)]
        rows.append(compare(
            "heap alloc+free, 1,000 live blocks (fragmented)", _heap_cycle(heap_many),
            "the same with 10 live blocks", _heap_cycle(heap_few), goal="<= 1.2", backend=b,
        ))  # fmt: skip
        del keep_many, keep_few
    for b in backends:
        many = SmartAlloc(cfg.with_frame_arena_size(16 * MIB).with_backend(b))
        few = SmartAlloc(cfg.with_backend(b))
        rows.append(compare(
            "end_frame after 100,000 allocations", _end_after(many, 100_000),
            "end_frame after 10", _end_after(few, 10), rounds=7, goal="<= 2.0", backend=b,
        ))  # fmt: skip
    rows.append(_cold_cache_row(cfg))
    for b in backends:
        checked, empty = SmartAlloc(cfg.with_backend(b)), SmartAlloc(cfg.with_backend(b))
        rows.append(compare(
            "end_frame after 64 allocations (escape check)", _end_after(checked, 64, frames=200),
            "end_frame after none", _end_after(empty, 0, frames=200), backend=b,
        ))  # fmt: skip
    for b in backends:
        plain = SmartAlloc(cfg.with_backend(b))
        exited = SmartAlloc(cfg.with_backend(b))
        _exited_threads(exited, 1000)
        rows.append(compare(
            "begin+end_frame after 1,000 exited threads", _begin_end(exited, 1000),
            "begin+end_frame, no other thread", _begin_end(plain, 1000), rounds=9,
            goal="<= 1.1", backend=b,
        ))  # fmt: skip
    rows.append(compare(
        "control: np.empty(16, float32)", _numpy_frames(),
        "np.empty(16, float32)", _numpy_frames(),
    ))  # fmt: skip
    return rows


def main() -> None:
    """Print the benchmark table."""
    backends = ["native", "pure"] if backend.NATIVE_AVAILABLE else ["pure"]
    rows = _rows(backends)
    print_table(
        "framealloc-engine allocator benchmark (interleaved rounds; ratio = ours / baseline)",
        rows,
        "control row: both sides do the same work; its distance from 1.00x is this run's noise"
        + ("" if backend.NATIVE_AVAILABLE else "\nnative core not loaded: pure backend only"),
    )


if __name__ == "__main__":
    main()
