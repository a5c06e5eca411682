"""FA603: frame allocation in code that runs in no frame."""

from __future__ import annotations

from collections.abc import Iterator

from framealloc_lint.analysis import ModuleAnalysis
from framealloc_lint.model import Diagnostic
from framealloc_lint.scope import OWNED, FunctionInfo

__all__ = ["check"]


class _FrameContext:
    """Decides whether a function runs inside a frame (memoised, cycle-safe)."""

    def __init__(self, analysis: ModuleAnalysis) -> None:
        self.analysis = analysis
        self.memo: dict[FunctionInfo, bool] = {}
        flows = analysis.flows
        self.module_opens = any(flow.opens_frame for flow in flows.values()) or any(
            f.alloc_param for f in analysis.scopes.functions
        ) or any(status is not False for status in analysis.systems.values())  # fmt: skip

    def in_frame(self, fn: FunctionInfo) -> bool:
        if fn not in self.memo:
            self.memo[fn] = True  # optimistic while recursing: cycles do not flag
            self.memo[fn] = self._decide(fn)
        return self.memo[fn]

    def _decide(self, fn: FunctionInfo) -> bool:
        analysis = self.analysis
        status = analysis.systems.get(fn, "not a system")
        if fn.alloc_param or status is True or status is None:
            return True
        if analysis.flows[fn].opens_frame:
            return True
        if fn.node.decorator_list or fn in analysis.referenced:
            return True  # called from code we cannot see
        # A caller that just built its allocator is in a frame only where it opened one.
        sites = analysis.callers.get(fn, [])
        if sites:
            return any(
                frame_open
                or (caller is not None and not caller.constructs and self.in_frame(caller))
                for caller, frame_open in sites
            )
        if status is False:
            return False
        return self.module_opens


def check(analysis: ModuleAnalysis) -> Iterator[Diagnostic]:
    """Report frame allocations on this module's own allocators outside any frame."""
    context = _FrameContext(analysis)
    for fn, flow in analysis.flows.items():
        for event in flow.allocs:
            call = event.call
            if call.kind not in ("frame", "transfer") or call.provenance != OWNED:
                continue
            if fn is None or (call.ref is not None and call.ref in fn.constructs):
                outside = not event.frame_open
            else:
                outside = not context.in_frame(fn)
            if outside:
                where = "module-level code" if fn is None else f"`{fn.qualname}`"
                yield analysis.diagnostic(
                    "FA603", call.node,
                    f"frame allocation (`{call.method}`) in {where}, which runs in no frame",
                    "no begin_frame()/frame_scope() precedes it and it is not a system of an "
                    "App with SmartAllocPlugin",
                )  # fmt: skip
