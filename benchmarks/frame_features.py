"""Frame-feature overhead: ``frame_alloc`` inside a phase and a 2-deep tag vs plain.

Run: ``python benchmarks/frame_features.py`` (well under a minute). Each row times a
steady-state frame loop (``begin_frame``, ``PER_FRAME`` small ``frame_alloc`` calls,
``end_frame``), best of several repeats, in one process. The ratio is ours / baseline; the
goal for the attribution rows is <= 1.10.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from framealloc_engine import AllocConfig, SmartAlloc  # noqa: E402

REPEATS = 15
FRAMES = 300
PER_FRAME = 100
COUNT = 64


def _plain(alloc: SmartAlloc) -> Callable[[], None]:
    fa = alloc.frame_alloc
    f32 = np.float32

    def run() -> None:
        for _ in range(FRAMES):
            alloc.begin_frame()
            for _ in range(PER_FRAME):
                fa(f32, COUNT)
            alloc.end_frame()

    return run


def _in_phase(alloc: SmartAlloc) -> Callable[[], None]:
    fa = alloc.frame_alloc
    f32 = np.float32

    def run() -> None:
        for _ in range(FRAMES):
            alloc.begin_frame()
            alloc.begin_phase("physics")
            for _ in range(PER_FRAME):
                fa(f32, COUNT)
            alloc.end_phase()
            alloc.end_frame()

    return run


def _in_tags(alloc: SmartAlloc) -> Callable[[], None]:
    fa = alloc.frame_alloc
    f32 = np.float32

    def run() -> None:
        for _ in range(FRAMES):
            alloc.begin_frame()
            with alloc.with_tag("ai"), alloc.with_tag("pathfinding"):  # type: ignore[union-attr]
                for _ in range(PER_FRAME):
                    fa(f32, COUNT)
            alloc.end_frame()

    return run


def _in_both(alloc: SmartAlloc) -> Callable[[], None]:
    fa = alloc.frame_alloc
    f32 = np.float32

    def run() -> None:
        for _ in range(FRAMES):
            alloc.begin_frame()
            with alloc.phase_scope("update"), alloc.with_tag("ai"), alloc.with_tag("path"):  # type: ignore[union-attr]
                for _ in range(PER_FRAME):
                    fa(f32, COUNT)
            alloc.end_frame()

    return run


def _frame_vec(alloc: SmartAlloc) -> Callable[[], None]:
    f32 = np.float32

    def run() -> None:
        for _ in range(FRAMES):
            alloc.begin_frame()
            vec = alloc.frame_vec(f32, PER_FRAME)
            push = vec.push
            for i in range(PER_FRAME):
                push(i)
            alloc.end_frame()

    return run


def _list_append() -> Callable[[], None]:
    def run() -> None:
        for _ in range(FRAMES):
            items: list[float] = []
            push = items.append
            for i in range(PER_FRAME):
                push(float(i))

    return run


def _pair(ours: Callable[[], None], base: Callable[[], None]) -> tuple[float, float]:
    """Best times of ``ours`` and ``base`` run alternately (shared load hits both alike)."""
    ours()
    base()
    best_ours = best_base = float("inf")
    for _ in range(REPEATS):
        for fn, is_ours in ((ours, True), (base, False)):
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if is_ours:
                best_ours = min(best_ours, elapsed)
            else:
                best_base = min(best_base, elapsed)
    return best_ours, best_base


def main() -> None:
    """Print the table."""
    alloc = SmartAlloc(AllocConfig())
    plain = _plain(alloc)
    cases: list[tuple[str, Callable[[], None], Callable[[], None], str, float | None]] = [
        ("frame_alloc in a phase", _in_phase(alloc), plain, "plain frame_alloc", 1.10),
        ("frame_alloc in a 2-deep tag", _in_tags(alloc), plain, "plain frame_alloc", 1.10),
        ("frame_alloc in phase + 2 tags", _in_both(alloc), plain, "plain frame_alloc", None),
        ("FrameVec.push (float32)", _frame_vec(alloc), _list_append(), "list.append", None),
    ]
    per = FRAMES * PER_FRAME
    print(f"steady-state frames: {FRAMES} frames x {PER_FRAME} calls, best of {REPEATS}")
    print(
        f"{'case':32} {'ours ns/call':>12} {'baseline':>20} {'base ns/call':>12} "
        f"{'ratio':>6} {'goal':>6}"
    )
    for name, ours_fn, base_fn, base_name, goal in cases:
        ours, base = _pair(ours_fn, base_fn)
        goal_text = f"<={goal:.2f}" if goal is not None else "-"
        print(
            f"{name:32} {ours / per * 1e9:12.1f} {base_name:>20} {base / per * 1e9:12.1f} "
            f"{ours / base:6.2f} {goal_text:>6}"
        )


if __name__ == "__main__":
    main()
