"""``fa show``: what the analyser recognised in one file (to explain its findings)."""

from __future__ import annotations

from pathlib import Path

from framealloc_lint.analysis import ModuleAnalysis
from framealloc_lint.chunks import ModuleSource
from framealloc_lint.config import LintConfig
from framealloc_lint.modules import module_name_for
from framealloc_lint.project import ProjectIndex
from framealloc_lint.scope import ALLOCATORS
from framealloc_lint.sources import SourceError, read_source

__all__ = ["describe"]


def describe(path: Path, config: LintConfig) -> str:
    """A short report of allocators, systems, frames and workers found in ``path``."""
    try:
        source = ModuleSource(read_source(path), str(path))
        source.validate()
    except (SyntaxError, ValueError, SourceError, RecursionError, MemoryError) as err:
        return f"fa show: {path}: cannot parse ({err})\n"
    module, is_package = module_name_for(path)
    analysis = ModuleAnalysis(source, str(path), module, config, is_package, ProjectIndex(path))
    scopes = analysis.scopes
    allocs = [
        f"{name} (module, {kind.split(':')[1]})"
        for name, kind in scopes.module_kinds.items()
        if kind in ALLOCATORS
    ]
    allocs += [
        f"{name} (imported from {scopes.imports.names[name].rpartition('.')[0]})"
        for name in scopes.imports.names
        if scopes.imported_kind(name) in ALLOCATORS
    ]
    for fn in scopes.functions:
        allocs += [
            f"{name} in {fn.qualname} ({kind.split(':')[1]})"
            for name, kind in fn.kinds.items()
            if kind in ALLOCATORS
        ]
        if fn.cls is not None:
            allocs += [
                f"self.{attr} in {fn.cls.name} ({kind.split(':')[1]})"
                for attr, kind in fn.cls.attr_kinds.items()
                if kind in ALLOCATORS
            ]
    systems = [f"{fn.qualname} ({'in a frame' if status is not False else 'no frame'})"
               for fn, status in analysis.systems.items()]  # fmt: skip
    frames = [
        fn.qualname if fn else "<module>" for fn, flow in analysis.flows.items() if flow.opens_frame
    ]
    workers = sorted(
        {fn.qualname if fn else "<module>" for fn, flow in analysis.flows.items() if flow.spawns}
    )
    count = sum(len(flow.allocs) for flow in analysis.flows.values())

    def line(label: str, items: list[str]) -> str:
        return f"  {label:<22}{', '.join(sorted(set(items))) or '-'}"

    return "\n".join([
        f"fa show: {path} (module {module})",
        line("allocators:", allocs),
        line("systems:", systems),
        line("opens frames:", frames),
        line("spawns threads:", workers),
        f"  {'allocation calls:':<22}{count}",
        "",
    ])  # fmt: skip
