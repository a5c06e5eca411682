"""Recognising hand-overs to other threads and tasks, and the calls that wait for them."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from framealloc_lint.nodes import Location
from framealloc_lint.scope import EXECUTOR, QUEUE, FunctionInfo, Scopes

__all__ = ["REGISTER_METHODS", "Spawn", "is_registration", "is_sync_call", "spawn_of", "task_args"]

_THREADS = {"threading.Thread", "multiprocessing.Process", "multiprocessing.context.Process"}
_EXECUTOR_METHODS = {
    "submit", "map", "apply_async", "apply", "starmap", "map_async", "imap",
    "imap_unordered", "starmap_async",
}  # fmt: skip
_NOT_PAYLOAD = {"timeout", "chunksize", "callback", "error_callback", "name", "daemon"}
_TASKS = {
    "asyncio.create_task", "asyncio.ensure_future", "asyncio.gather", "asyncio.shield",
    "asyncio.wait_for", "asyncio.run_coroutine_threadsafe", "asyncio.wait",
    "asyncio.as_completed",
}  # fmt: skip
_TASK_METHODS = {"create_task", "ensure_future", "start_soon", "run_coroutine_threadsafe"}
_SYNC_METHODS = {"wait_all", "wait_timeout", "wait_and_reset", "join", "result", "shutdown"}
_SYNC_FUNCS = {"concurrent.futures.wait", "concurrent.futures.as_completed"}
#: Methods that keep a callback for later (a closure passed to them outlives the call).
REGISTER_METHODS = {
    "register", "subscribe", "connect", "add_callback", "add_listener", "add_done_callback",
    "call_soon", "call_later", "call_at", "call_soon_threadsafe", "add_handler",
    "add_systems", "on", "bind", "add_observer",
}  # fmt: skip
_REGISTER_FUNCS = {"atexit.register", "signal.signal", "weakref.finalize"}


@dataclass
class Spawn:
    """A call that runs code on another thread or hands it values.

    Attributes:
        node: The call (its location, once the flow walk that found it is done).
        kind: ``"thread"``, ``"executor"``, ``"queue"`` or ``"to_thread"``.
        targets: Callables the other thread runs.
        payload: Values handed to the other thread.
    """

    node: ast.Call | Location
    kind: str
    targets: list[ast.expr] = field(default_factory=list)
    payload: list[ast.expr] = field(default_factory=list)

    def add_target(self, expr: ast.expr | None, scopes: Scopes) -> None:
        """Record a target, unwrapping ``functools.partial(f, *args)``."""
        if expr is None:
            return
        if isinstance(expr, ast.Call) and scopes.imports.qualname(expr.func) == "functools.partial":
            if expr.args:
                self.targets.append(expr.args[0])
                self.payload.extend(expr.args[1:])
            self.payload.extend(k.value for k in expr.keywords)
            return
        self.targets.append(expr)


def _spread(expr: ast.expr | None) -> list[ast.expr]:
    if expr is None:
        return []
    if isinstance(expr, ast.Tuple | ast.List):
        return list(expr.elts)
    if isinstance(expr, ast.Dict):
        return [v for v in expr.values if v is not None]
    return [expr]


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[index] if len(call.args) > index else None


def spawn_of(call: ast.Call, scopes: Scopes, fn: FunctionInfo | None) -> Spawn | None:
    """Classify ``call`` as a hand-over to another thread, or return None."""
    qual = scopes.imports.qualname(call.func)
    if qual in _THREADS or qual == "threading.Timer":
        spawn = Spawn(call, "thread")
        timer = qual == "threading.Timer"
        spawn.add_target(_arg(call, 1, "function" if timer else "target"), scopes)
        spawn.payload += _spread(_arg(call, 2 if timer else 3, "args"))
        spawn.payload += _spread(_arg(call, 3 if timer else 4, "kwargs"))
        return spawn
    if qual == "asyncio.to_thread":
        spawn = Spawn(call, "to_thread")
        spawn.add_target(call.args[0] if call.args else None, scopes)
        spawn.payload += call.args[1:] + [k.value for k in call.keywords]
        return spawn
    if not isinstance(call.func, ast.Attribute):
        return None
    method = call.func.attr
    if method == "run_in_executor":
        spawn = Spawn(call, "executor")
        spawn.add_target(call.args[1] if len(call.args) > 1 else None, scopes)
        spawn.payload += call.args[2:]
        return spawn
    kind = scopes.kind_of(call.func.value, fn)
    if kind == EXECUTOR and method in _EXECUTOR_METHODS:
        spawn = Spawn(call, "executor")
        spawn.add_target(_arg(call, 0, "fn") or _arg(call, 0, "func"), scopes)
        spawn.payload += call.args[1:]
        for kw in call.keywords:
            if kw.arg not in _NOT_PAYLOAD and kw.arg not in ("fn", "func"):
                spawn.payload += _spread(kw.value) if kw.arg in ("args", "kwds") else [kw.value]
        return spawn
    if kind == QUEUE and method in ("put", "put_nowait"):
        return Spawn(call, "queue", payload=[a for a in [_arg(call, 0, "item")] if a is not None])
    return None


def task_args(call: ast.Call, scopes: Scopes) -> list[ast.expr] | None:
    """Arguments of a call that schedules coroutines as tasks, or None for other calls."""
    qual = scopes.imports.qualname(call.func)
    is_method = isinstance(call.func, ast.Attribute) and call.func.attr in _TASK_METHODS
    if qual in _TASKS or is_method:
        return [*call.args, *(k.value for k in call.keywords)]
    return None


def is_sync_call(call: ast.Call, scopes: Scopes) -> bool:
    """Whether ``call`` waits for other threads (barrier waits, joins, futures)."""
    if isinstance(call.func, ast.Attribute) and call.func.attr in _SYNC_METHODS:
        return True
    return scopes.imports.qualname(call.func) in _SYNC_FUNCS


def is_registration(call: ast.Call, scopes: Scopes) -> bool:
    """Whether ``call`` keeps a callback for later (so a closure passed to it escapes)."""
    if isinstance(call.func, ast.Attribute) and call.func.attr in REGISTER_METHODS:
        return True
    return scopes.imports.qualname(call.func) in _REGISTER_FUNCS
