"""Name resolution: which expressions refer to the library's exports (and to stdlib threads).

Only imports are followed (``import framealloc_engine as fe``, ``from framealloc_engine import
SmartAlloc as SA``, relative imports inside the package); a class that merely shares a name with
the library's is not the library's. Every namespace of the library counts: the root
(``SmartAlloc``, ``AllocConfig``), ``framealloc_engine.app`` (``App``, ``Update``, ``Res``...),
the allocator bridge ``framealloc_engine.bridge`` (``SmartAllocPlugin``, ``AllocResource``),
``framealloc_engine.prelude`` (also as ``from framealloc_engine.prelude import *``) and any other
submodule: an export is known by its name wherever in the package it is imported from.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

__all__ = ["EXPORTS", "LIBRARY", "STANDARD_TAGS", "Imports", "parse_annotation"]

LIBRARY = "framealloc_engine"

#: Names the library exports that the analyser gives meaning to.
EXPORTS: frozenset[str] = frozenset(
    {
        "SmartAlloc", "AllocConfig", "AllocResource", "RetentionPolicy", "Importance",
        "ThreadBudgetConfig", "TransferHandle", "FrameBarrier", "FrameBarrierBuilder",
        "App", "Plugin", "SmartAllocPlugin", "Res", "ResMut", "Local", "EventReader",
        "EventWriter", "Commands", "Time", "Startup", "First", "PreUpdate", "FixedUpdate",
        "Update", "PostUpdate", "Last", "tags",
    }
)  # fmt: skip

#: Tag constants of ``framealloc_engine.tags`` and their values.
STANDARD_TAGS: dict[str, str] = {
    name: name.lower()
    for name in (
        "RENDERING", "PHYSICS", "AUDIO", "SCRIPTING", "ASSETS", "UI", "NETWORKING", "GENERAL",
    )
}  # fmt: skip


def parse_annotation(node: ast.expr) -> ast.expr:
    """Turn a string annotation (``"SmartAlloc"``) into its expression; others pass through."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return node
    return node


class Imports:
    """The import table of one module: local name to fully qualified name.

    Args:
        nodes: The module's import statements.
        module_name: Dotted name of the module (resolves relative imports), if known.
        is_package: Whether the module is a package's ``__init__``.
    """

    def __init__(
        self,
        nodes: Iterable[ast.Import | ast.ImportFrom],
        module_name: str | None,
        is_package: bool = False,
    ) -> None:
        self.names: dict[str, str] = {}
        #: Modules imported with ``from module import *`` (other than the library's).
        self.star_modules: list[str] = []
        self._module_name = module_name
        package = (module_name or "").split(".")
        self._package = package if is_package else package[:-1]
        self.add(nodes)

    def add(self, nodes: Iterable[ast.Import | ast.ImportFrom]) -> None:
        """Record more import statements (those inside functions, read later)."""
        package = self._package
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.names[alias.asname] = alias.name
                    else:
                        head = alias.name.split(".")[0]
                        self.names[head] = head
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    if not self._module_name or node.level > len(package):
                        continue
                    parent = package[: len(package) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                for alias in node.names:
                    if alias.name != "*":
                        self.names[alias.asname or alias.name] = f"{base}.{alias.name}"
                    elif base == LIBRARY or base.startswith(LIBRARY + "."):
                        # ``from framealloc_engine.prelude import *``: the exports it can give
                        self.names.update({name: f"{base}.{name}" for name in EXPORTS})
                    else:
                        self.star_modules.append(base)

    def qualname(self, node: ast.expr) -> str | None:
        """Fully qualified name of a ``Name``/``Attribute`` chain rooted at an import."""
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.names.get(node.id)
        if base is None:
            return None
        return ".".join([base, *reversed(attrs)])

    def lib(self, node: ast.expr) -> str | None:
        """The library export ``node`` refers to (``"SmartAlloc"``), or None."""
        qual = self.qualname(node)
        if qual is None:
            return None
        parts = qual.split(".")
        if parts[0] == LIBRARY and len(parts) > 1 and parts[-1] in EXPORTS:
            return parts[-1]
        return None

    def lib_call(self, node: ast.expr) -> str | None:
        """The export a call is made on: ``SmartAlloc(...)`` and ``SmartAlloc.with_defaults()``."""
        if not isinstance(node, ast.Call):
            return None
        found = self.lib(node.func)
        if found is None and isinstance(node.func, ast.Attribute):
            found = self.lib(node.func.value)
        return found

    def annotation_exports(self, node: ast.expr | None) -> set[str]:
        """Library exports named anywhere in an annotation (``Res[AllocResource] | None``)."""
        found: set[str] = set()
        if node is None:
            return found
        for sub in ast.walk(parse_annotation(node)):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                found |= self.annotation_exports(parse_annotation(sub))
            elif isinstance(sub, ast.Name | ast.Attribute):
                name = self.lib(sub)
                if name:
                    found.add(name)
        return found

    def annotation_qualnames(self, node: ast.expr | None) -> set[str]:
        """Qualified names (any module) mentioned in an annotation."""
        found: set[str] = set()
        if node is None:
            return found
        for sub in ast.walk(parse_annotation(node)):
            if isinstance(sub, ast.Name | ast.Attribute):
                qual = self.qualname(sub)
                if qual:
                    found.add(qual)
        return found

    def tag_value(self, node: ast.expr) -> str | None:
        """Static value of a tag argument: a string literal or a library tag constant."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        qual = self.qualname(node)
        if qual is None:
            return None
        parts = qual.split(".")
        if parts[0] == LIBRARY and parts[-1] in STANDARD_TAGS:
            return STANDARD_TAGS[parts[-1]]
        return None
