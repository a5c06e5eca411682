"""Ordinary numpy code under ``capture_numpy()``: frame memory without rewriting the code.

Run: ``python benchmarks/capture.py`` (one process, about a minute; ``--json`` adds the rows
as JSON). Every row times ours and its baseline interleaved, round by round (see
``timing.py``); the ratio is ours / baseline (below 1.00x: faster).

* Per size, ``b = a + 1.0`` in a loop, captured vs numpy's own allocator: what a captured
  allocation costs, and where numpy's small-block cache is faster (the ``threshold``).
* A frame of ``a * b + np.sin(c)`` on 16M-element float32 arrays: captured vs the same
  expression written by hand with preallocated ``out=`` buffers (the limit), and vs plain
  numpy (which pays page faults for every fresh 64 MiB temporary).

The particles demo's plain-numpy variant under capture is in ``benchmarks/demos.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import Row, compare, print_table  # noqa: E402

from framealloc_engine import SmartAlloc  # noqa: E402
from framealloc_engine.allocators import backend  # noqa: E402

BIG = 16 * 1024 * 1024  # elements: 64 MiB of float32


def _loop(a: np.ndarray, n: int) -> Callable[[], int]:
    def run() -> int:
        for _ in range(n):
            b = a + 1.0
        del b
        return n

    return run


def _captured(alloc: SmartAlloc, work: Callable[[], int]) -> Callable[[], int]:
    def run() -> int:
        with alloc.frame_scope(capture_numpy=True):
            return work()

    return run


def _expression(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> Callable[[], int]:
    def run() -> int:
        result = a * b + np.sin(c)
        del result
        return 1

    return run


def _by_hand(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> Callable[[], int]:
    out = np.empty_like(a)
    tmp = np.empty_like(a)

    def run() -> int:
        np.multiply(a, b, out=out)
        np.sin(c, out=tmp)
        np.add(out, tmp, out=out)
        return 1

    return run


def _rows() -> list[Row]:
    alloc = SmartAlloc()
    rows = []
    for nbytes in (8, 256, 1024, 4096, 65536, 1 << 20):
        a = np.ones(nbytes // 8)
        n = 2000 if nbytes < 65536 else 200
        rows.append(compare(
            f"b = a + 1.0, {nbytes:,} bytes, captured", _captured(alloc, _loop(a, n)),
            "numpy's allocator", _loop(a, n),
        ))  # fmt: skip
    rng = np.random.default_rng(1)
    a, b, c = (rng.random(BIG, dtype=np.float32) for _ in range(3))
    expression = _expression(a, b, c)
    rows.append(compare(
        "a * b + np.sin(c), 16M float32, captured", _captured(alloc, expression),
        "written by hand with out= buffers", _by_hand(a, b, c), rounds=11, goal="<= 1.1",
    ))  # fmt: skip
    rows.append(compare(
        "a * b + np.sin(c), 16M float32, captured", _captured(alloc, expression),
        "plain numpy", expression, rounds=11, goal="<= 1.0",
    ))  # fmt: skip
    rows.append(compare(
        "control: plain numpy", expression, "plain numpy", expression, rounds=11,
    ))  # fmt: skip
    return rows


def main() -> None:
    """Print the table."""
    if not backend.NATIVE_AVAILABLE:
        print("capture_numpy() needs the native extension; it is not loaded")
        return
    print_table(
        "numpy under capture_numpy() (interleaved rounds; ratio = ours / baseline)",
        _rows(),
        "control row: both sides do the same work; its distance from 1.00x is this run's noise",
    )


if __name__ == "__main__":
    main()
