"""Per-module analysis shared by every check: scopes, systems, flows and the call graph.

Nothing here keeps a module's syntax tree: flows are computed chunk by chunk (see
:mod:`framealloc_lint.chunks`) and hold only the few small nodes findings point at.
"""

from __future__ import annotations

import ast
import re
from functools import cached_property

from framealloc_lint.chunks import ModuleSource
from framealloc_lint.codes import RULES
from framealloc_lint.config import LintConfig
from framealloc_lint.flow import FlowResult, FlowWalker
from framealloc_lint.model import Diagnostic
from framealloc_lint.nodes import Location, walk
from framealloc_lint.scope import APP, FunctionInfo, FunctionNode, ProjectLookup, Scopes
from framealloc_lint.values import ALLOC_METHODS, FRAME_CLOSE, FRAME_OPEN

__all__ = ["TRIGGER_METHODS", "ModuleAnalysis"]

# Methods whose presence makes a function worth walking.
_ATTRS: frozenset[str] = frozenset({
    *ALLOC_METHODS, *FRAME_OPEN, *FRAME_CLOSE, "with_tag", "signal_frame_complete",
    "set_thread_budget_config",
})  # fmt: skip
#: Methods a module must call (or the library it must name) for any check to fire.
TRIGGER_METHODS = _ATTRS


