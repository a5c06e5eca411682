"""Running the checks: over a source string, a file, or a tree of files."""

from __future__ import annotations

import ast
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from framealloc_lint.analysis import ModuleAnalysis
from framealloc_lint.checks import CHECKS
from framealloc_lint.codes import PARSE_ERROR, RULES
from framealloc_lint.config import DEFAULT_EXCLUDES, LintConfig
from framealloc_lint.model import Diagnostic, Severity
from framealloc_lint.suppress import Suppressions
from framealloc_lint.symbols import LIBRARY

__all__ = [
    "RunResult",
    "analyze_paths",
    "analyze_source",
    "collect_files",
    "module_name_for",
]


@dataclass
class RunResult:
    """Outcome of a run.

    Attributes:
        diagnostics: Reported findings, sorted by path and position.
        files: Files analysed.
        sources: Text of each analysed file (for rendering snippets).
        stopped_early: ``--fail-fast`` stopped the run at the first error.
    """

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    stopped_early: bool = False

    def count(self, severity: Severity) -> int:
        """Number of findings with this severity."""
        return sum(1 for d in self.diagnostics if d.severity == severity)


def module_name_for(path: Path) -> tuple[str, bool]:
    """Dotted module name of a file, walking up through packages; and whether it is a package."""
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts) or path.stem, is_package


def _policy(diagnostics: Iterable[Diagnostic], config: LintConfig,
            suppressions: Suppressions) -> Iterator[Diagnostic]:  # fmt: skip
    for diag in diagnostics:
        if not config.enabled(diag.code) or suppressions.allows(diag):
            continue
        severity = config.severity_of(diag.code)
        if severity >= config.min_severity:
            yield diag.with_severity(severity)


def _parse_error(path: str, err: Exception) -> Diagnostic:
    line = getattr(err, "lineno", None) or 1
    col = getattr(err, "offset", None) or 1
    message = getattr(err, "msg", None) or str(err)
    rule = RULES[PARSE_ERROR]
    return Diagnostic(path, line, col, PARSE_ERROR, Severity.ERROR,
                      f"cannot parse file: {message}", "nothing in this file was checked",
                      rule.help)  # fmt: skip


def _internal_error(path: str, check: str, err: Exception) -> Diagnostic:
    return Diagnostic(path, 1, 1, PARSE_ERROR, Severity.ERROR,
                      f"internal analyser error in the {check} checks: "
                      f"{type(err).__name__}: {err}",
                      "the other checks ran; please report this with the file",
                      RULES[PARSE_ERROR].help)  # fmt: skip


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
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source, filename=path)
        except (SyntaxError, ValueError) as err:
            return list(_policy([_parse_error(path, err)], config, Suppressions("")))
    name = module_name or Path(path).stem
    if LIBRARY not in source and not name.startswith(LIBRARY):
        return []  # nothing can refer to the library: no check can fire
    analysis = ModuleAnalysis(tree, path, name, config, is_package)
    suppressions = Suppressions(source)
    found: list[Diagnostic] = []
    for check in CHECKS:
        if not any(config.enabled(code) for code in check.codes):
            continue
        try:
            produced = list(check.run(analysis))
        except Exception as err:  # noqa: BLE001 - one broken check must not stop the run
            produced = [_internal_error(path, check.name, err)]
        found.extend(_policy(produced, config, suppressions))
        if fail_fast and any(d.severity is Severity.ERROR for d in found):
            break
    return sorted(set(found))


def _excluded(rel: str, name: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        pat = pattern.rstrip("/")
        if fnmatchcase(name, pat) or fnmatchcase(rel, pat) or rel.startswith(pat + "/"):
            return True
        if pat.endswith("/**") and (rel == pat[:-3] or rel.startswith(pat[:-2])):
            return True
    return False


def collect_files(paths: Iterable[Path], config: LintConfig) -> list[Path]:
    """Python files under ``paths`` (files given explicitly are always kept), minus excludes."""
    patterns = (*DEFAULT_EXCLUDES, *config.exclude)
    out: list[Path] = []
    for path in paths:
        if path.is_file():
            out.append(path)
            continue
        for directory, dirnames, filenames in os.walk(path):
            base = Path(directory)
            dirnames[:] = sorted(
                d for d in dirnames
                if not _excluded(_rel(base / d, config.root), d, patterns)
            )  # fmt: skip
            for filename in sorted(filenames):
                file = base / filename
                if filename.endswith(".py") and not _excluded(
                    _rel(file, config.root), filename, patterns
                ):
                    out.append(file)
    return out


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def analyze_paths(
    paths: Iterable[Path], config: LintConfig | None = None, *, fail_fast: bool = False
) -> RunResult:
    """Check every Python file under ``paths``.

    Args:
        paths: Files and directories.
        config: Configuration (defaults when None).
        fail_fast: Stop at the first error-severity finding.
    """
    config = config or LintConfig()
    result = RunResult()
    for file in collect_files(paths, config):
        shown = _display(file)
        try:
            source = file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            result.files.append(shown)
            result.diagnostics.append(_parse_error(shown, err))
            if fail_fast:
                result.stopped_early = True
                break
            continue
        module, is_package = module_name_for(file)
        found = analyze_source(source, shown, config, module_name=module,
                               is_package=is_package, fail_fast=fail_fast)  # fmt: skip
        result.files.append(shown)
        result.sources[shown] = source
        result.diagnostics.extend(found)
        if fail_fast and any(d.severity is Severity.ERROR for d in found):
            result.stopped_early = True
            break
    result.diagnostics.sort()
    return result


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
