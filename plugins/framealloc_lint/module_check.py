"""Checking one module's source: parse, analyse, apply configuration and suppressions."""

from __future__ import annotations

import ast
import re
import symtable
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

from framealloc_lint.analysis import TRIGGER_METHODS, ModuleAnalysis
from framealloc_lint.checks import CHECKS
from framealloc_lint.chunks import SMALL_SOURCE_LINES, ModuleSource, parse_source
from framealloc_lint.codes import ANALYSIS_ERROR, PARSE_ERROR, RULES
from framealloc_lint.config import LintConfig
from framealloc_lint.model import Diagnostic, Severity
from framealloc_lint.scope import ProjectLookup
from framealloc_lint.suppress import Suppressions
from framealloc_lint.symbols import LIBRARY

__all__ = [
    "analysis_error",
    "analyze_source",
    "check_syntax",
    "may_refer_to_library",
    "parse_error",
]

# What a module must contain for any check to fire: the library's name, or a call of an
# allocator method (on an allocator imported from another module of the project).
_TRIGGER = re.compile(
    LIBRARY + r"|\.(?:" + "|".join(sorted(TRIGGER_METHODS, key=len, reverse=True)) + r")\b"
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
        message = "too large or too deeply nested for Python's parser"
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


def _symtable_check(text: str, path: str, first_line: int = 1) -> None:
    padded = "\n" * (first_line - 1) + text if first_line > 1 else text
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            symtable.symtable(padded, path, "exec")
    except SyntaxError:
        parse_source(text, path, first_line)  # raises when the parser itself rejects it


def check_syntax(source: str, path: str) -> None:
    """Raise what Python's parser raises for ``source``, without keeping a syntax tree.

    The symbol-table pass parses in C and builds no Python tree, so it is much cheaper than
    :func:`ast.parse`; it also rejects a few things the parser accepts (a misplaced
    ``nonlocal``), so its errors are confirmed with :func:`ast.parse` before being reported.
    Large sources are checked chunk by chunk (bounded memory).

    Raises:
        SyntaxError: The parser rejects ``source`` (``ValueError`` for null bytes).
    """
    if source.count("\n") > SMALL_SOURCE_LINES:
        ModuleSource(source, path).validate(_symtable_check)
    else:
        _symtable_check(source, path)


def analyze_source(
    source: str,
    path: str = "<string>",
    config: LintConfig | None = None,
    *,
    module_name: str | None = None,
    is_package: bool = False,
    tree: ast.Module | None = None,
    fail_fast: bool = False,
    project: ProjectLookup | None = None,
    relevant: bool | None = None,
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
        project: The project's other modules, to follow names imported from them.
        relevant: Whether the source may refer to the library at all (computed when None);
            when it cannot, only its syntax is checked.

    Returns:
        The findings, after configuration and ``# fa: allow`` comments, sorted by position.

    Example:
        >>> analyze_source("x = 1\\n")
        []
    """
    config = config or LintConfig()
    name = module_name or Path(path).stem
    if relevant is None:
        relevant = may_refer_to_library(source, name)
    no_comments = Suppressions("")
    try:
        if tree is not None:
            module = ModuleSource(source, path, tree=tree)
        elif relevant:
            module = ModuleSource(source, path)
        else:
            check_syntax(source, path)
            return []  # nothing can refer to the library: no check can fire
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        return list(_policy([parse_error(path, err)], config, no_comments))
    if not relevant:
        return []
    try:
        analysis = ModuleAnalysis(module, path, name, config, is_package, project)
    except (SyntaxError, ValueError) as err:  # a large source's chunks are parsed here
        return list(_policy([parse_error(path, err)], config, no_comments))
    except (RecursionError, MemoryError) as err:
        return list(_policy([analysis_error(path, "analysis", err)], config, no_comments))
    suppressions = Suppressions(source, module.chunks)
    try:
        found = _run_checks(analysis, config, suppressions, fail_fast)
    except (RecursionError, MemoryError) as err:
        found = list(_policy([analysis_error(path, "analysis", err)], config, suppressions))
    return sorted(set(found))


def _run_checks(analysis: ModuleAnalysis, config: LintConfig, suppressions: Suppressions,
                fail_fast: bool) -> list[Diagnostic]:  # fmt: skip
    found: list[Diagnostic] = []
    for check in CHECKS:
        if not any(config.enabled(code) for code in check.codes):
            continue
        try:
            produced = list(check.run(analysis))
        except Exception as err:  # noqa: BLE001 - one broken check must not stop the run
            produced = [analysis_error(analysis.path, f"{check.name} checks", err)]
        found.extend(_policy(produced, config, suppressions))
        if fail_fast and any(d.severity is Severity.ERROR for d in found):
            break
    return found
