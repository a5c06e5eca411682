"""The floor plan: folders import downward only, and no two folders import each other.

Every ``import``/``from ... import`` in the package counts, ``if TYPE_CHECKING:`` ones
included (a type-only circle is still a circle a reader has to untangle).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "framealloc_engine"

#: Lower numbers are lower floors; a folder may import its own floor or lower ones.
FLOORS: dict[str, int] = {
    "errors": 0,
    "config": 0,
    "diagnostics": 1,
    "allocators": 2,
    "core": 3,
    **dict.fromkeys(
        (
            "budgets", "retention", "lifecycle", "sync", "handles", "streaming", "scratch",
            "groups", "frame_collections", "behavior", "monitoring", "capture",
        ),
        4,
    ),
    "smart": 5,
    "app": 5,
    "bridge": 6,
    "prelude": 7,
    "__init__": 7,
    "__main__": 7,
}
#: What the engine may use of the allocator's package: its errors, diagnostics and barrier.
ENGINE_MAY_IMPORT = {"errors", "diagnostics", "sync.barrier"}


def _folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports() -> dict[str, set[str]]:
    """``module -> {imported framealloc_engine modules}`` for every module of the package."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(p for p in rel.parts if p != "__init__") if rel.name == "__init__" \
            else ".".join(rel.parts)  # fmt: skip
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.startswith("framealloc_engine"):
                    targets.add(node.module)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.startswith("framealloc_engine"))
        found[module] = targets
    return found


def test_every_folder_has_a_floor() -> None:
    folders = {_folder(m) for m in _imports()}
    assert folders - FLOORS.keys() == set()


def test_no_import_runs_back_up() -> None:
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in _imports().items()
        for target in targets
        if _folder(target) != "__init__" or target == "framealloc_engine"
        if FLOORS[_folder(target)] > FLOORS[_folder(module)]
    )
    assert upward == []


def test_no_circle_between_folders() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in _imports().items():
        for target in targets:
            a, b = _folder(module), _folder(target)
            if a != b:
                edges[a].add(b)
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, path: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle.extend([*path, node, nxt])
                return True
            if nxt not in state and visit(nxt, [*path, node]):
                return True
        state[node] = 2
        return False

    for node in sorted(edges):
        if node not in state and visit(node, []):
            break
    assert cycle == []


def test_the_engine_knows_no_allocator() -> None:
    reaches = sorted(
        f"{module} -> {target}"
        for module, targets in _imports().items()
        if _folder(module) == "app"
        for target in targets
        if _folder(target) != "app"
        and target.removeprefix("framealloc_engine.") not in ENGINE_MAY_IMPORT
    )
    assert reaches == []


def test_the_core_knows_no_feature() -> None:
    reaches = sorted(
        f"{module} -> {target}"
        for module, targets in _imports().items()
        if _folder(module) in ("core", "allocators")
        for target in targets
        if FLOORS[_folder(target)] >= FLOORS["core"] + 1
    )
    assert reaches == []
