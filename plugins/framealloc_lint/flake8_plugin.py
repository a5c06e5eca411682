"""flake8 entry point: the ``fa`` checks as flake8 findings (``FA601 ...``) in editors and CI.

Registered in ``pyproject.toml`` as ``FA = "framealloc_lint.flake8_plugin:FaFlake8Plugin"``;
configuration comes from the nearest ``.fa.toml`` (or ``[tool.fa]``), as for ``fa check``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from framealloc_lint.config import ConfigError, LintConfig, find_config, load_config
from framealloc_lint.formats import TOOL_VERSION
from framealloc_lint.runner import analyze_source, module_name_for

__all__ = ["FaFlake8Plugin"]


@lru_cache(maxsize=64)
def _config_for(directory: str) -> LintConfig:
    found = find_config(Path(directory))
    if found is None:
        return LintConfig()
    try:
        return load_config(found)
    except ConfigError:
        return LintConfig()


class FaFlake8Plugin:
    """flake8 AST plugin running every ``fa`` check on the file flake8 parsed.

    Args:
        tree: The module flake8 parsed.
        filename: The file's path.
        lines: The file's lines (for ``# fa: allow`` comments).
    """

    name = "framealloc-fa"
    version = TOOL_VERSION

    def __init__(self, tree: ast.AST, filename: str = "<stdin>",
                 lines: list[str] | None = None) -> None:  # fmt: skip
        self.tree = tree
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type[FaFlake8Plugin]]]:
        """Yield ``(line, column, "FA601 message", type)`` for each finding."""
        path = Path(self.filename)
        real = path.is_file()
        config = _config_for(str(path.resolve().parent if real else Path.cwd()))
        if self.lines is not None:
            source = "".join(self.lines)
        else:
            source = path.read_text(encoding="utf-8") if real else ""
        module, is_package = module_name_for(path) if real else (path.stem, False)
        tree = self.tree if isinstance(self.tree, ast.Module) else None
        for diag in analyze_source(source, self.filename, config, module_name=module,
                                   is_package=is_package, tree=tree):  # fmt: skip
            yield diag.line, diag.column - 1, f"{diag.code} {diag.message}", type(self)
