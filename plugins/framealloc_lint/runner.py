"""Running the checks over files and trees of files, in parallel across files.

The analyser is per file (a module's imports are followed by reading the imported modules'
top level, never their findings), so files are spread over worker processes and the results
put back in discovery order: the report is the same whatever the number of jobs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from framealloc_lint.config import LintConfig
from framealloc_lint.discovery import discover
from framealloc_lint.model import Diagnostic, Severity
from framealloc_lint.module_check import (
    analysis_error,
    analyze_source,
    may_refer_to_library,
    parse_error,
)
from framealloc_lint.modules import module_name_for
from framealloc_lint.project import ProjectIndex
from framealloc_lint.sources import NotRegularFileError, SourceError, read_source
from framealloc_lint.symbols import LIBRARY

__all__ = [
    "FileReport",
    "RunResult",
    "analyze_file",
    "analyze_paths",
    "analyze_source",
    "collect_files",
    "default_jobs",
    "display_path",
    "module_name_for",
]

# Below this many files a pool costs more than it saves.
_PARALLEL_MIN_FILES = 16
_BATCH = 8


@dataclass
class RunResult:
    """Outcome of a run.

    Attributes:
        diagnostics: Reported findings, sorted by path and position.
        files: Files analysed.
        sources: Text of each analysed file that has findings (for rendering snippets).
        stopped_early: ``--fail-fast`` stopped the run at the first error.
        excluded: ``(path, pattern)`` for paths left out by an exclude pattern.
        skipped: ``(path, reason)`` for ``*.py`` entries that are not regular files.
    """

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    stopped_early: bool = False
    excluded: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def count(self, severity: Severity) -> int:
        """Number of findings with this severity."""
        return sum(1 for d in self.diagnostics if d.severity == severity)


@dataclass
class FileReport:
    """What checking one file produced.

    Attributes:
        path: The file as shown in reports.
        diagnostics: Its findings.
        source: Its text when it has findings (snippets need it), else None.
        skipped: Why the file was not read, when it was not (it turned out not to be regular).
    """

    path: str
    diagnostics: list[Diagnostic]
    source: str | None = None
    skipped: str | None = None


def display_path(path: Path) -> str:
    """``path`` relative to the current directory when below it, as shown in reports.

    Bytes of a file name that are not UTF-8 are shown as ``\\xNN`` escapes, so every output
    format can be written. (No symbolic link is resolved: this is called for every file.)
    """
    absolute = os.path.abspath(path)
    here = os.getcwd()
    if absolute == here:
        shown = "."
    elif absolute.startswith(here.rstrip(os.sep) + os.sep):
        shown = absolute[len(here.rstrip(os.sep)) + 1 :]
    else:
        shown = path.as_posix() if not path.is_absolute() else absolute
    shown = shown.replace(os.sep, "/")
    return os.fsencode(shown).decode("utf-8", "backslashreplace")


def analyze_file(file: Path, config: LintConfig, fail_fast: bool = False) -> FileReport:
    """Read and check one file; never raises for a problem with the file itself."""
    shown = display_path(file)
    try:
        source = read_source(file)
    except NotRegularFileError as err:
        return FileReport(shown, [], skipped=str(err))
    except SourceError as err:
        return FileReport(shown, [parse_error(shown, err)])
    try:
        relevant = may_refer_to_library(source)
        if relevant or LIBRARY in str(file):
            module, is_package = module_name_for(file)
            relevant = relevant or may_refer_to_library(source, module)
            project: ProjectIndex | None = ProjectIndex(file)
        else:  # no check can fire: only the syntax is checked (no name needed)
            module, is_package, project = file.stem, False, None
        found = analyze_source(source, shown, config, module_name=module,
                               is_package=is_package, fail_fast=fail_fast,
                               project=project, relevant=relevant)  # fmt: skip
    except (RecursionError, MemoryError) as err:
        found = [analysis_error(shown, "analysis", err)]
    return FileReport(shown, found, source if found else None)


def collect_files(paths: Iterable[Path], config: LintConfig) -> list[Path]:
    """Python files under ``paths`` (files given explicitly are always kept), minus excludes."""
    return discover(paths, config).files


def default_jobs() -> int:
    """Processes to use: one per CPU this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_WORKER_CONFIG: list[tuple[LintConfig, bool]] = []


def _init_worker(config: LintConfig, fail_fast: bool) -> None:
    _WORKER_CONFIG[:] = [(config, fail_fast)]


def _check_batch(files: list[Path]) -> list[FileReport]:
    config, fail_fast = _WORKER_CONFIG[0]
    return [analyze_file(file, config, fail_fast) for file in files]


def _serial(files: list[Path], config: LintConfig, fail_fast: bool) -> Iterator[FileReport]:
    for file in files:
        yield analyze_file(file, config, fail_fast)


def _drain(
    pool: ProcessPoolExecutor,
    results: Iterator[list[FileReport]],
    batches: list[list[Path]],
    config: LintConfig,
    fail_fast: bool,
) -> Iterator[FileReport]:
    done = 0
    try:
        for batch in results:
            done += 1
            yield from batch
    except BrokenProcessPool:  # a worker died (killed, out of memory): finish here
        for files in batches[done:]:
            yield from _serial(files, config, fail_fast)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _parallel(
    files: list[Path], config: LintConfig, fail_fast: bool, jobs: int
) -> Iterator[FileReport]:
    batches = [files[i : i + _BATCH] for i in range(0, len(files), _BATCH)]
    pool = ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(config, fail_fast))
    try:
        results = pool.map(_check_batch, batches)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    return _drain(pool, results, batches, config, fail_fast)


def _reports(
    files: list[Path], config: LintConfig, fail_fast: bool, jobs: int
) -> Iterator[FileReport]:
    if jobs <= 1 or len(files) < _PARALLEL_MIN_FILES:
        return _serial(files, config, fail_fast)
    try:
        return _parallel(files, config, fail_fast, min(jobs, len(files)))
    except (OSError, ImportError, NotImplementedError):  # no process support (a sandbox)
        return _serial(files, config, fail_fast)


def analyze_paths(
    paths: Iterable[Path],
    config: LintConfig | None = None,
    *,
    fail_fast: bool = False,
    jobs: int = 1,
) -> RunResult:
    """Check every Python file under ``paths``.

    Args:
        paths: Files and directories.
        config: Configuration (defaults when None).
        fail_fast: Stop at the first error-severity finding (in discovery order).
        jobs: Worker processes (1: check in this process).
    """
    config = config or LintConfig()
    found = discover(paths, config)
    result = RunResult(
        excluded=[(display_path(p), pattern) for p, pattern in found.excluded],
        skipped=[(display_path(p), reason) for p, reason in found.skipped],
    )
    for report in _reports(found.files, config, fail_fast, jobs):
        if report.skipped is not None:
            result.skipped.append((report.path, report.skipped))
            continue
        result.files.append(report.path)
        result.diagnostics.extend(report.diagnostics)
        if report.source is not None:
            result.sources[report.path] = report.source
        if fail_fast and any(d.severity is Severity.ERROR for d in report.diagnostics):
            result.stopped_early = True
            break
    result.diagnostics.sort()
    return result
