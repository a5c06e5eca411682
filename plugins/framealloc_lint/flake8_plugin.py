"""flake8 entry point: the ``fa`` checks as flake8 findings (``FA601 ...``) in editors and CI.

Registered in ``pyproject.toml`` as ``FA = "framealloc_lint.flake8_plugin:FaFlake8Plugin"``;
configuration comes from the nearest ``.fa.toml`` (or ``[tool.fa]``), as for ``fa check``.

The ``FA`` prefix is also flake8-future-annotations' (FA100, FA102; ruff uses the same codes).
The numbers never collide (ours are FA2xx and FA6xx-FA9xx), so ``--select FA2,FA6,FA7,FA8,FA9``
picks ours alone; or rename ours with ``--fa-code-prefix FAL`` (``fa-code-prefix = FAL`` in the
flake8 configuration) and select ``FAL``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from framealloc_lint.config import ConfigError, LintConfig, find_config, load_config
from framealloc_lint.modules import module_name_for
from framealloc_lint.output.common import TOOL_VERSION
from framealloc_lint.runner import analyze_source
from framealloc_lint.sources import SourceError, read_source

__all__ = ["DEFAULT_PREFIX", "FaFlake8Plugin", "check_prefix"]

DEFAULT_PREFIX = "FA"
_PREFIX = re.compile(r"[A-Z]{1,3}")


def check_prefix(prefix: str) -> str:
    """Validate a code prefix: 1-3 capital letters, so ``PREFIX601`` is a valid flake8 code.

    Raises:
        ValueError: For anything else.
    """
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"fa-code-prefix must be 1 to 3 capital letters (like FA or FAL), not {prefix!r}"
        )
    return prefix


@lru_cache(maxsize=64)
def _config_for(directory: str) -> LintConfig:
    try:
        found = find_config(Path(directory))
        return load_config(found) if found is not None else LintConfig()
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
    #: Letters put in front of the code number (``FA`` + ``601``); see ``--fa-code-prefix``.
    prefix: ClassVar[str] = DEFAULT_PREFIX

    def __init__(self, tree: ast.AST, filename: str = "<stdin>",
                 lines: list[str] | None = None) -> None:  # fmt: skip
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        """Register ``--fa-code-prefix`` (also read from flake8 configuration files)."""
        manager.add_option(
            "--fa-code-prefix",
            default=DEFAULT_PREFIX,
            parse_from_config=True,
            help="letters in front of framealloc fa codes (default: FA; FA is also "
            "flake8-future-annotations' prefix: set FAL and select FAL to tell them apart)",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        """Take the prefix from the parsed options.

        Raises:
            flake8.exceptions.ExecutionError: The prefix is not 1-3 capital letters.
        """
        try:
            cls.prefix = check_prefix(str(options.fa_code_prefix))
        except ValueError as err:
            from flake8.exceptions import ExecutionError

            raise ExecutionError(str(err)) from None

    def run(self) -> Iterator[tuple[int, int, str, type[FaFlake8Plugin]]]:
        """Yield ``(line, column, "FA601 message", type)`` for each finding."""
        path = Path(self.filename)
        real = path.is_file()
        config = _config_for(str(path.resolve().parent if real else Path.cwd()))
        if self.lines is not None:
            source = "".join(self.lines)
        else:
            try:
                source = read_source(path) if real else ""
            except SourceError:
                source = ""
        module, is_package = module_name_for(path) if real else (path.stem, False)
        tree = self.tree if isinstance(self.tree, ast.Module) else None
        for diag in analyze_source(source, self.filename, config, module_name=module,
                                   is_package=is_package, tree=tree):  # fmt: skip
            code = self.prefix + diag.code[2:]
            yield diag.line, diag.column - 1, f"{code} {diag.message}", type(self)