class ModuleAnalysis:
    """Everything the checks need to know about one module.

    Args:
        source: The module's source (a parsed tree for small modules, chunks for large ones).
        path: Path reported in diagnostics.
        module_name: Dotted module name (for relative imports and tag configuration).
        config: Active configuration.
        is_package: Whether the file is a package ``__init__``.
        project: The project's other modules (names imported from them get their kinds).
    """

    def __init__(
        self,
        source: ModuleSource | ast.Module,
        path: str,
        module_name: str,
        config: LintConfig,
        is_package: bool = False,
        project: ProjectLookup | None = None,
    ) -> None:
        if isinstance(source, ast.Module):
            source = ModuleSource("", path, tree=source)
        self.source = source
        self.path = path
        self.module_name = module_name
        self.config = config
        self.scopes = Scopes(source, module_name, is_package, project)
        self.imports = self.scopes.imports

    # -- systems -----------------------------------------------------------------------------
    @cached_property
    def systems(self) -> dict[FunctionInfo, bool | None]:
        """Functions registered with ``add_systems``: True/None when they run in a frame
        (the App has ``SmartAllocPlugin``, or its plugins are unknown), False when not."""
        plugin_calls: list[tuple[str | None, ast.Call]] = []
        system_calls: list[tuple[FunctionInfo | None, ast.Call]] = []
        for fn, node in self._all_calls():
            if isinstance(node.func, ast.Attribute) and node.func.attr == "add_plugins":
                plugin_calls.append((self._root_ref(node.func.value, fn), node))
            elif isinstance(node.func, ast.Attribute) and node.func.attr == "add_systems":
                system_calls.append((fn, node))
        found: dict[FunctionInfo, bool | None] = {}
        for fn, call in system_calls:
            status = self._app_status(call, fn, plugin_calls)
            for arg in [*call.args[1:], *(k.value for k in call.keywords)]:
                for sub in walk(arg):
                    target = self.scopes.resolve_function(sub, fn) if isinstance(
                        sub, ast.Name | ast.Attribute) else None  # fmt: skip
                    if target is not None:
                        previous = found.get(target, False)
                        found[target] = True if True in (previous, status) else (
                            None if None in (previous, status) else False)  # fmt: skip
        return found

    def _all_calls(self) -> list[tuple[FunctionInfo | None, ast.Call]]:
        out: list[tuple[FunctionInfo | None, ast.Call]] = [
            (None, n) for n in self.scopes.module_index.calls
        ]
        for fn in self.scopes.functions:
            out += [(fn, n) for n in fn.index.calls]
        return out

    def _root_ref(self, expr: ast.expr, fn: FunctionInfo | None) -> str | None:
        while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            expr = expr.func.value
        if isinstance(expr, ast.Name):
            return expr.id
        attr = self.scopes.self_attr(expr, fn)
        return f"self.{attr}" if attr else None

    def _app_status(
        self,
        call: ast.Call,
        fn: FunctionInfo | None,
        plugin_calls: list[tuple[str | None, ast.Call]],
    ) -> bool | None:
        ref = self._root_ref(call.func.value, fn)  # type: ignore[attr-defined]
        chain: list[ast.Call] = []
        expr: ast.expr = call.func.value  # type: ignore[attr-defined]
        while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            if expr.func.attr == "add_plugins":
                chain.append(expr)
            expr = expr.func.value
        related = chain + [c for r, c in plugin_calls if ref is not None and r == ref]
        plugins = [a for c in related for a in c.args]
        if any(self._mentions(p, "SmartAllocPlugin") for p in plugins):
            return True
        if any(not self._is_library(p) for p in plugins):
            return None
        constructed = isinstance(expr, ast.Call) and self.imports.lib_call(expr) == "App"
        if isinstance(expr, ast.Name):
            in_params = fn is not None and expr.id in fn.params
            constructed = not in_params and self.scopes.kind_of(expr, fn) == APP
        return False if constructed else None

    def _mentions(self, node: ast.expr, export: str) -> bool:
        return any(
            self.imports.lib(n) == export
            for n in walk(node)
            if isinstance(n, ast.Name | ast.Attribute)
        )

    def _is_library(self, node: ast.expr) -> bool:
        base = node.func if isinstance(node, ast.Call) else node
        if isinstance(base, ast.Attribute) and self.imports.lib(base) is None:
            base = base.value
        return self.imports.lib(base) is not None

    def is_system(self, fn: FunctionInfo) -> bool:
        """Whether ``fn`` is registered as a system (in any App)."""
        return fn in self.systems

    # -- flows ---------------------------------------------------------------------------------
    @cached_property
    def flows(self) -> dict[FunctionInfo | None, FlowResult]:
        """Flow facts per function, plus module-level code under the key None."""
        systems = {f for f, status in self.systems.items() if status is not False}
        systems |= {f for f in self.scopes.functions if f.alloc_param}
        relevant = self._relevant_names()
        flows = self._walk(systems, set(), relevant, None)
        returning = {fn for fn, flow in flows.items() if fn is not None and flow.returns_frame}
        # Callers of helpers that return frame memory are walked again, knowing that.
        if returning:
            again = {owner for owner, flow in flows.items()
                     if any(callee in returning for callee, _, _ in flow.calls)}  # fmt: skip
            if again:
                flows.update(self._walk(systems, returning, relevant, again))
        return flows

    def _walk(
        self,
        systems: set[FunctionInfo],
        returning: set[FunctionInfo],
        relevant: set[str],
        only: set[FunctionInfo | None] | None,
    ) -> dict[FunctionInfo | None, FlowResult]:
        """Walk the module chunk by chunk: every function (or those in ``only``)."""
        limit = self.config.small_loop
        flows: dict[FunctionInfo | None, FlowResult] = {}
        nothing = FlowResult(None)  # shared by every function that cannot find anything
        module = FlowWalker(self.scopes, None, systems, returning, limit)
        walk_module = only is None or None in only
        if walk_module:
            flows[None] = module.out
        for index, functions in enumerate(self.scopes.chunk_functions):
            wanted = [f for f in functions if only is None or f in only]
            if only is None:  # a function that names nothing relevant cannot find anything
                lines = self.source.chunks[index].text.splitlines()
                first = self.source.chunks[index].first_line
                for fn in wanted:
                    if not _interesting(lines[fn.start_line - first : fn.end_line - first + 1],
                                        relevant):  # fmt: skip
                        flows[fn] = nothing
                wanted = [f for f in wanted if f not in flows]
            if not wanted and not walk_module:
                continue
            tree = self.source.tree_of(index)
            if walk_module:
                module.run(tree.body)
            nodes = _function_nodes(tree) if wanted else {}
            for fn in wanted:
                walker = FlowWalker(self.scopes, fn, systems, returning, limit)
                flows[fn] = walker.run(nodes[fn.key].body)
        return flows

    def _relevant_names(self) -> set[str]:
        names = set(_ATTRS)
        for fn in self.scopes.functions:
            names.add(fn.name)
        return names

    @cached_property
    def callers(self) -> dict[FunctionInfo, list[tuple[FunctionInfo | None, bool]]]:
        """Call sites of each in-module function: (calling function, frame open at the call)."""
        out: dict[FunctionInfo, list[tuple[FunctionInfo | None, bool]]] = {}
        for caller, flow in self.flows.items():
            for callee, _call, frame_open in flow.calls:
                out.setdefault(callee, []).append((caller, frame_open))
        return out

    @cached_property
    def referenced(self) -> set[FunctionInfo]:
        """Functions used as values (callbacks, thread targets): callers unknown.

        Functions registered with ``add_systems`` are not counted: their App decides.
        """
        refs: set[FunctionInfo] = set()
        for flow in self.flows.values():
            refs |= flow.refs
        return refs - self.systems.keys()

    def diagnostic(
        self, code: str, node: ast.AST | Location, message: str, note: str = ""
    ) -> Diagnostic:
        """Build a diagnostic for ``node`` with the rule's default severity and help."""
        rule = RULES[code]
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0) + 1
        return Diagnostic(self.path, line, col, code, rule.severity, message, note, rule.help)


def _function_nodes(tree: ast.Module) -> dict[tuple[int, int], FunctionNode]:
    """The ``def`` statements of a chunk by ``(line, column)`` (only statements are visited)."""
    found: dict[tuple[int, int], FunctionNode] = {}
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            found[(stmt.lineno, stmt.col_offset)] = stmt
        for name in _BLOCKS:
            block = getattr(stmt, name, None)
            if isinstance(block, list):
                for item in block:
                    if isinstance(item, ast.stmt):
                        stack.append(item)
                    elif isinstance(item, ast.ExceptHandler | ast.match_case):
                        stack.extend(item.body)
    return found


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _interesting(lines: list[str], relevant: set[str]) -> bool:
    """Whether a function's text names an allocator method or an in-module function.

    Reading the words of the text over-approximates the names in the code (words in strings
    and comments count too), which only means walking a function that finds nothing.
    """
    return not relevant.isdisjoint(_WORD.findall("\n".join(lines)))
