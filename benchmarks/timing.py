"""Interleaved timing: ours and its baseline measured round by round, in one process.

The machine is shared and noisy, so a row is never "ours measured now, baseline measured
later". Each round runs every case of a row once, in an order that rotates from round to
round; a row's ratio is the median of the per-round ratios (ours / baseline), and its times
are the per-round medians. A disturbance hits both sides of the round it happens in.

Rows print as one table; ``python benchmarks/<name>.py --json`` prints the rows as JSON too.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

__all__ = ["Case", "Row", "Timed", "compare", "compare_backends", "fmt", "print_table"]


@dataclass(frozen=True)
class Timed:
    """Returned by a case that times only part of its work itself: seconds per operation."""

    seconds: float


#: A case: runs its work once and returns how many operations it did (or a ``Timed``).
Case = Callable[[], "int | Timed"]


@dataclass(frozen=True)
class Row:
    """One table row: a case, its baseline, per-operation times and their ratio."""

    case: str
    baseline: str
    ours_s: float
    base_s: float
    ratio: float
    #: ``"<= x"`` / ``">= x"`` on the ratio, or ``"<= x us"`` on our time per operation.
    goal: str = ""
    #: Which allocator backend ran ``case`` ("native", "pure"), or "" when it does not apply.
    backend: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the ratio meets ``goal`` (``"<= 0.5"`` / ``">= 3"``); ``None`` without one."""
        if not self.goal:
            return None
        op, value, *unit = self.goal.split()
        # "<= 0.5 us" bounds our time per operation; "<= 0.5" bounds the ratio
        measured = self.ours_s * 1e6 if unit == ["us"] else self.ratio
        return measured <= float(value) if op == "<=" else measured >= float(value)


def _time_once(case: Case) -> float:
    start = time.perf_counter_ns()
    ops = case()
    if isinstance(ops, Timed):
        return ops.seconds
    return (time.perf_counter_ns() - start) / 1e9 / ops


def compare(
    case: str,
    ours: Case,
    baseline_name: str,
    baseline: Case,
    *,
    rounds: int = 21,
    goal: str = "",
    invert: bool = False,
    backend: str = "",
) -> Row:
    """Time ``ours`` against ``baseline``, interleaved for ``rounds`` rounds.

    Args:
        case: What ``ours`` measures.
        ours: Our side (returns its operation count).
        baseline_name: What ``baseline`` measures.
        baseline: The other side.
        rounds: Rounds (each runs both sides once, alternating which goes first).
        goal: ``"<= x"`` or ``">= x"`` on the ratio, shown in the table.
        invert: Report baseline / ours (a speedup) instead of ours / baseline.
        backend: The allocator backend ``ours`` ran on (shown in the table).
    """
    ours()  # warm up both sides (caches, page faults, lazily created state)
    baseline()
    ours_times: list[float] = []
    base_times: list[float] = []
    ratios: list[float] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection in one half of a round would land on one side only
    try:
        for index in range(rounds):
            if index % 2:
                b = _time_once(baseline)
                o = _time_once(ours)
            else:
                o = _time_once(ours)
                b = _time_once(baseline)
            ours_times.append(o)
            base_times.append(b)
            ratios.append(b / o if invert else o / b)
            gc.collect()
    finally:
        if gc_was_enabled:
            gc.enable()
    return Row(
        case,
        baseline_name,
        statistics.median(ours_times),
        statistics.median(base_times),
        statistics.median(ratios),
        goal,
        backend,
    )


def compare_backends(
    case: str,
    ours: dict[str, Case],
    baseline_name: str,
    baseline: Case,
    *,
    rounds: int = 21,
    goal: str = "",
) -> list[Row]:
    """Time each backend's ``ours[backend]`` and ``baseline`` in the same rounds (the order
    rotates from round to round); one row per backend, its ratio the median of its per-round
    ratios against the baseline timed in that round.
    """
    cases = [*ours.items(), ("", baseline)]
    for _, run in cases:
        run()  # warm up every side
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    ratios: dict[str, list[float]] = {name: [] for name in ours}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for index in range(rounds):
            shift = index % len(cases)
            order = cases[shift:] + cases[:shift]
            measured = {name: _time_once(run) for name, run in order}
            for name, seconds in measured.items():
                times[name].append(seconds)
            for name in ours:
                ratios[name].append(measured[name] / measured[""])
            gc.collect()
    finally:
        if gc_was_enabled:
            gc.enable()
    base = statistics.median(times[""])
    return [
        Row(case, baseline_name, statistics.median(times[name]), base,
            statistics.median(ratios[name]), goal if name == "native" else "", name)
        for name in ours
    ]  # fmt: skip


def fmt(seconds: float) -> str:
    """A duration with a readable unit."""
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e9:.0f} ns"


def print_table(title: str, rows: list[Row], note: str = "") -> None:
    """Print ``rows`` as one table (and as JSON after it with ``--json``)."""
    width = max(46, *(len(r.case) for r in rows))
    bwidth = max(24, *(len(r.baseline) for r in rows))
    print(title)
    header = f"{'case':{width}} {'backend':7} {'baseline':{bwidth}} {'ours':>10} {'baseline':>10}"
    print(f"{header} {'ratio':>7}  goal")
    print("-" * (width + bwidth + 48))
    for r in rows:
        mark = {None: "", True: "met", False: "MISSED"}[r.met]
        print(
            f"{r.case:{width}} {r.backend:7} {r.baseline:{bwidth}} {fmt(r.ours_s):>10} "
            f"{fmt(r.base_s):>10} {r.ratio:>6.2f}x  {r.goal} {mark}".rstrip()
        )
    if note:
        print(note)
    if "--json" in sys.argv:
        print(json.dumps([asdict(r) for r in rows], indent=1))
