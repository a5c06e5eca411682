"""Benchmarks for the allocators of issue 5 ("Memory at scale"): handles and streaming.

Run ``python benchmarks/scale.py``. Prints one table; ``ratio`` is ours / baseline, so below
1.0 means faster than the baseline. Every figure is the best of several repeats, per
operation, measured in this one process.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from framealloc_engine.handles.allocator import HandleAllocator  # noqa: E402
from framealloc_engine.streaming.allocator import (  # noqa: E402
    StreamingAllocator,
    StreamPriority,
)

__all__ = ["main"]

REPEATS = 7
Vertex = np.dtype([("pos", "f4", 3), ("uv", "f4", 2)])


def best_ns(fn: Callable[[], int]) -> float:
    """Best ns per operation over REPEATS runs of ``fn`` (which returns its op count)."""
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter_ns()
        ops = fn()
        best = min(best, (time.perf_counter_ns() - t0) / ops)
    return best


def bench_resolve() -> tuple[float, float]:
    n = 1000
    handles = HandleAllocator(capacity_bytes=n * 64 + 4096)
    hs = [handles.alloc(Vertex, 2) for _ in range(n)]
    keys = list(range(n))
    views = {k: np.empty(2, Vertex) for k in keys}
    loops = 200

    def ours() -> int:
        resolve = handles.resolve
        for _ in range(loops):
            for h in hs:
                resolve(h)
        return loops * n

    def base() -> int:
        get = views.__getitem__
        for _ in range(loops):
            for k in keys:
                get(k)
        return loops * n

    return best_ns(ours), best_ns(base)


def bench_handle_alloc_free() -> tuple[float, float]:
    handles = HandleAllocator(capacity_bytes=1 << 16)
    loops = 20_000

    def ours() -> int:
        alloc, free = handles.alloc, handles.free
        for _ in range(loops):
            free(alloc(Vertex, 4))
        return loops

    def base() -> int:
        empty = np.empty
        for _ in range(loops):
            empty(4, Vertex)
        return loops

    return best_ns(ours), best_ns(base)


def bench_stream_cycle(size: int, *, fill: bool = False) -> tuple[float, float]:
    """One asset's life (reserve, begin_load, [fill], finish_load, access, free)."""
    streaming = StreamingAllocator(64 * 1024 * 1024)
    loops = 5000 if size < 1 << 20 else 200
    high = StreamPriority.HIGH

    def ours() -> int:
        reserve, begin, finish = streaming.reserve, streaming.begin_load, streaming.finish_load
        access, free = streaming.access, streaming.free
        for i in range(loops):
            sid = reserve(size, high)
            view = begin(sid)
            if fill:
                view.fill(i & 0xFF)
            finish(sid)
            access(sid)
            free(sid)
        return loops

    def base() -> int:
        empty, u8 = np.empty, np.uint8
        for i in range(loops):
            arr = empty(size, u8)
            if fill:
                arr.fill(i & 0xFF)
        return loops

    return best_ns(ours), best_ns(base)


def bench_stream_access() -> tuple[float, float]:
    streaming = StreamingAllocator(16 * 1024 * 1024)
    ids = []
    for _ in range(256):
        sid = streaming.reserve(4096, StreamPriority.NORMAL)
        streaming.begin_load(sid)
        streaming.finish_load(sid)
        ids.append(sid)
    views = {sid: np.empty(4096, np.uint8) for sid in ids}
    loops = 500

    def ours() -> int:
        access = streaming.access
        for _ in range(loops):
            for sid in ids:
                access(sid)
        return loops * len(ids)

    def base() -> int:
        get = views.__getitem__
        for _ in range(loops):
            for sid in ids:
                get(sid)
        return loops * len(ids)

    return best_ns(ours), best_ns(base)


def main() -> None:
    """Run every benchmark and print the table."""
    rows: list[tuple[str, str, float, float]] = [
        ("handles.resolve(h)", "dict[int] -> premade view", *bench_resolve()),
        ("handles alloc+free (4 Vertex)", "np.empty(4, Vertex)", *bench_handle_alloc_free()),
        (
            "stream reserve+begin+finish+access+free, 4 KiB",
            "np.empty(4 KiB, uint8)",
            *bench_stream_cycle(4096),
        ),
        (
            "same cycle, 4 MiB",
            "np.empty(4 MiB, uint8)",
            *bench_stream_cycle(4 * 1024 * 1024),
        ),
        (
            "same 4 MiB cycle, loader fills the view",
            "np.empty(4 MiB) + fill",
            *bench_stream_cycle(4 * 1024 * 1024, fill=True),
        ),
        ("streaming.access(id) (READY)", "dict[int] -> premade view", *bench_stream_access()),
    ]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"{'operation':<{w0}}  {'baseline':<{w1}}  {'ours ns':>9}  {'base ns':>9}  ratio")
    for name, baseline, ours, base in rows:
        print(f"{name:<{w0}}  {baseline:<{w1}}  {ours:>9.1f}  {base:>9.1f}  {ours / base:5.2f}x")


if __name__ == "__main__":
    main()
