"""FA201 (frame value to another thread), FA202/FA203 (worker hygiene), FA205 (unsynced end)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from framealloc_lint.analysis import ModuleAnalysis
from framealloc_lint.concurrency import Spawn
from framealloc_lint.model import Diagnostic
from framealloc_lint.nodes import Location
from framealloc_lint.scope import FunctionInfo, iter_local
from framealloc_lint.values import classify_alloc

__all__ = ["check"]

_VIA = {
    "thread": "via a new thread",
    "executor": "via an executor",
    "queue": "via a queue",
    "to_thread": "via asyncio.to_thread",
}


@dataclass
class _Worker:
    """What a worker does: frame allocations, any allocations, barrier signals, own frames."""

    name: str
    frame: bool = False
    allocates: bool = False
    signals: bool = False
    own_frames: bool = False

    def merge(self, other: _Worker) -> None:
        self.frame |= other.frame
        self.allocates |= other.allocates
        self.signals |= other.signals
        self.own_frames |= other.own_frames

    @property
    def shares_frame(self) -> bool:
        """Allocates frame memory in a frame it does not open itself (the coordinator's)."""
        return self.frame and not self.own_frames


class _Workers:
    """What the code a spawn runs does, following in-module calls."""

    def __init__(self, analysis: ModuleAnalysis) -> None:
        self.analysis = analysis
        self.memo: dict[FunctionInfo, _Worker] = {}

    def of_function(self, fn: FunctionInfo) -> _Worker:
        if fn in self.memo:
            return self.memo[fn]
        flow = self.analysis.flows[fn]
        kinds = {e.call.kind for e in flow.allocs}
        info = _Worker(fn.name, bool(kinds & {"frame", "transfer"}), bool(kinds),
                       flow.signals_barrier, flow.opens_frame)  # fmt: skip
        self.memo[fn] = info
        for callee, _call, _open in flow.calls:
            info.merge(self.of_function(callee))
        return info

    def of_spawn(self, spawn: Spawn, fn: FunctionInfo | None) -> _Worker | None:
        found: _Worker | None = None
        for target in spawn.targets:
            part = self._target(target, fn)
            if part is None:
                continue
            if found is None:
                found = _Worker(part.name)
            found.merge(part)
        return found

    def _target(self, target: ast.expr, fn: FunctionInfo | None) -> _Worker | None:
        scopes = self.analysis.scopes
        if isinstance(target, ast.Lambda):
            info = _Worker("<lambda>")
            for node in [target.body, *iter_local(target.body)]:
                if not isinstance(node, ast.Call):
                    continue
                alloc = classify_alloc(node, scopes, fn)
                if alloc is not None:
                    info.frame |= alloc.kind in ("frame", "transfer")
                    info.allocates = True
                if isinstance(node.func, ast.Attribute):
                    info.signals |= node.func.attr == "signal_frame_complete"
                    info.own_frames |= node.func.attr in ("begin_frame", "frame_scope")
                callee = scopes.resolve_function(node.func, fn)
                if callee is not None:
                    info.merge(self.of_function(callee))
            return info
        callee = scopes.resolve_function(target, fn)
        return self.of_function(callee) if callee is not None else None


def check(analysis: ModuleAnalysis) -> Iterator[Diagnostic]:
    """Report frame memory crossing threads and workers that ignore the frame boundary."""
    workers = _Workers(analysis)
    budgeted = any(flow.sets_thread_budget for flow in analysis.flows.values())
    coordinators: dict[FunctionInfo | None, list[ast.Call | Location]] = {}
    for fn, flow in analysis.flows.items():
        for sink in flow.sinks:
            if sink.kind == "thread":
                yield analysis.diagnostic(
                    "FA201", sink.node,
                    f"frame allocation (`{sink.origin.method}`) is handed to another thread "
                    f"({_VIA.get(sink.detail, sink.detail)}) without a TransferHandle",
                    "frame memory belongs to the allocating thread's arena and is reset at its "
                    "end_frame()",
                )  # fmt: skip
        for spawn in flow.spawns:
            worker = workers.of_spawn(spawn, fn)
            if worker is None:
                continue
            if worker.shares_frame:
                coordinators.setdefault(fn, []).append(spawn.node)
                if not worker.signals:
                    yield analysis.diagnostic(
                        "FA202", spawn.node,
                        f"worker `{worker.name}` makes frame allocations but signals no "
                        "FrameBarrier",
                        "it does not open its own frames, so it shares the frame of the "
                        "thread that ends it, which cannot tell when this worker is done",
                    )  # fmt: skip
            if worker.allocates and not budgeted:
                yield analysis.diagnostic(
                    "FA203", spawn.node,
                    f"worker `{worker.name}` allocates but no thread budget is configured",
                    "set_thread_budget_config() is never called in this module",
                )  # fmt: skip
    yield from _unsynchronised_ends(analysis, coordinators)


def _unsynchronised_ends(
    analysis: ModuleAnalysis, coordinators: dict[FunctionInfo | None, list[ast.Call | Location]]
) -> Iterator[Diagnostic]:
    """FA205 where a frame ends after workers sharing it started, with no wait in between.

    Workers started by one method of a class are long-lived: every ``end_frame`` in the
    class's other methods must be preceded by a wait in that method.
    """
    classes = {id(fn.cls): fn.cls for fn in coordinators if fn is not None and fn.cls}
    for fn, flow in analysis.flows.items():
        spawns = coordinators.get(fn, [])
        sibling = fn is not None and fn.cls is not None and id(fn.cls) in classes
        if not spawns and not sibling:
            continue
        first = min((s.lineno for s in spawns), default=0)
        for op, node in flow.frame_ops:
            line = getattr(node, "lineno", 0)
            if not op.startswith("end_frame") or line < first:
                continue
            if not any(first <= sync <= line for sync in flow.sync_lines):
                yield analysis.diagnostic(
                    "FA205", node,
                    f"`{op}()` without barrier synchronisation while workers allocate frame "
                    "memory",
                    "workers sharing this frame may still be using its memory when it resets",
                )  # fmt: skip
        for block in flow.frame_blocks:
            start, end = block.lineno, block.end_lineno or block.lineno
            inside = [s.lineno for s in spawns if start <= s.lineno <= end]
            if inside and not any(min(inside) <= sync <= end for sync in flow.sync_lines):
                yield analysis.diagnostic(
                    "FA205", block,
                    "`frame_scope()` ends while the workers it started may still allocate",
                    "the frame ends when the with-block exits; nothing waits for the workers",
                )  # fmt: skip
