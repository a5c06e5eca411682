"""FA601 (frame escape), FA604 (retention mismatch), FA605 (DISCARD but stored)."""

from __future__ import annotations

from collections.abc import Iterator

from framealloc_lint.analysis import ModuleAnalysis
from framealloc_lint.flow import Sink
from framealloc_lint.model import Diagnostic

__all__ = ["check"]

_ESCAPES = {"self", "global", "container", "resource", "closure", "return"}
_NOTE = "frame memory is reset at end_frame(); what is kept points at memory the next frame reuses"


def _where(sink: Sink) -> str:
    if sink.kind == "self":
        return f"stored on `{sink.detail}`"
    if sink.kind == "global":
        return f"stored in global `{sink.detail}`"
    if sink.kind == "container":
        return f"stored in module-level container `{sink.detail}`"
    if sink.kind == "resource":
        return f"stored in App resource `{sink.detail}`, which outlives the frame"
    if sink.kind == "return":
        return f"returned from system `{sink.detail}`"
    return f"captured by a closure that outlives the call ({sink.detail})"


def check(analysis: ModuleAnalysis) -> Iterator[Diagnostic]:
    """Report frame values stored beyond their frame, and retention policy mismatches."""
    for flow in analysis.flows.values():
        for sink in flow.sinks:
            if sink.kind not in _ESCAPES:
                continue
            origin = sink.origin
            if origin.retained and origin.policy == "DISCARD":
                yield analysis.diagnostic(
                    "FA605", sink.node,
                    f"`{origin.method}` with DISCARD retention is {_where(sink)}",
                    "DISCARD allocations are freed at end_frame() like any frame allocation",
                )  # fmt: skip
            elif not origin.retained:
                yield analysis.diagnostic(
                    "FA601", sink.node, f"frame allocation (`{origin.method}`) escapes its "
                    f"frame: {_where(sink)}", _NOTE,
                )  # fmt: skip
    yield from _retention(analysis)


def _retention(analysis: ModuleAnalysis) -> Iterator[Diagnostic]:
    ops = {op for flow in analysis.flows.values() for op, _ in flow.frame_ops}
    uncollected = "end_frame" in ops and "end_frame_with_promotions" not in ops
    for flow in analysis.flows.values():
        for event in flow.allocs:
            call = event.call
            if call.method not in ("frame_retained", "frame_with_importance"):
                continue
            if call.explicit_policy and call.policy == "DISCARD":
                yield analysis.diagnostic(
                    "FA604", call.node,
                    f"`{call.method}` asks for retention but its policy discards the data",
                    "a DISCARD/EPHEMERAL retained allocation is a frame_alloc with bookkeeping",
                )  # fmt: skip
            elif call.policy not in (None, "DISCARD") and uncollected:
                yield analysis.diagnostic(
                    "FA604", call.node,
                    f"`{call.method}` promotes with {call.policy} but this module only calls "
                    "`end_frame()`",
                    "promoted allocations are returned by end_frame_with_promotions()",
                )  # fmt: skip
