"""The checks, one module per family, in the order they run (cheapest first)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from framealloc_lint.analysis import ModuleAnalysis
from framealloc_lint.checks import aio, escape, frames, hot_loops, tags, threads
from framealloc_lint.model import Diagnostic

__all__ = ["CHECKS", "Check"]


@dataclass(frozen=True)
class Check:
    """One family of rules.

    Attributes:
        name: Family name.
        codes: Codes the family reports.
        cost: Relative cost; lower runs first so ``--fail-fast`` stops early.
        run: Produces the family's diagnostics for one module.
    """

    name: str
    codes: frozenset[str]
    cost: int
    run: Callable[[ModuleAnalysis], Iterable[Diagnostic]]


CHECKS: tuple[Check, ...] = tuple(
    sorted(
        (
            Check("tags", frozenset({"FA801", "FA802", "FA803"}), 1, tags.check),
            Check("async", frozenset({"FA701", "FA702", "FA703"}), 2, aio.check),
            Check("loops", frozenset({"FA602", "FA606"}), 3, hot_loops.check),
            Check("escape", frozenset({"FA601", "FA604", "FA605"}), 4, escape.check),
            Check("frames", frozenset({"FA603"}), 5, frames.check),
            Check("threads", frozenset({"FA201", "FA202", "FA203", "FA205"}), 6, threads.check),
        ),
        key=lambda c: c.cost,
    )
)
