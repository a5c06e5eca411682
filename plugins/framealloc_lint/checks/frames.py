"""FA603: frame allocation in code that runs in no frame."""

from __future__ import annotations

from collections.abc import Iterator

from framealloc_lint.analysis import ModuleAnalysis
from framealloc_lint.model import Diagnostic
from framealloc_lint.scope import IMPORTED, INJECTED, OWNED, FunctionInfo

__all__ = ["check"]


class _FrameContext:
    """Decides whether a function runs inside a frame (memoised, cycle-safe).

    A function runs in a frame when it takes an ``AllocResource``, is a system of an App that
    has (or may have) ``SmartAllocPlugin``, is called from code we cannot see (decorated, used
    as a callback), or is called from a frame. A call site is in a frame when a frame is open
    there (the caller began one, or is inside ``frame_scope``), or when the caller neither
    drives frames itself nor built its allocator, and is itself in a frame.
    """

    def __init__(self, analysis: ModuleAnalysis) -> None:
        self.analysis = analysis
        self.memo: dict[tuple[FunctionInfo, bool], bool] = {}
        flows = analysis.flows
        self.module_opens = any(flow.opens_frame for flow in flows.values()) or any(
            f.alloc_param for f in analysis.scopes.functions
        ) or any(status is not False for status in analysis.systems.values())  # fmt: skip

    def drives_frames(self, fn: FunctionInfo | None) -> bool:
        """Whether ``fn`` begins frames itself (a game loop, a ``frame_scope`` block)."""
        return fn is not None and self.analysis.flows[fn].opens_frame

    def in_frame(self, fn: FunctionInfo, imported: bool = False) -> bool:
        """Whether ``fn`` runs in a frame.

        Args:
            fn: The function.
            imported: The allocator comes from another module, so a function nobody in this
                module calls is assumed to be called in that module's frames.
        """
        key = (fn, imported)
        if key not in self.memo:
            self.memo[key] = True  # optimistic while recursing: cycles do not flag
            self.memo[key] = self._decide(fn, imported)
        return self.memo[key]

    def _called_from_code_we_cannot_see(self, fn: FunctionInfo) -> bool:
        analysis = self.analysis
        status = analysis.systems.get(fn, "not a system")
        return (fn.alloc_param or status is True or status is None or fn.decorated
                or fn in analysis.referenced)  # fmt: skip

    def _decide(self, fn: FunctionInfo, imported: bool) -> bool:
        analysis = self.analysis
        if self._called_from_code_we_cannot_see(fn):
            return True
        sites = analysis.callers.get(fn, [])
        if sites:
            return any(
                frame_open
                or (caller is not None and not caller.constructs
                    and not self.drives_frames(caller) and self.in_frame(caller, imported))
                for caller, frame_open in sites
            )  # fmt: skip
        if self.drives_frames(fn):
            return False  # an entry point (a game loop nobody here calls) is in no frame
        if imported:
            return True  # the module owning the allocator calls it, presumably in a frame
        if analysis.systems.get(fn) is False:
            return False
        return self.module_opens

    def only_called_outside(self, fn: FunctionInfo) -> bool:
        """Whether every in-module call of ``fn`` comes from where frames are managed (the
        allocator's builder, a frame driver, module-level code) while no frame is open."""
        if self._called_from_code_we_cannot_see(fn):
            return False
        sites = self.analysis.callers.get(fn, [])
        return bool(sites) and all(
            not frame_open
            and (caller is None or bool(caller.constructs) or self.drives_frames(caller))
            for caller, frame_open in sites
        )


def check(analysis: ModuleAnalysis) -> Iterator[Diagnostic]:
    """Report frame allocations outside any frame.

    The allocator must be one this module can reason about: built here, imported from
    another module of the project, or a parameter that every in-module caller passes while
    no frame is open (a setup helper called before the game loop).
    """
    context = _FrameContext(analysis)
    for fn, flow in analysis.flows.items():
        for event in flow.allocs:
            call = event.call
            if call.kind not in ("frame", "transfer"):
                continue
            if call.provenance in (OWNED, IMPORTED):
                imported = call.provenance == IMPORTED
                if fn is None or (call.ref is not None and call.ref in fn.constructs):
                    outside = not event.frame_open
                elif context.drives_frames(fn):
                    outside = not event.frame_open and not context.in_frame(fn, imported)
                else:
                    outside = not context.in_frame(fn, imported)
            elif call.provenance == INJECTED and fn is not None and call.ref in fn.params:
                outside = not event.frame_open and context.only_called_outside(fn)
            else:
                continue
            if outside:
                where = "module-level code" if fn is None else f"`{fn.qualname}`"
                yield analysis.diagnostic(
                    "FA603", call.node,
                    f"frame allocation (`{call.method}`) in {where}, which runs in no frame",
                    "no begin_frame()/frame_scope() precedes it and it is not a system of an "
                    "App with SmartAllocPlugin",
                )  # fmt: skip
