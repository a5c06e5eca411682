"""Scopes and value kinds: which names hold an allocator, an executor, a queue, a barrier, an App.

Kinds are inferred without running anything: from constructor calls (``SmartAlloc(...)``,
``ThreadPoolExecutor()``), annotations (``alloc: AllocResource``), assignments, per function,
per class (``self.alloc = SmartAlloc()``, inherited from base classes) and at module level, and
across modules: a name imported from another module of the project has the kind that module
gives it (``from game.memory import alloc``).

The module is read in two passes over its chunks (see :mod:`framealloc_lint.chunks`): the first
reads the module level (imports and module-level names), the second the functions and classes,
chunk by chunk; what is kept afterwards holds no syntax tree.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Protocol

from framealloc_lint.chunks import ModuleSource
from framealloc_lint.nodes import children, walk
from framealloc_lint.symbols import LIBRARY, Imports

__all__ = [
    "ALLOCATORS",
    "APP",
    "BARRIER",
    "EXECUTOR",
    "IMPORTED",
    "INJECTED",
    "OWNED",
    "QUEUE",
    "ClassInfo",
    "FunctionInfo",
    "ProjectLookup",
    "ScopeIndex",
    "Scopes",
    "iter_local",
]

OWNED = "alloc:owned"  # an allocator constructed in this module
INJECTED = "alloc:injected"  # an allocator handed in (parameter, resource lookup)
IMPORTED = "alloc:imported"  # an allocator constructed in another module of the project
ALLOCATORS = frozenset({OWNED, INJECTED, IMPORTED})
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
#: Parameter annotations of App resources, which outlive every frame.
_RESOURCES = frozenset({"Res", "ResMut", "Local"})
#: Calls kept after the tree is dropped (the App wiring that decides which functions are systems).
APP_WIRING = frozenset({"add_plugins", "add_systems"})

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_IMPORTS = (ast.Import, ast.ImportFrom)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
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
        if isinstance(sub, _SCOPES):
            continue
        stack.extend(children(sub))
    return out


class ProjectLookup(Protocol):
    """What the other modules of the project define (see :mod:`framealloc_lint.project`)."""

    def kind_of(self, qualname: str) -> str | None:
        """Kind of a module-level name of another module (``game.memory.alloc``)."""

    def class_attrs(self, qualname: str) -> dict[str, str]:
        """Kinds of the ``self`` attributes of another module's class (``game.base.Game``)."""

    def module_names(self, module: str) -> dict[str, str]:
        """Kinds of every module-level name of another module (for ``from m import *``)."""


@dataclass(eq=False, slots=True)
class ScopeIndex:
    """The nodes of one scope the analysis needs (filled in one pass, emptied after use).

    Attributes:
        calls: App wiring calls (``add_plugins``/``add_systems``), kept to find the systems.
        bindings: Statements binding names, until the scope's kinds are known.
    """

    calls: list[ast.Call] = field(default_factory=list)
    bindings: list[ast.AST] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class ClassInfo:
    """A class body: its methods and the kinds of its ``self`` attributes.

    Attributes:
        name: The class name.
        node: The class statement, while its chunk is being read.
        bases: Qualified names of its base classes (in this module or another).
        methods: Its methods by name.
        attr_kinds: Kinds of ``self`` attributes, inherited ones included.
        index: Nodes of the class body's own scope.
    """

    name: str
    node: ast.ClassDef | None = None
    bases: list[str] = field(default_factory=list)
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    attr_kinds: dict[str, str] = field(default_factory=dict)
    index: ScopeIndex = field(default_factory=ScopeIndex)


@dataclass(eq=False, slots=True)
class FunctionInfo:
    """One ``def``/``async def`` and what its names hold.

    Attributes:
        name: The function's own name.
        qualname: Dotted name within the module (``Game.update``).
        key: ``(line, column)`` of the ``def``: finds the function again in a re-parsed chunk.
        chunk: Index of the chunk holding it.
        is_async: Whether this is an ``async def``.
        decorated: Whether it has decorators (then it may be called from anywhere).
        parent: The enclosing function, if nested.
        cls: The class it is a method of (or is nested in a method of).
        self_name: Name of its ``self`` parameter, for methods.
        node: The ``def`` statement, while its chunk is being read.
        start_line: First line of the function, decorators included.
        end_line: Last line of the function.
    """

    name: str
    qualname: str
    key: tuple[int, int]
    chunk: int
    start_line: int
    end_line: int
    is_async: bool
    decorated: bool
    parent: FunctionInfo | None
    cls: ClassInfo | None
    self_name: str | None = None
    node: FunctionNode | None = None
    params: set[str] = field(default_factory=set)
    locals: set[str] = field(default_factory=set)
    global_decls: set[str] = field(default_factory=set)
    kinds: dict[str, str] = field(default_factory=dict)
    children: dict[str, FunctionInfo] = field(default_factory=dict)
    alloc_param: bool = False
    resource_params: set[str] = field(default_factory=set)
    constructs: set[str] = field(default_factory=set)
    index: ScopeIndex = field(default_factory=ScopeIndex)

    @property
    def lineno(self) -> int:
        """Line of the ``def``."""
        return self.key[0]


