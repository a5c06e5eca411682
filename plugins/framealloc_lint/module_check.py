"""Checking one module's source: parse, analyse, apply configuration and suppressions."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

from framealloc_lint.analysis import ModuleAnalysis
from framealloc_lint.checks import CHECKS
from framealloc_lint.codes import ANALYSIS_ERROR, PARSE_ERROR, RULES
from framealloc_lint.config import LintConfig
from framealloc_lint.model import Diagnostic, Severity
from framealloc_lint.suppress import Suppressions
from framealloc_lint.symbols import LIBRARY

__all__ = ["analysis_error", "analyze_source", "may_refer_to_library", "parse_error"]

# What a module must contain for any check to fire: the library's name, or a call of an
# allocator method (on an allocator imported from another module of the project).
_TRIGGER = re.compile(
    LIBRARY + r"|\.(?:frame_\w+|try_frame_alloc|begin_frame|end_frame\w*|pool_alloc|pool_box"
    r"|heap_alloc|heap_box|with_tag|signal_frame_complete|set_thread_budget_config)\b"
)
_QUICK = ("frame", "pool_", "heap_", "with_tag", "set_thread_budget")


def may_refer_to_library(source: str, module_name: str = "") -> bool:
    """Whether any check can fire on ``source``: it names the library or calls its methods."""
    if module_name.startswith(LIBRARY):
        return True
    if not any(word in source for word in _QUICK):
        return False
    return _TRIGGER.search(source) is not None


def parse_error(path: str, err: BaseException) -> Diagnostic:
    """FA900 for a file that cannot be read, decoded or parsed."""
    line = getattr(err, "lineno", None) or 1
    col = getattr(err, "offset", None) or 1
    if isinstance(err, RecursionError | MemoryError):
        message = "too deeply nested for Python's parser"
    else:
        message = getattr(err, "msg", None) or str(err)
    return Diagnostic(path, line, col, PARSE_ERROR, Severity.ERROR,
                      f"cannot parse file: {message}", "nothing in this file was checked",
                      RULES[PARSE_ERROR].help)  # fmt: skip


def analysis_error(path: str, stage: str, err: BaseException) -> Diagnostic:
    """FA902 for a check (or the shared analysis) that could not finish on a file."""
    if isinstance(err, RecursionError):
        why = "the code is nested too deeply to follow"
    elif isinstance(err, MemoryError):
        why = "out of memory"
    else:
        why = f"internal analyser error: {type(err).__name__}: {err}"
    note = (
        "no check could run on this file"
        if stage == "analysis"
        else "the other checks ran; findings of this one may be missing"
    )
    return Diagnostic(path, 1, 1, ANALYSIS_ERROR, Severity.ERROR,
                      f"the {stage} stopped on this file ({why})", note,
                      RULES[ANALYSIS_ERROR].help)  # fmt: skip


def _policy(diagnostics: Iterable[Diagnostic], config: LintConfig,
            suppressions: Suppressions) -> Iterator[Diagnostic]:  # fmt: skip
    for diag in diagnostics:
        if not config.enabled(diag.code) or suppressions.allows(diag):
            continue
        severity = config.severity_of(diag.code)
        if severity >= config.min_severity:
            yield diag.with_severity(severity)


def _parse(source: str, path: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, filename=path)


def analyze_source(
    source: str,
    path: str = "<string>",
    config: LintConfig | None = None,
    *,
    module_name: str | None = None,
    is_package: bool = False,
    tree: ast.Module | None = None,
    fail_fast: bool = False,
) -> list[Diagnostic]:
    """Check one module's source text.

    Args:
        source: The Python source.
        path: Path used in diagnostics.
        config: Configuration (defaults when None).
        module_name: Dotted module name (defaults to the file's stem).
        is_package: Whether the source is a package ``__init__``.
        tree: An already parsed tree of ``source`` (flake8 passes one).
        fail_fast: Stop after the first check family that reports an error.

    Returns:
        The findings, after configuration and ``# fa: allow`` comments, sorted by position.

    Example:
        >>> analyze_source("x = 1\\n")
        []
    """
    config = config or LintConfig()
    name = module_name or Path(path).stem
    no_comments = Suppressions("")
    if tree is None:
        try:
            tree = _parse(source, path)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
            return list(_policy([parse_error(path, err)], config, no_comments))
    if not may_refer_to_library(source, name):
        return []  # nothing can refer to the library: no check can fire
    suppressions = Suppressions(source)
    try:
        analysis = ModuleAnalysis(tree, path, name, config, is_package)
    except (RecursionError, MemoryError) as err:
        return list(_policy([analysis_error(path, "analysis", err)], config, suppressions))
    found: list[Diagnostic] = []
    for check in CHECKS:
        if not any(config.enabled(code) for code in check.codes):
            continue
        try:
            produced = list(check.run(analysis))
        except Exception as err:  # noqa: BLE001 - one broken check must not stop the run
            produced = [analysis_error(path, f"{check.name} checks", err)]
        found.extend(_policy(produced, config, suppressions))
        if fail_fast and any(d.severity is Severity.ERROR for d in found):
            break
    return sorted(set(found))
