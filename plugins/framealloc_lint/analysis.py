"""Per-module analysis shared by every check: scopes, systems, flows and the call graph."""

from __future__ import annotations

import ast
from functools import cached_property

from framealloc_lint.codes import RULES
from framealloc_lint.config import LintConfig
from framealloc_lint.flow import FlowResult, FlowWalker
from framealloc_lint.model import Diagnostic
from framealloc_lint.nodes import walk
from framealloc_lint.scope import APP, FunctionInfo, Scopes
from framealloc_lint.values import ALLOC_METHODS, FRAME_CLOSE, FRAME_OPEN

__all__ = ["ModuleAnalysis"]

# Methods whose presence makes a function worth walking.
_ATTRS = {
    *ALLOC_METHODS, *FRAME_OPEN, *FRAME_CLOSE, "with_tag", "signal_frame_complete",
    "set_thread_budget_config",
}  # fmt: skip


class ModuleAnalysis:
    """Everything the checks need to know about one module.

    Args:
        tree: The parsed module.
        path: Path reported in diagnostics.
        module_name: Dotted module name (for relative imports and tag configuration).
        config: Active configuration.
        is_package: Whether the file is a package ``__init__``.
    """

    def __init__(
        self,
        tree: ast.Module,
        path: str,
        module_name: str,
        config: LintConfig,
        is_package: bool = False,
    ) -> None:
        self.tree = tree
        self.path = path
        self.module_name = module_name
        self.config = config
        self.scopes = Scopes(tree, module_name, is_package)
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
        limit = self.config.small_loop
        owners: list[FunctionInfo | None] = [None, *self.scopes.functions]
        relevant = self._relevant_names()
        flows = {
            f: FlowWalker(self.scopes, f, systems, set(), limit).run()
            if self._interesting(f, relevant)
            else FlowResult(f)
            for f in owners
        }
        returning = {fn for fn, flow in flows.items() if fn is not None and flow.returns_frame}
        # Callers of helpers that return frame memory are walked again, knowing that.
        for owner in owners:
            if returning and any(callee in returning for callee, _, _ in flows[owner].calls):
                flows[owner] = FlowWalker(self.scopes, owner, systems, returning, limit).run()
        return flows

    def _relevant_names(self) -> set[str]:
        names = set(_ATTRS)
        for fn in self.scopes.functions:
            names.add(fn.name)
        return names

    def _interesting(self, fn: FunctionInfo | None, relevant: set[str]) -> bool:
        """Whether walking ``fn`` can find anything: allocator methods or in-module calls."""
        index = self.scopes.module_index if fn is None else fn.index
        return bool(index.attrs & relevant or index.names & relevant)

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

    def diagnostic(self, code: str, node: ast.AST, message: str, note: str = "") -> Diagnostic:
        """Build a diagnostic for ``node`` with the rule's default severity and help."""
        rule = RULES[code]
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0) + 1
        return Diagnostic(self.path, line, col, code, rule.severity, message, note, rule.help)
