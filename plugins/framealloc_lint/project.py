"""The other modules of a project: what their module-level names and classes hold.

An allocator created in one module and imported in another (``from game.memory import
alloc``) is followed: the importing module's analysis asks this index for the kind of
``game.memory.alloc``, and the index reads ``game/memory.py``'s top level (its imports,
module-level names and classes, never its findings) the way a module is read for analysis.
Modules are looked up under the importing file's package root and its own directory (where
Python would find them when the project runs), never in site-packages; each file read is
cached per process. Import cycles and unreadable modules give no kind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from framealloc_lint.chunks import ModuleSource
from framealloc_lint.modules import module_name_for, package_root
from framealloc_lint.scope import Scopes
from framealloc_lint.sources import SourceError, read_source

__all__ = ["ProjectIndex"]

_MAX_CACHED = 256


@dataclass
class _Cache:
    """Module summaries shared by every index in this process."""

    scopes: dict[tuple[str, float], Scopes | None] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)
    files: dict[tuple[tuple[Path, ...], str], Path | None] = field(default_factory=dict)


_SHARED = _Cache()


class ProjectIndex:
    """Kinds of names defined in the project's modules, for one importing file.

    Args:
        importer: The file whose imports are followed (its package root and directory are
            where modules are looked for).
    """

    def __init__(self, importer: Path) -> None:
        here = importer.resolve().parent
        roots = [package_root(importer), here]
        self.roots: list[Path] = list(dict.fromkeys(roots))
        self._cache = _SHARED

    def kind_of(self, qualname: str) -> str | None:
        """Kind of the module-level name ``qualname`` (``game.memory.alloc``), if known."""
        module, _, name = qualname.rpartition(".")
        scopes = self._module(module) if module else None
        if scopes is None:
            return None
        kind = scopes.module_kinds.get(name)
        return kind if kind is not None else scopes.imported_kind(name)  # a re-export

    def class_attrs(self, qualname: str) -> dict[str, str]:
        """Kinds of the ``self`` attributes of the class ``qualname`` (``game.base.Game``)."""
        module, _, name = qualname.rpartition(".")
        scopes = self._module(module) if module else None
        if scopes is None:
            return {}
        with self._reading(f"{module}:classes") as free:
            if free:
                scopes.read_definitions()
        cls = scopes.classes.get(name)
        return dict(cls.attr_kinds) if cls is not None else {}

    def module_names(self, module: str) -> dict[str, str]:
        """Kinds of every module-level name of ``module`` (for ``from module import *``)."""
        scopes = self._module(module)
        if scopes is None:
            return {}
        return {k: v for k, v in scopes.module_kinds.items() if not k.startswith("_")}

    def find(self, module: str) -> Path | None:
        """The file of ``module`` under this project's roots, if there is one (cached)."""
        key = (tuple(self.roots), module)
        if key not in self._cache.files:
            self._cache.files[key] = self._find(module)
        return self._cache.files[key]

    def _find(self, module: str) -> Path | None:
        parts = module.split(".")
        if not all(part.isidentifier() for part in parts):
            return None
        for root in self.roots:
            base = root.joinpath(*parts)
            for candidate in (base.with_name(base.name + ".py"), base / "__init__.py"):
                if candidate.is_file():
                    return candidate
        return None

    @contextmanager
    def _reading(self, key: str) -> Iterator[bool]:
        """Guard against import cycles: yields False when ``key`` is already being read."""
        if key in self._cache.active:
            yield False
            return
        self._cache.active.add(key)
        try:
            yield True
        finally:
            self._cache.active.discard(key)

    def _module(self, module: str) -> Scopes | None:
        path = self.find(module)
        if path is None:
            return None
        try:
            stamp = os.stat(path).st_mtime
        except OSError:
            return None
        key = (str(path.resolve()), stamp)
        if key in self._cache.scopes:
            return self._cache.scopes[key]
        with self._reading(key[0]) as free:
            if not free:
                return None  # an import cycle: the module is being read further up
            scopes = self._read(path)
        if len(self._cache.scopes) >= _MAX_CACHED:
            self._cache.scopes.clear()
            self._cache.files.clear()
        self._cache.scopes[key] = scopes
        return scopes

    def _read(self, path: Path) -> Scopes | None:
        try:
            source = ModuleSource(read_source(path), str(path))
            name, is_package = module_name_for(path)
            return Scopes(source, name, is_package, ProjectIndex(path), definitions=False)
        except (SourceError, SyntaxError, ValueError, RecursionError, MemoryError):
            return None
