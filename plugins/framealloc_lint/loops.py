"""Loop facts: is a loop hot, unbounded, a frame loop, a single pass?"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from framealloc_lint.nodes import children
from framealloc_lint.scope import Scopes, iter_local
from framealloc_lint.values import FRAME_CLOSE, FRAME_OPEN

__all__ = ["LoopInfo", "comprehension_loop", "loop_info"]

_UNBOUNDED_ITERS = {"itertools.count", "itertools.cycle"}
_FREES = {"pool_free", "heap_free"}
_HAND_OFF = {"put", "put_nowait"}


@dataclass(eq=False, slots=True)
class LoopInfo:
    """What the analyser knows about one loop.

    The loop's syntax tree is not kept (findings refer to allocation calls, not loops).

    Attributes:
        unbounded: ``while True``, ``itertools.count()``, ``iter(f, sentinel)``.
        frame_loop: The body begins/ends a frame (each iteration is its own frame).
        single_pass: The body ends every pass with ``break``/``return``/``raise``.
        small: Iterates over a short literal (``for side in (LEFT, RIGHT)``, ``range(4)``).
        frees: The body frees pool/heap memory.
        hands_off: The body hands values on (a queue's ``put``, ``yield``): what it
            allocates may be the consumer's to free.
        breaks: The body can ``break`` out (a retry or search loop).
        allocs: Allocations counted inside the loop (filled by the walker).
    """

    unbounded: bool = False
    frame_loop: bool = False
    single_pass: bool = False
    small: bool = False
    frees: bool = False
    hands_off: bool = False
    breaks: bool = False
    allocs: int = 0


def _unbounded_iter(node: ast.expr, scopes: Scopes) -> bool:
    if not isinstance(node, ast.Call):
        return False
    qual = scopes.imports.qualname(node.func)
    if qual in _UNBOUNDED_ITERS or (qual == "itertools.repeat" and len(node.args) < 2):
        return True
    is_iter = isinstance(node.func, ast.Name) and node.func.id == "iter"
    return is_iter and "iter" not in scopes.imports.names and len(node.args) == 2


def _small(node: ast.expr, limit: int) -> bool:
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return len(node.elts) <= limit and not any(isinstance(e, ast.Starred) for e in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        ints = [
            a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, int)
        ]
        if len(ints) != len(node.args) or not 1 <= len(ints) <= 2:
            return False
        span = ints[0] if len(ints) == 1 else ints[1] - ints[0]
        return span <= limit
    return False


def loop_info(node: ast.For | ast.AsyncFor | ast.While, scopes: Scopes, limit: int) -> LoopInfo:
    """Describe a ``for``/``while`` statement."""
    info = LoopInfo()
    if isinstance(node, ast.While):
        test = node.test
        info.unbounded = isinstance(test, ast.Constant) and bool(test.value)
    else:
        info.unbounded = _unbounded_iter(node.iter, scopes)
        info.small = _small(node.iter, limit)
    info.single_pass = any(isinstance(s, ast.Break | ast.Return | ast.Raise) for s in node.body)
    for stmt in node.body:
        for sub in [stmt, *iter_local(stmt)]:
            if isinstance(sub, ast.Yield | ast.YieldFrom):
                info.hands_off = True
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
                method = sub.func.attr
                info.frame_loop |= method in FRAME_OPEN or method in FRAME_CLOSE
                info.frees |= method in _FREES
                info.hands_off |= method in _HAND_OFF
    info.breaks = any(isinstance(n, ast.Break) for n in _same_loop(node.body))
    return info


def _same_loop(body: list[ast.stmt]) -> list[ast.AST]:
    """Nodes of a loop body, not descending into nested loops or scopes."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(
            node,
            ast.For
            | ast.AsyncFor
            | ast.While
            | ast.FunctionDef
            | ast.AsyncFunctionDef
            | ast.Lambda
            | ast.ClassDef,
        ):
            stack.extend(children(node))
    return out


def comprehension_loop(gen: ast.comprehension, scopes: Scopes, limit: int) -> LoopInfo:
    """Describe one ``for`` clause of a comprehension."""
    return LoopInfo(unbounded=_unbounded_iter(gen.iter, scopes), small=_small(gen.iter, limit))
