"""One ordered walk over a function body: allocations, frame values and where they go.

The walk is flow-sensitive in statement order (re-binding a name to a copy clears it) and
approximate across branches (both arms are walked in turn). It records facts; the checks decide.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from framealloc_lint.concurrency import (
    Spawn,
    is_registration,
    is_sync_call,
    spawn_of,
    task_args,
)
from framealloc_lint.loops import LoopInfo, comprehension_loop, loop_info
from framealloc_lint.nodes import Location, children, location, walk
from framealloc_lint.scope import EXECUTOR, FunctionInfo, Scopes, iter_local
from framealloc_lint.values import (
    FRAME_CLOSE,
    FRAME_OPEN,
    AllocCall,
    Origin,
    classify_alloc,
)

__all__ = ["AllocEvent", "FlowResult", "FlowWalker", "Sink", "copies_into"]

_VIEW_METHODS = {"view", "reshape", "ravel", "transpose", "squeeze", "swapaxes", "astype_view"}
_VIEW_ATTRS = {"T", "real", "imag", "flat", "mT"}
_MUTATORS = {
    "append", "extend", "insert", "add", "update", "setdefault", "appendleft", "extendleft",
    "__setitem__",
}  # fmt: skip
_ASYNC_POINTS = (ast.Await, ast.AsyncFor, ast.AsyncWith)


@dataclass(slots=True)
class AllocEvent:
    """An allocation call and the context it happens in (the call kept as a location)."""

    call: AllocCall
    loops: list[LoopInfo]
    frame_open: bool
    sync_scope: bool


@dataclass(slots=True)
class Sink:
    """A frame value reaching a place that outlives the frame (or another thread).

    ``kind`` is one of ``self``, ``global``, ``container``, ``resource``, ``closure``,
    ``return``, ``thread``, ``task``, ``await``.
    """

    kind: str
    node: Location
    origin: Origin
    detail: str


@dataclass(slots=True)
class FlowResult:
    """Facts from one function (``fn``) or from module-level code (``fn`` is None)."""

    fn: FunctionInfo | None
    allocs: list[AllocEvent] = field(default_factory=list)
    sinks: list[Sink] = field(default_factory=list)
    frame_ops: list[tuple[str, Location]] = field(default_factory=list)
    calls: list[tuple[FunctionInfo, int, bool]] = field(default_factory=list)
    refs: set[FunctionInfo] = field(default_factory=set)
    spawns: list[Spawn] = field(default_factory=list)
    sync_lines: list[int] = field(default_factory=list)
    tags: list[tuple[Location, str | None]] = field(default_factory=list)
    frame_blocks: list[Location] = field(default_factory=list)
    returns_frame: bool = False
    signals_barrier: bool = False
    sets_thread_budget: bool = False

    @property
    def opens_frame(self) -> bool:
        """Whether this code begins a frame (``begin_frame()`` or ``frame_scope()``)."""
        return any(op in FRAME_OPEN for op, _ in self.frame_ops)


class FlowWalker:
    """Walks one body and fills a :class:`FlowResult`.

    Args:
        scopes: The module's scopes.
        fn: The function walked (None for module-level code).
        systems: Functions known to be systems.
        frame_returning: Functions known to return frame memory.
        small_loop: Literal loops up to this many iterations are not hot.
    """

    def __init__(
        self,
        scopes: Scopes,
        fn: FunctionInfo | None,
        systems: set[FunctionInfo],
        frame_returning: set[FunctionInfo],
        small_loop: int,
    ) -> None:
        self.scopes = scopes
        self.fn = fn
        self.systems = systems
        self.frame_returning = frame_returning
        self.small_loop = small_loop
        self.out = FlowResult(fn)
        self.values: dict[str, Origin] = {}
        self.held: set[str] = set()
        self.stack: list[LoopInfo | None] = []  # None marks a frame boundary
        self.sync_scopes: list[bool] = []
        self.begun = False
        self._sink_keys: set[tuple[str, int]] = set()

    def run(self, body: list[ast.stmt]) -> FlowResult:
        """Walk ``body`` (more of it may follow: module-level code comes chunk by chunk)."""
        self._stmts(body)
        return self.out

    # -- statements ----------------------------------------------------------------------
    def _stmts(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self._stmt(stmt)

    def _stmt(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self._exprs(stmt.decorator_list)
            self._bind_name(stmt.name, self._captures(stmt, stmt.name))
        elif isinstance(stmt, ast.ClassDef):
            self._exprs([*stmt.decorator_list, *stmt.bases])
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            self._exprs([stmt.value] if stmt.value else [])
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                self._exprs(_target_loads(target))
                self._assign(target, stmt.value, augmented=isinstance(stmt, ast.AugAssign))
        elif isinstance(stmt, ast.Return):
            self._exprs([stmt.value] if stmt.value else [])
            if stmt.value is not None:
                self._return(stmt.value)
        elif isinstance(stmt, ast.If | ast.While):
            self._exprs([stmt.test])
            if isinstance(stmt, ast.While):
                self._loop(stmt, stmt.body)
            else:
                self._stmts(stmt.body)
            self._stmts(stmt.orelse)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            self._exprs([stmt.iter], async_point=isinstance(stmt, ast.AsyncFor))
            self._assign(stmt.target, None)
            self._loop(stmt, stmt.body)
            self._stmts(stmt.orelse)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            self._with(stmt)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            self._stmts(stmt.body)
            for handler in stmt.handlers:
                self._stmts(handler.body)
            self._stmts(stmt.orelse)
            self._stmts(stmt.finalbody)
        elif isinstance(stmt, ast.Match):
            self._exprs([stmt.subject])
            for case in stmt.cases:
                self._stmts(case.body)
        else:
            self._exprs([n for n in children(stmt) if isinstance(n, ast.expr)])

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While, body: list[ast.stmt]) -> None:
        info = loop_info(node, self.scopes, self.small_loop)
        self.stack.append(None if info.frame_loop else info)
        self._stmts(body)
        self.stack.pop()

    def _with(self, stmt: ast.With | ast.AsyncWith) -> None:
        pushed = 0
        for item in stmt.items:
            self._exprs([item.context_expr], async_point=isinstance(stmt, ast.AsyncWith))
            ctx = item.context_expr
            if _method(ctx) == "frame_scope" and isinstance(ctx, ast.Call):
                self.stack.append(None)
                has_await = any(isinstance(n, _ASYNC_POINTS) for b in stmt.body for n in _walk(b))
                self.sync_scopes.append(not has_await)
                if self.scopes.is_alloc(ctx.func.value, self.fn):  # type: ignore[attr-defined]
                    self.out.frame_blocks.append(location(stmt))
                pushed += 1
            elif self.scopes.kind_of(ctx, self.fn) == EXECUTOR:
                self.out.sync_lines.append(stmt.end_lineno or stmt.lineno)
            if item.optional_vars is not None:
                self._assign(item.optional_vars, None)
        self._stmts(stmt.body)
        for _ in range(pushed):
            self.stack.pop()
            self.sync_scopes.pop()

    # -- bindings and sinks ----------------------------------------------------------------
    def _bind_name(self, name: str, origin: Origin | None) -> None:
        self.held.discard(name)
        if origin is None:
            self.values.pop(name, None)
        else:
            self.values[name] = origin

    def _assign(self, target: ast.expr, value: ast.expr | None, augmented: bool = False) -> None:
        if augmented:
            # ``x += tmp`` adds the data in place (or builds a new object); only a container
            # display (``items += [tmp]``) keeps a reference to the frame value itself.
            origin = _contained(value, self.origin)
        else:
            origin = self.origin(value) if value is not None else None
        if isinstance(target, ast.Tuple | ast.List):
            pairs = value.elts if isinstance(value, ast.Tuple | ast.List) else []
            for i, elt in enumerate(target.elts):
                self._assign(elt, pairs[i] if len(pairs) == len(target.elts) else None)
            return
        if isinstance(target, ast.Starred):
            self._assign(target.value, None)
            return
        if isinstance(target, ast.Name):
            if self.fn is not None and target.id in self.fn.global_decls:
                if origin is not None:
                    self._sink("global", target, origin, target.id)
            elif not augmented:
                self._bind_name(target.id, origin)
            return
        if origin is not None and not copies_into(target):
            self._store_sink(target, origin, target)

    def _store_sink(self, target: ast.expr, origin: Origin, at: ast.AST) -> None:
        """``self.x = v``, ``self.x[k] = v``, ``CACHE[k] = v``, ``STATE.x = v``, ``L.append(v)``."""
        base = target
        while isinstance(base, ast.Subscript | ast.Attribute):
            attr = self.scopes.self_attr(base, self.fn)
            if attr is not None:
                self._sink("self", at, origin, f"self.{attr}")
                return
            base = base.value
        if isinstance(base, ast.Name) and self._is_module_var(base.id):
            kind = "global" if isinstance(target, ast.Attribute) else "container"
            self._sink(kind, at, origin, base.id)
        elif isinstance(base, ast.Name) and self._is_resource(base.id):
            self._sink("resource", at, origin, base.id)

    def _is_resource(self, name: str) -> bool:
        """Whether ``name`` is an App resource parameter (``Res``/``ResMut``/``Local``):
        resources live as long as the App, across every frame."""
        scope = self.fn
        while scope is not None:
            if name in scope.locals:
                return name in scope.resource_params
            scope = scope.parent
        return False

    def _is_module_var(self, name: str) -> bool:
        if name not in self.scopes.module_vars:
            return False
        scope = self.fn
        while scope is not None:
            if name in scope.locals and name not in scope.global_decls:
                return False
            scope = scope.parent
        return self.fn is not None

    def _return(self, value: ast.expr) -> None:
        origin = self.origin(value)
        if origin is None:
            return
        if origin.closure is not None:
            self._sink("closure", value, origin, f"closure `{origin.closure}` is returned")
            return
        self.out.returns_frame = True
        if self.fn is not None and self.fn in self.systems:
            self._sink("return", value, origin, self.fn.name)

    def _sink(self, kind: str, node: ast.AST, origin: Origin, detail: str) -> None:
        key = (kind, id(node))
        if key not in self._sink_keys:
            self._sink_keys.add(key)
            kept = replace(origin, node=location(origin.node))
            self.out.sinks.append(Sink(kind, location(node), kept, detail))

    # -- frame values --------------------------------------------------------------------
    def origin(self, expr: ast.expr | None) -> Origin | None:
        """The frame allocation ``expr`` evaluates to (or holds), if any.

        Sub-expressions are tried in source order with an explicit stack, so a chain of
        thousands of slices or conditionals does not exhaust Python's recursion limit.
        """
        stack = [expr] if expr is not None else []
        while stack:
            found, more = self._origin_step(stack.pop())
            if found is not None:
                return found
            stack.extend(reversed(more))
        return None

    def _origin_step(self, expr: ast.expr) -> tuple[Origin | None, list[ast.expr]]:
        """The origin ``expr`` has by itself, or the sub-expressions that may carry one."""
        if isinstance(expr, ast.Name):
            return self.values.get(expr.id), []
        if isinstance(expr, ast.Call):
            alloc = classify_alloc(expr, self.scopes, self.fn)
            if alloc is not None:
                return (alloc.origin() if alloc.kind == "frame" else None), []
            callee = self.scopes.resolve_function(expr.func, self.fn)
            if callee is not None and callee in self.frame_returning:
                return Origin(expr, f"{callee.name}()"), []
            if isinstance(expr.func, ast.Attribute) and expr.func.attr in _VIEW_METHODS:
                return None, [expr.func.value]
            return None, []
        if isinstance(expr, ast.Attribute):
            return None, [expr.value] if expr.attr in _VIEW_ATTRS else []
        if isinstance(expr, ast.Subscript):
            parts = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else [expr.slice]
            if any(isinstance(p, ast.Slice) or _is_ellipsis(p) for p in parts):
                return None, [expr.value]
            return None, []
        if isinstance(expr, ast.Tuple | ast.List | ast.Set):
            return None, list(expr.elts)
        if isinstance(expr, ast.Dict):
            return None, [v for v in expr.values if v is not None]
        if isinstance(expr, ast.Starred | ast.NamedExpr):
            return None, [expr.value]
        if isinstance(expr, ast.IfExp):
            return None, [expr.body, expr.orelse]
        if isinstance(expr, ast.BoolOp):
            return None, list(expr.values)
        if isinstance(expr, ast.Lambda):
            return self._captures(expr, "<lambda>"), []
        return None, []

    def _captures(self, node: ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef,
                  name: str) -> Origin | None:  # fmt: skip
        if not self.values:
            return None
        bound = {a.arg for a in walk(node.args) if isinstance(a, ast.arg)}
        for sub in walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                found = self.values.get(sub.id)
                if found is not None and sub.id not in bound:
                    return found.captured_by(name)
        return None

    # -- expressions ---------------------------------------------------------------------
    def _exprs(self, exprs: list[ast.expr], async_point: bool = False) -> None:
        if self.fn is not None and self.fn.is_async:
            self._await_uses(exprs)
        for expr in exprs:
            self._expr(expr, [])
        if self.fn is None or not self.fn.is_async:
            return  # ``await`` only exists in coroutines
        if async_point or any(isinstance(n, ast.Await) for e in exprs for n in _walk(e)):
            self.held |= set(self.values)

    def _await_uses(self, exprs: list[ast.expr]) -> None:
        for expr in exprs:
            awaited = {id(n) for a in _walk(expr) if isinstance(a, ast.Await) for n in _walk(a)}
            for node in _walk(expr):
                if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
                    continue
                origin = self.values.get(node.id)
                if origin is not None and (node.id in self.held or id(node) in awaited):
                    self._sink("await", node, origin, node.id)

    def _expr(self, root: ast.AST, comps: list[LoopInfo]) -> None:
        """Visit an expression bottom-up, in evaluation order, with an explicit stack.

        ``comps`` are the comprehension loops the expression sits in. A call's callee is
        visited without counting ``self.method`` itself as a reference; lambdas are skipped
        (their bodies run later, elsewhere).
        """
        stack: list[tuple[ast.AST, list[LoopInfo], bool]] = [(root, comps, False)]
        while stack:
            node, loops, visited = stack.pop()
            if visited:
                self._after(node, loops)
                continue
            if isinstance(node, ast.Lambda):
                continue
            if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
                order: list[tuple[ast.AST, list[LoopInfo]]] = []
                inner = list(loops)
                for gen in node.generators:
                    order.append((gen.iter, inner))
                    inner = [*inner, comprehension_loop(gen, self.scopes, self.small_loop)]
                    order.extend((cond, inner) for cond in gen.ifs)
                elts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
                order.extend((elt, inner) for elt in elts)
                stack.extend((sub, ctx, False) for sub, ctx in reversed(order))
                continue
            stack.append((node, loops, True))
            kids: list[ast.AST] = []
            for child in children(node):
                if isinstance(node, ast.Call) and child is node.func:
                    if isinstance(child, ast.Attribute):
                        kids.append(child.value)
                    elif not isinstance(child, ast.Name):
                        kids.append(child)
                    continue
                kids.append(child)
            stack.extend((child, loops, False) for child in reversed(kids))

    def _after(self, node: ast.AST, comps: list[LoopInfo]) -> None:
        """What an expression node does once its operands were visited."""
        if isinstance(node, ast.Call):
            self._call(node, comps)
        elif isinstance(node, ast.NamedExpr):
            self._bind_name(node.target.id, self.origin(node.value))
        elif isinstance(node, ast.Name | ast.Attribute) and isinstance(node.ctx, ast.Load):
            self._reference(node)

    def _reference(self, node: ast.expr) -> None:
        target = self.scopes.resolve_function(node, self.fn)
        if target is not None:
            self.out.refs.add(target)

    def _call(self, call: ast.Call, comps: list[LoopInfo]) -> None:
        method = _method(call)
        alloc = classify_alloc(call, self.scopes, self.fn)
        frame_open = self.begun or None in self.stack
        if alloc is not None:
            loops = self._relevant_loops() + comps
            for loop in loops:
                loop.allocs += 1
            sync = bool(self.sync_scopes) and self.sync_scopes[-1]
            kept = replace(alloc, node=location(call))
            self.out.allocs.append(AllocEvent(kept, loops, frame_open, sync))
        elif method and isinstance(call.func, ast.Attribute):
            receiver_is_alloc = self.scopes.is_alloc(call.func.value, self.fn)
            if receiver_is_alloc and (method in FRAME_OPEN or method in FRAME_CLOSE):
                self.out.frame_ops.append((method, location(call)))
                self.begun = self.begun or method == "begin_frame"
            if receiver_is_alloc and method == "with_tag":
                value = self.scopes.imports.tag_value(call.args[0]) if call.args else None
                self.out.tags.append((location(call), value))
            self.out.signals_barrier |= method == "signal_frame_complete"
            self.out.sets_thread_budget |= method == "set_thread_budget_config"
        callee = self.scopes.resolve_function(call.func, self.fn)
        if callee is not None:
            self.out.calls.append((callee, call.lineno, frame_open))
        if is_sync_call(call, self.scopes):
            self.out.sync_lines.append(call.lineno)
        self._call_sinks(call, method)

    def _call_sinks(self, call: ast.Call, method: str | None) -> None:
        spawn = spawn_of(call, self.scopes, self.fn)
        if spawn is not None:
            for value in [*spawn.payload, *spawn.targets]:
                found = self.origin(value)
                if found is not None:
                    self._sink("thread", value, found, spawn.kind)
            # Kept: where it is and what runs (the payload was checked above).
            self.out.spawns.append(Spawn(location(call), spawn.kind, spawn.targets))
        tasks = task_args(call, self.scopes)
        for arg in tasks or []:
            inner: list[ast.expr] = []
            if isinstance(arg, ast.Call):
                inner = [*arg.args, *(k.value for k in arg.keywords)]
            found = _first(self.origin(v) for v in [arg, *inner])
            if found is not None:
                self._sink("task", arg, found, "task")
        args = [*call.args, *(k.value for k in call.keywords)]
        if is_registration(call, self.scopes):
            for arg in args:
                found = self.origin(arg)
                if found is not None and found.closure is not None:
                    self._sink("closure", arg, found, f"closure `{found.closure}` is registered")
        if method in _MUTATORS and isinstance(call.func, ast.Attribute):
            for arg in args:
                found = self.origin(arg)
                if found is not None:
                    self._store_sink(call.func.value, found, call)

    def _relevant_loops(self) -> list[LoopInfo]:
        loops: list[LoopInfo] = []
        for entry in self.stack:
            if entry is None:
                loops = []
            else:
                loops.append(entry)
        return loops


def _walk(node: ast.AST) -> list[ast.AST]:
    """Nodes under ``node`` in the same scope, ``node`` included."""
    return [node, *iter_local(node)]


def _method(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def copies_into(target: ast.expr) -> bool:
    """Whether assigning to ``target`` copies the value's elements instead of keeping it.

    ``a[:] = v``, ``a[...] = v`` and ``a[1, :] = v`` write ``v``'s data into ``a``'s storage
    (numpy arrays and lists alike); ``a[k] = v`` may keep ``v`` itself (a dict), so it does not
    count as a copy.
    """
    if not isinstance(target, ast.Subscript):
        return False
    parts = target.slice.elts if isinstance(target.slice, ast.Tuple) else [target.slice]
    return any(isinstance(p, ast.Slice) or _is_ellipsis(p) for p in parts)


def _contained(
    value: ast.expr | None, origin: Callable[[ast.expr], Origin | None]
) -> Origin | None:
    """The frame value a container display (``[tmp]``, ``{"k": tmp}``) holds, if any."""
    if isinstance(value, ast.List | ast.Tuple | ast.Set):
        return _first(origin(e) for e in value.elts)
    if isinstance(value, ast.Dict):
        return _first(origin(v) for v in value.values)
    return None


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _first(items: Iterable[Origin | None]) -> Origin | None:
    for item in items:
        if item is not None:
            return item
    return None


def _target_loads(target: ast.expr) -> list[ast.expr]:
    """Sub-expressions evaluated when assigning to ``target`` (``a[i]`` evaluates ``a``, ``i``)."""
    if isinstance(target, ast.Subscript):
        return [target.value, target.slice]
    if isinstance(target, ast.Attribute):
        return [target.value]
    return []
