"""Cost of the v0.6 observability features: lifecycle tracking and budgets on vs off.

Run: ``python -m benchmarks.tracking`` (or ``python benchmarks/tracking.py``). Prints one
table; ``ratio`` is the feature-on time over the plain (feature-off) time of the same
operation, measured in one process, best of several repeats.
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from framealloc_engine import AllocConfig, SmartAlloc  # noqa: E402

ALLOCS_PER_FRAME = 100
REPEAT = 7


def _frame_loop(alloc: SmartAlloc) -> Callable[[], None]:
    f32 = np.float32
    begin, end = alloc.begin_frame, alloc.end_frame

    def run() -> None:
        begin()
        for _ in range(ALLOCS_PER_FRAME):
            alloc.frame_alloc(f32, 16)
        end()

    return run


def _pool_pair(alloc: SmartAlloc) -> Callable[[], None]:
    f32 = np.float32

    def run() -> None:
        alloc.pool_free(alloc.pool_alloc(f32, 4))

    return run


def _time(fn: Callable[[], None], number: int) -> float:
    fn()
    return min(timeit.repeat(fn, number=number, repeat=REPEAT)) / number


def _variants() -> list[tuple[str, SmartAlloc]]:
    plain = SmartAlloc(AllocConfig())
    tracked = SmartAlloc(AllocConfig())
    tracked.enable_lifecycle_tracking()
    tracked_cb = SmartAlloc(AllocConfig())
    tracked_cb.enable_lifecycle_tracking()
    tracked_cb.on_frame_event(lambda event: None)
    budgets = SmartAlloc(AllocConfig().with_budgets(True))
    budgets.budgets().register_tag("bench", 0, 1 << 30)
    return [
        ("off", plain),
        ("lifecycle on", tracked),
        ("lifecycle on + callback", tracked_cb),
        ("budgets on", budgets),
    ]


def main() -> None:
    variants = _variants()
    rows: list[tuple[str, str, float, float]] = []
    for op, make, number, per in (
        ("frame_alloc (100/frame)", _frame_loop, 300, ALLOCS_PER_FRAME),
        ("pool alloc+free", _pool_pair, 30000, 1),
    ):
        base = 0.0
        for name, alloc in variants:
            t = _time(make(alloc), number) / per
            if name == "off":
                base = t
            rows.append((op, name, t * 1e9, t / base))
    print(f"{'operation':<26}{'variant':<26}{'ns/op':>10}{'ratio':>8}")
    for op, name, ns, ratio in rows:
        print(f"{op:<26}{name:<26}{ns:>10.0f}{ratio:>8.2f}")


if __name__ == "__main__":
    main()
