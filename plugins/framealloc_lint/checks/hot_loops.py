"""FA602 (allocation in a hot loop) and FA606 (allocation in an unbounded loop)."""

from __future__ import annotations

from collections.abc import Iterator

from framealloc_lint.analysis import ModuleAnalysis
from framealloc_lint.model import Diagnostic

__all__ = ["check"]


def check(analysis: ModuleAnalysis) -> Iterator[Diagnostic]:
    """Report allocations repeated by loops within one frame."""
    limit = analysis.config.loop_allocation_limit
    for flow in analysis.flows.values():
        for event in flow.allocs:
            call = event.call
            unbounded = [
                loop
                for loop in event.loops
                if loop.unbounded
                and not (call.kind in ("pool", "heap") and (loop.frees or loop.hands_off))
            ]
            # "Allocate once for all iterations" (FA602) needs an iteration count: a loop with
            # no bound runs over time, not over a batch (FA606 says when it grows forever).
            hot = [
                loop
                for loop in event.loops
                if not loop.single_pass
                and not loop.small
                and not loop.unbounded
                and loop.allocs > limit
                and not (call.method == "try_frame_alloc" and loop.breaks)
            ]
            if hot:
                yield analysis.diagnostic(
                    "FA602", call.node,
                    f"`{call.method}` is called on every iteration of a loop",
                    f"{call.kind} allocations repeated per iteration cost a call each and "
                    "fragment the frame; one allocation sized for all iterations does the same",
                )  # fmt: skip
            if unbounded:
                yield analysis.diagnostic(
                    "FA606", call.node,
                    f"`{call.method}` in a loop with no bound and no frame per iteration",
                    "nothing resets this memory while the loop runs; it grows until a budget "
                    "or the arena runs out",
                )  # fmt: skip
