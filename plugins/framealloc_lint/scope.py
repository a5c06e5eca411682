"""Scopes and value kinds: which names hold an allocator, an executor, a queue, a barrier, an App.

Kinds are inferred without running anything: from constructor calls (``SmartAlloc(...)``,
``ThreadPoolExecutor()``), annotations (``alloc: AllocResource``) and assignments, per function,
per class (``self.alloc = SmartAlloc()``) and at module level.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from framealloc_lint.nodes import children, walk
from framealloc_lint.symbols import Imports

__all__ = [
    "APP",
    "BARRIER",
    "EXECUTOR",
    "INJECTED",
    "OWNED",
    "QUEUE",
    "ClassInfo",
    "FunctionInfo",
    "ScopeIndex",
    "Scopes",
    "iter_local",
]

OWNED = "alloc:owned"  # an allocator constructed in this module
INJECTED = "alloc:injected"  # an allocator handed in (parameter, resource lookup)
EXECUTOR = "executor"
QUEUE = "queue"
BARRIER = "barrier"
APP = "app"

_EXECUTORS = {
    "concurrent.futures.ThreadPoolExecutor", "concurrent.futures.ProcessPoolExecutor",
    "concurrent.futures.thread.ThreadPoolExecutor", "concurrent.futures.Executor",
    "concurrent.futures.process.ProcessPoolExecutor", "multiprocessing.pool.ThreadPool",
    "multiprocessing.pool.Pool", "multiprocessing.Pool",
}  # fmt: skip
_QUEUES = {
    "queue.Queue", "queue.SimpleQueue", "queue.LifoQueue", "queue.PriorityQueue",
    "multiprocessing.Queue", "multiprocessing.SimpleQueue", "multiprocessing.JoinableQueue",
}  # fmt: skip
_LIB_KINDS = {
    "SmartAlloc": OWNED, "AllocResource": INJECTED, "FrameBarrier": BARRIER, "App": APP,
}  # fmt: skip
_ANNOTATION_KINDS = {
    "SmartAlloc": INJECTED, "AllocResource": INJECTED, "FrameBarrier": BARRIER, "App": APP,
}  # fmt: skip
_APP_METHODS = {
    "add_plugins", "add_systems", "insert_resource", "init_resource", "add_event",
    "set_runner", "configure_sets", "add_plugin",
}  # fmt: skip

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_IMPORTS = (ast.Import, ast.ImportFrom)
_INDEXED = {
    ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor,
    ast.comprehension, ast.With, ast.AsyncWith, ast.Import, ast.ImportFrom, ast.ExceptHandler,
    ast.Global,
}  # fmt: skip


def iter_local(node: ast.AST) -> list[ast.AST]:
    """Every node under ``node`` that belongs to the same scope (nested defs/lambdas skipped)."""
    out: list[ast.AST] = []
    stack = children(node)
    while stack:
        sub = stack.pop()
        out.append(sub)
        if isinstance(sub, FunctionNode | ast.Lambda | ast.ClassDef):
            continue
        stack.extend(children(sub))
    return out


@dataclass(eq=False)
class ScopeIndex:
    """The nodes of one scope the analyser looks up by kind (filled in one pass)."""

    calls: list[ast.Call] = field(default_factory=list)
    bindings: list[ast.AST] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    attrs: set[str] = field(default_factory=set)


@dataclass(eq=False)
class ClassInfo:
    """A class body: its methods and the kinds of its ``self`` attributes."""

    node: ast.ClassDef
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    index: ScopeIndex = field(default_factory=ScopeIndex)
    attr_kinds: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class FunctionInfo:
    """One ``def``/``async def`` and what its names hold."""

    node: FunctionNode
    qualname: str
    parent: FunctionInfo | None
    cls: ClassInfo | None
    self_name: str | None = None
    params: set[str] = field(default_factory=set)
    locals: set[str] = field(default_factory=set)
    global_decls: set[str] = field(default_factory=set)
    kinds: dict[str, str] = field(default_factory=dict)
    children: dict[str, FunctionInfo] = field(default_factory=dict)
    alloc_param: bool = False
    constructs: set[str] = field(default_factory=set)
    index: ScopeIndex = field(default_factory=ScopeIndex)

    @property
    def name(self) -> str:
        """The function's own name."""
        return self.node.name

    @property
    def is_async(self) -> bool:
        """Whether this is an ``async def``."""
        return isinstance(self.node, ast.AsyncFunctionDef)


