"""Fast syntax-tree traversal: child nodes without ``ctx`` markers and string fields.

``ast.iter_child_nodes`` is a generator over every field, including the ``Load``/``Store``
marker of each name; the analyser walks each tree a few times, so this matters for speed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = ["Location", "children", "location", "walk"]

_SKIP = {"ctx", "type_comment", "kind"}
_FIELDS: dict[type, tuple[str, ...]] = {}
_LEAVES = (ast.Name, ast.Constant, ast.Global, ast.Nonlocal, ast.Pass, ast.Break, ast.Continue)


def _fields(cls: type) -> tuple[str, ...]:
    fields = _FIELDS.get(cls)
    if fields is None:
        leaf = issubclass(cls, _LEAVES)
        fields = () if leaf else tuple(f for f in cls._fields if f not in _SKIP)  # type: ignore[attr-defined]
        _FIELDS[cls] = fields
    return fields


def children(node: ast.AST) -> list[ast.AST]:
    """The direct child nodes of ``node`` (expression contexts left out)."""
    out: list[ast.AST] = []
    for name in _fields(type(node)):
        value = getattr(node, name, None)
        if isinstance(value, list):
            out.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def walk(node: ast.AST) -> list[ast.AST]:
    """``node`` and every node below it (any order)."""
    out = [node]
    stack = [node]
    while stack:
        kids = children(stack.pop())
        out.extend(kids)
        stack.extend(kids)
    return out


@dataclass(frozen=True, slots=True)
class Location:
    """Where a node is: kept instead of the node, whose subtree may be large.

    Attributes:
        lineno: 1-based line.
        col_offset: 0-based column.
        end_lineno: Last line of the node.
    """

    lineno: int
    col_offset: int
    end_lineno: int


def location(node: ast.AST | Location) -> Location:
    """The location of ``node`` (a :class:`Location` is returned as is)."""
    if isinstance(node, Location):
        return node
    line = getattr(node, "lineno", 1)
    return Location(line, getattr(node, "col_offset", 0), getattr(node, "end_lineno", None) or line)