# A node to visit, with its scope: (node, index, function, class, qualname prefix).
_Frame = tuple[ast.AST, ScopeIndex, FunctionInfo | None, ClassInfo | None, str]


class Scopes:
    """Functions, classes and name kinds of one module.

    Args:
        source: The module's source, in chunks.
        module_name: Dotted module name (resolves relative imports).
        is_package: Whether the module is a package ``__init__``.
        project: The project's other modules, for imported names (None: not followed).
        definitions: Read functions and classes too (the second pass). Without it only the
            module level is known, until :meth:`read_definitions` is called (another module's
            names are looked up this way).
    """

    def __init__(
        self,
        source: ModuleSource,
        module_name: str | None,
        is_package: bool = False,
        project: ProjectLookup | None = None,
        definitions: bool = True,
    ) -> None:
        self.source = source
        self.module_name = module_name
        self.project = project
        self.functions: list[FunctionInfo] = []
        self.module_funcs: dict[str, FunctionInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.module_kinds: dict[str, str] = {}
        self.module_vars: set[str] = set()
        self.module_index = ScopeIndex()
        self.chunk_functions: list[list[FunctionInfo]] = []
        self._imported_memo: dict[str, str | None] = {}
        self._definitions_read = False
        module_imports, bindings = self._read_module_level()
        self.imports = Imports(module_imports, module_name, is_package)
        self._module_env(bindings)
        if definitions:
            self.read_definitions()

    def read_definitions(self) -> None:
        """The second pass (functions and classes), once."""
        if not self._definitions_read:
            self._definitions_read = True
            self._read_definitions()
            self._inherit()

    # -- pass 1: the module level ------------------------------------------------------------
    def _read_module_level(
        self,
    ) -> tuple[list[ast.Import | ast.ImportFrom], list[tuple[ast.expr, ast.expr | None]]]:
        imports: list[ast.Import | ast.ImportFrom] = []
        bindings: list[tuple[ast.expr, ast.expr | None]] = []
        for _, tree in self.source.trees():
            for node in iter_local(tree):
                if type(node) not in _INDEXED:
                    continue
                if isinstance(node, _IMPORTS):
                    imports.append(node)
                else:
                    bindings.extend(_bindings(node, keep_value=_classifiable))
        return imports, bindings

    def _module_env(self, bindings: list[tuple[ast.expr, ast.expr | None]]) -> None:
        for target, value in bindings:
            if not isinstance(target, ast.Name):
                continue
            self.module_vars.add(target.id)
            kind = self.kind_of(value, None) if value is not None else None
            if kind:
                self.module_kinds[target.id] = kind

    def imported_kind(self, name: str) -> str | None:
        """Kind of a module-level name imported from another module of the project.

        Looked up when first needed (so only modules whose names are used are read), once;
        a name met again while being looked up (an import cycle) has no kind.
        """
        if self.project is None:
            return None
        if name in self._imported_memo:
            return self._imported_memo[name]
        self._imported_memo[name] = None
        kind: str | None = None
        qual = self.imports.names.get(name)
        if qual is not None:
            if qual.split(".")[0] != LIBRARY:
                kind = _imported(self.project.kind_of(qual))
        else:
            for module in self.imports.star_modules:
                if module.split(".")[0] != LIBRARY:
                    kind = _imported(self.project.module_names(module).get(name))
                    if kind:
                        break
        self._imported_memo[name] = kind
        return kind

    def _import_kind(self, target: ast.expr) -> str | None:
        """Kind of a name bound by an import of another project module (``from m import a``)."""
        if self.project is None or not isinstance(target, ast.Name):
            return None
        qual = self.imports.names.get(target.id)
        if qual is None or qual.split(".")[0] == LIBRARY:
            return None
        return _imported(self.project.kind_of(qual))

    # -- pass 2: functions and classes, chunk by chunk ---------------------------------------
    def _read_definitions(self) -> None:
        for chunk, tree in self.source.trees():
            before = len(self.functions)
            chunk_imports: list[ast.Import | ast.ImportFrom] = []
            classes: list[ClassInfo] = []
            self._visit(tree, chunk, chunk_imports, classes)
            if chunk_imports:
                self.imports.add(chunk_imports)
            new = self.functions[before:]
            self.chunk_functions.append(new)
            for fn in new:
                self._param_kinds(fn)
            for _ in range(2):  # a second round sees kinds learnt from ``self.x = ...``
                for fn in new:
                    self._function_env(fn)
                self._class_attrs(classes)
            for fn in new:
                fn.index.bindings = []
                if not self.source.cached:
                    fn.node = None
            for cls in classes:
                cls.index.bindings = []
                cls.node = None if not self.source.cached else cls.node
        self.module_index.bindings = []

    def _visit(
        self,
        tree: ast.Module,
        chunk: int,
        imports: list[ast.Import | ast.ImportFrom],
        classes: list[ClassInfo],
    ) -> None:
        """One pass over a chunk, filing each node in its scope's index (iteratively)."""
        stack: list[_Frame] = [(c, self.module_index, None, None, "") for c in reversed(
            children(tree))]  # fmt: skip
        while stack:
            node, index, parent, cls, prefix = stack.pop()
            kind = type(node)
            if kind is ast.Name:
                continue
            inner: tuple[ScopeIndex, FunctionInfo | None, ClassInfo | None, str]
            inner = (index, parent, cls, prefix)
            if kind is ast.Call:
                func = node.func  # type: ignore[attr-defined]
                if isinstance(func, ast.Attribute) and func.attr in APP_WIRING:
                    index.calls.append(node)  # type: ignore[arg-type]
            elif kind is ast.ClassDef:
                assert isinstance(node, ast.ClassDef)
                info = ClassInfo(node.name, node, [q for q in map(self._base_name, node.bases)
                                                   if q])  # fmt: skip
                classes.append(info)
                if parent is None and cls is None:
                    self.classes[node.name] = info
                inner = (info.index, parent, info, f"{prefix}{node.name}.")
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                assert isinstance(node, FunctionNode)
                fn = self._add_function(node, chunk, parent, cls, prefix)
                inner = (fn.index, fn, None, f"{fn.qualname}.")
            elif kind is ast.Lambda:
                continue
            elif kind in _INDEXED and (parent is not None or cls is not None):
                # Module-level bindings and imports were read by the first pass.
                if kind is ast.Import or kind is ast.ImportFrom:
                    imports.append(node)  # type: ignore[arg-type]
                index.bindings.append(node)
            stack.extend((c, *inner) for c in reversed(children(node)))

    def _base_name(self, base: ast.expr) -> str | None:
        if isinstance(base, ast.Name) and base.id in self.classes:
            return f"{self.module_name}.{base.id}" if self.module_name else base.id
        return self.imports.qualname(base)

    def _add_function(
        self,
        node: FunctionNode,
        chunk: int,
        parent: FunctionInfo | None,
        cls: ClassInfo | None,
        prefix: str,
    ) -> FunctionInfo:
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        fn = FunctionInfo(
            node.name, f"{prefix}{node.name}", (node.lineno, node.col_offset), chunk, start,
            node.end_lineno or node.lineno, isinstance(node, ast.AsyncFunctionDef),
            bool(node.decorator_list), parent, cls, node=node,
        )  # fmt: skip
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        is_static = any(
            isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list
        )
        in_class_body = cls is not None and cls.node is not None and node in cls.node.body
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
        return fn

    def _param_kinds(self, fn: FunctionInfo) -> None:
        assert fn.node is not None
        args = fn.node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is None or arg.annotation is None:
                continue
            kind = self._annotation_kind(arg.annotation)
            if kind:
                fn.kinds[arg.arg] = kind
            exports = self.imports.annotation_exports(arg.annotation)
            if "AllocResource" in exports:
                fn.alloc_param = True
            if exports & _RESOURCES:
                fn.resource_params.add(arg.arg)

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

    def _function_env(self, fn: FunctionInfo) -> None:
        fn.locals = set(fn.params)
        for node in fn.index.bindings:
            if isinstance(node, ast.Global):
                fn.global_decls.update(node.names)
            imported = isinstance(node, _IMPORTS)
            for target, value in _bindings(node):
                if isinstance(target, ast.Name):
                    fn.locals.add(target.id)
                    kind = self._import_kind(target) if imported else self.kind_of(value, fn)
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

    def _class_attrs(self, classes: list[ClassInfo]) -> None:
        for cls in classes:
            if cls.node is not None:
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

    def _inherit(self) -> None:
        """Give classes the attribute kinds of their base classes (here or in other modules)."""
        local = {f"{self.module_name}.{name}" if self.module_name else name: cls
                 for name, cls in self.classes.items()}  # fmt: skip
        for _ in range(len(local) + 1):  # enough rounds for chains of local bases
            changed = False
            for cls in local.values():
                for base in cls.bases:
                    parent = local.get(base)
                    inherited = parent.attr_kinds if parent is not None else (
                        self._project_class(base))  # fmt: skip
                    for attr, kind in inherited.items():
                        if attr not in cls.attr_kinds:
                            cls.attr_kinds[attr] = kind
                            changed = True
            if not changed:
                break

    def _project_class(self, qualname: str) -> dict[str, str]:
        if self.project is None or qualname.split(".")[0] == LIBRARY:
            return {}
        return {attr: _imported(kind) or kind
                for attr, kind in self.project.class_attrs(qualname).items()}  # fmt: skip

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
        found = self.module_kinds.get(name)
        return found if found is not None else self.imported_kind(name)

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
        while isinstance(expr, ast.NamedExpr):
            expr = expr.value
        if isinstance(expr, ast.Name):
            return self.name_kind(expr.id, fn)
        if isinstance(expr, ast.Attribute):
            attr = self.self_attr(expr, fn)
            cls = self.method_class(fn)
            if attr is not None and cls is not None:
                return cls.attr_kinds.get(attr)
            return self._module_attr_kind(expr)
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
        if not isinstance(expr.func, ast.Attribute):
            return None
        method = expr.func.attr
        if method == "build" and self.imports.lib(_chain_root(expr.func)) == "FrameBarrierBuilder":
            return BARRIER
        if method in _APP_METHODS:
            receiver: ast.expr = expr.func.value
            while (isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute)
                   and receiver.func.attr in _APP_METHODS):  # fmt: skip
                receiver = receiver.func.value  # App().add_plugins(...).add_systems(...)
            if self.kind_of(receiver, fn) == APP:
                return APP
        if "resource" in method and any(
            self.imports.lib(a) in ("AllocResource", "SmartAlloc") for a in expr.args
        ):
            return INJECTED
        return None

    def _module_attr_kind(self, expr: ast.Attribute) -> str | None:
        """Kind of ``module.name`` where ``module`` is another module of the project."""
        if self.project is None:
            return None
        qual = self.imports.qualname(expr)
        if qual is None or qual.split(".")[0] == LIBRARY:
            return None
        return _imported(self.project.kind_of(qual))

    def is_alloc(self, expr: ast.expr, fn: FunctionInfo | None) -> bool:
        """Whether ``expr`` is an allocator (a ``SmartAlloc`` or ``AllocResource``)."""
        return self.kind_of(expr, fn) in ALLOCATORS

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


def _imported(kind: str | None) -> str | None:
    """The kind a value has in a module importing it: an owned allocator becomes imported."""
    return IMPORTED if kind == OWNED else kind


def _classifiable(value: ast.expr) -> bool:
    """Whether :meth:`Scopes.kind_of` can say anything about ``value`` (else it is not kept)."""
    return isinstance(value, ast.Call | ast.Name | ast.Attribute | ast.NamedExpr)


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


def _bindings(
    node: ast.AST, keep_value: object = None
) -> list[tuple[ast.expr, ast.expr | None]]:
    """(target, value) pairs a statement binds; value None when it is not a plain expression.

    With ``keep_value`` (a predicate), values it rejects are given as None, so that a caller
    keeping the pairs does not keep large expressions alive.
    """
    pairs = _raw_bindings(node)
    if callable(keep_value):
        return [(t, v if v is not None and keep_value(v) else None) for t, v in pairs]
    return pairs


def _raw_bindings(node: ast.AST) -> list[tuple[ast.expr, ast.expr | None]]:
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

