"""FA701 (frame allocation in async def), FA702 (held across await), FA703 (given to a task)."""

from __future__ import annotations

from collections.abc import Iterator

from framealloc_lint.analysis import ModuleAnalysis
from framealloc_lint.model import Diagnostic

__all__ = ["check"]


def check(analysis: ModuleAnalysis) -> Iterator[Diagnostic]:
    """Report frame memory mixed with coroutines and tasks."""
    for fn, flow in analysis.flows.items():
        if fn is not None and fn.is_async:
            for event in flow.allocs:
                if event.call.kind in ("frame", "transfer") and not event.sync_scope:
                    yield analysis.diagnostic(
                        "FA701", event.call.node,
                        f"frame allocation (`{event.call.method}`) in coroutine `{fn.name}`",
                        "the coroutine may resume after the frame ended and its memory reset",
                    )  # fmt: skip
        for sink in flow.sinks:
            if sink.kind == "await":
                yield analysis.diagnostic(
                    "FA702", sink.node,
                    f"frame allocation `{sink.detail}` (`{sink.origin.method}`) is used across "
                    "an `await`",
                    "the frame may end while the coroutine is suspended",
                )  # fmt: skip
            elif sink.kind == "task":
                yield analysis.diagnostic(
                    "FA703", sink.node,
                    f"frame allocation (`{sink.origin.method}`) is captured by a task",
                    "a task runs later, after the frame that owns this memory may have ended",
                )  # fmt: skip