class Scopes:
    """Functions, classes and name kinds of one module.

    Args:
        tree: The parsed module.
        module_name: Dotted module name (resolves relative imports).
        is_package: Whether the module is a package ``__init__``.
    """

    def __init__(self, tree: ast.Module, module_name: str | None, is_package: bool = False) -> None:
        self.tree = tree
        self.import_nodes: list[ast.Import | ast.ImportFrom] = []
        self.functions: list[FunctionInfo] = []
        self.by_node: dict[ast.AST, FunctionInfo] = {}
        self.module_funcs: dict[str, FunctionInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.module_kinds: dict[str, str] = {}
        self.module_vars: set[str] = set()
        self.module_index = ScopeIndex()
        self._visit(tree, self.module_index, None, None, "")
        self.imports = Imports(self.import_nodes, module_name, is_package)
        for fn in self.functions:
            self._param_kinds(fn)
        self._module_env()
        for _ in range(2):  # a second round sees kinds learnt from ``self.x = ...``
            for fn in self.functions:
                self._function_env(fn)
            self._class_attrs()

    # -- construction -------------------------------------------------------------------
    def _visit(
        self,
        node: ast.AST,
        index: ScopeIndex,
        parent: FunctionInfo | None,
        cls: ClassInfo | None,
        prefix: str,
    ) -> None:
        """One pass over the tree, filing each node in its scope's index."""
        for child in children(node):
            kind = type(child)
            if kind is ast.Name:
                index.names.add(child.id)  # type: ignore[attr-defined]
                continue
            if kind is ast.Attribute:
                index.attrs.add(child.attr)  # type: ignore[attr-defined]
            elif kind is ast.Call:
                index.calls.append(child)  # type: ignore[arg-type]
            elif kind is ast.ClassDef:
                assert isinstance(child, ast.ClassDef)
                info = ClassInfo(child)
                if parent is None and cls is None:
                    self.classes[child.name] = info
                index.bindings.append(child)
                self._visit(child, info.index, parent, info, f"{prefix}{child.name}.")
                continue
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                assert isinstance(child, FunctionNode)
                fn = self._add_function(child, parent, cls, prefix)
                self._visit(child, fn.index, fn, None, f"{fn.qualname}.")
                continue
            elif kind is ast.Lambda:
                continue
            elif kind in _INDEXED:
                if kind is ast.Import or kind is ast.ImportFrom:
                    self.import_nodes.append(child)  # type: ignore[arg-type]
                index.bindings.append(child)
            self._visit(child, index, parent, cls, prefix)

    def _add_function(
        self, node: FunctionNode, parent: FunctionInfo | None, cls: ClassInfo | None, prefix: str
    ) -> FunctionInfo:
        fn = FunctionInfo(node, f"{prefix}{node.name}", parent, cls)
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        is_static = any(
            isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list
        )
        in_class_body = cls is not None and node in cls.node.body
        if in_class_body and positional and not is_static:
            fn.self_name = positional[0].arg
        if cls is not None and in_class_body:
            cls.methods[node.name] = fn
        elif parent is not None:
            parent.children[node.name] = fn
        else:
            self.module_funcs[node.name] = fn
        for arg in [*positional, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                fn.params.add(arg.arg)
        self.functions.append(fn)
        self.by_node[node] = fn
        return fn

    def _param_kinds(self, fn: FunctionInfo) -> None:
        args = fn.node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is None or arg.annotation is None:
                continue
            kind = self._annotation_kind(arg.annotation)
            if kind:
                fn.kinds[arg.arg] = kind
            if "AllocResource" in self.imports.annotation_exports(arg.annotation):
                fn.alloc_param = True

    def _annotation_kind(self, annotation: ast.expr | None) -> str | None:
        for name in self.imports.annotation_exports(annotation):
            if name in _ANNOTATION_KINDS:
                return _ANNOTATION_KINDS[name]
        quals = self.imports.annotation_qualnames(annotation)
        if quals & _EXECUTORS:
            return EXECUTOR
        if quals & _QUEUES:
            return QUEUE
        return None

    def _module_env(self) -> None:
        for node in self.module_index.bindings:
            if isinstance(node, _IMPORTS):
                continue
            for target, value in _bindings(node):
                if isinstance(target, ast.Name):
                    self.module_vars.add(target.id)
                    kind = self.kind_of(value, None) if value is not None else None
                    if kind:
                        self.module_kinds[target.id] = kind

    def _function_env(self, fn: FunctionInfo) -> None:
        fn.locals = set(fn.params)
        for node in fn.index.bindings:
            if isinstance(node, ast.Global):
                fn.global_decls.update(node.names)
            for target, value in _bindings(node):
                if isinstance(target, ast.Name):
                    fn.locals.add(target.id)
                    kind = self.kind_of(value, fn) if value is not None else None
                    if kind and target.id not in fn.params:
                        fn.kinds[target.id] = kind
                        if kind == OWNED:
                            fn.constructs.add(target.id)
                elif (
                    fn.self_name
                    and isinstance(target, ast.Attribute)
                    and _is_self_attr(target, fn.self_name)
                    and self.kind_of(value, fn) == OWNED
                ):
                    fn.constructs.add(f"self.{target.attr}")
        fn.locals -= fn.global_decls
        fn.locals.update(fn.children)

    def _class_attrs(self) -> None:
        for cls in self._all_classes():
            for stmt in cls.node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    kind = self._annotation_kind(stmt.annotation)
                    if kind:
                        cls.attr_kinds.setdefault(stmt.target.id, kind)
            for fn in cls.methods.values():
                if not fn.self_name:
                    continue
                for node in fn.index.bindings:
                    if not isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr):
                        continue
                    for target, value in _bindings(node):
                        if value is None or not _is_self_attr(target, fn.self_name):
                            continue
                        assert isinstance(target, ast.Attribute)
                        kind = self.kind_of(value, fn)
                        if kind and cls.attr_kinds.get(target.attr) != OWNED:
                            cls.attr_kinds[target.attr] = kind

    def _all_classes(self) -> list[ClassInfo]:
        seen: dict[int, ClassInfo] = {id(c): c for c in self.classes.values()}
        for fn in self.functions:
            if fn.cls is not None:
                seen.setdefault(id(fn.cls), fn.cls)
        return list(seen.values())

    # -- queries -------------------------------------------------------------------------
    def name_kind(self, name: str, fn: FunctionInfo | None) -> str | None:
        """Kind of a bare name as seen from inside ``fn`` (module level when None)."""
        scope = fn
        while scope is not None:
            if name in scope.global_decls:
                break
            if name in scope.locals:
                return scope.kinds.get(name)
            scope = scope.parent
        return self.module_kinds.get(name)

    def self_attr(self, node: ast.expr, fn: FunctionInfo | None) -> str | None:
        """``"x"`` when ``node`` is ``self.x`` inside a method (or a function nested in one)."""
        scope = fn
        while scope is not None:
            if scope.self_name and _is_self_attr(node, scope.self_name):
                assert isinstance(node, ast.Attribute)
                return node.attr
            scope = scope.parent
        return None

    def method_class(self, fn: FunctionInfo | None) -> ClassInfo | None:
        """The class whose ``self`` is visible from ``fn``."""
        scope = fn
        while scope is not None:
            if scope.self_name and scope.cls is not None:
                return scope.cls
            scope = scope.parent
        return None

    def kind_of(self, expr: ast.expr | None, fn: FunctionInfo | None) -> str | None:
        """What ``expr`` evaluates to, as far as the analyser can tell."""
        if isinstance(expr, ast.Name):
            return self.name_kind(expr.id, fn)
        if isinstance(expr, ast.Attribute):
            attr = self.self_attr(expr, fn)
            cls = self.method_class(fn)
            if attr is not None and cls is not None:
                return cls.attr_kinds.get(attr)
            return None
        if isinstance(expr, ast.NamedExpr):
            return self.kind_of(expr.value, fn)
        if not isinstance(expr, ast.Call):
            return None
        lib = self.imports.lib_call(expr)
        if lib in _LIB_KINDS:
            return _LIB_KINDS[lib]
        qual = self.imports.qualname(expr.func)
        if qual in _EXECUTORS:
            return EXECUTOR
        if qual in _QUEUES:
            return QUEUE
        if isinstance(expr.func, ast.Attribute):
            method = expr.func.attr
            root = _chain_root(expr.func)
            if method == "build" and self.imports.lib(root) == "FrameBarrierBuilder":
                return BARRIER
            if method in _APP_METHODS and self.kind_of(expr.func.value, fn) == APP:
                return APP
            if "resource" in method and any(
                self.imports.lib(a) in ("AllocResource", "SmartAlloc") for a in expr.args
            ):
                return INJECTED
        return None

    def is_alloc(self, expr: ast.expr, fn: FunctionInfo | None) -> bool:
        """Whether ``expr`` is an allocator (a ``SmartAlloc`` or ``AllocResource``)."""
        return self.kind_of(expr, fn) in (OWNED, INJECTED)

    def resolve_function(self, expr: ast.expr, fn: FunctionInfo | None) -> FunctionInfo | None:
        """The in-module function a call target or reference names, if any."""
        if isinstance(expr, ast.Name):
            scope = fn
            while scope is not None:
                if expr.id in scope.children:
                    return scope.children[expr.id]
                if expr.id in scope.locals and expr.id not in scope.children:
                    return None
                scope = scope.parent
            return self.module_funcs.get(expr.id)
        if isinstance(expr, ast.Attribute) and self.self_attr(expr, fn) is not None:
            cls = self.method_class(fn)
            return cls.methods.get(expr.attr) if cls else None
        return None


def _is_self_attr(node: ast.AST, self_name: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == self_name
    )


def _chain_root(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node


def _bindings(node: ast.AST) -> list[tuple[ast.expr, ast.expr | None]]:
    """(target, value) pairs a statement binds; value None when it is not a plain expression."""
    if isinstance(node, ast.Assign):
        pairs: list[tuple[ast.expr, ast.expr | None]] = []
        for target in node.targets:
            if isinstance(target, ast.Tuple | ast.List):
                values = node.value.elts if isinstance(node.value, ast.Tuple | ast.List) else []
                if len(values) == len(target.elts):
                    pairs.extend(zip(target.elts, values, strict=True))
                else:
                    pairs.extend((elt, None) for elt in target.elts)
            else:
                pairs.append((target, node.value))
        return pairs
    if isinstance(node, ast.AnnAssign):
        return [(node.target, node.value)]
    if isinstance(node, ast.AugAssign):
        return [(node.target, None)]
    if isinstance(node, ast.NamedExpr):
        return [(node.target, node.value)]
    if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
        return [(t, None) for t in walk(node.target) if isinstance(t, ast.Name)]
    if isinstance(node, ast.With | ast.AsyncWith):
        return [(i.optional_vars, i.context_expr) for i in node.items if i.optional_vars]
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [(ast.Name(a.asname or a.name.split(".")[0]), None) for a in node.names]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [(ast.Name(node.name), None)]
    return []
