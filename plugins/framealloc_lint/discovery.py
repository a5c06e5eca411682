"""Finding the files to check: explicit paths are honoured, directories are walked.

A path named on the command line is always checked, even inside an excluded directory
(``fa check venv/patch.py``) or when a pattern matches it, as ruff and flake8 do. Below a named
directory, entries matching the default excludes (``.git``, ``venv``, ...) or the configured
``exclude`` globs are skipped and recorded, so ``--verbose`` can say why. Only regular files
are kept: a FIFO or a link to a device named ``*.py`` is recorded as skipped, never opened.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from framealloc_lint.config import DEFAULT_EXCLUDES, LintConfig
from framealloc_lint.sources import file_kind

__all__ = ["Discovery", "discover", "excluded_by"]


@dataclass
class Discovery:
    """What a walk over the given paths found.

    Attributes:
        files: Files to check, in a stable order (explicit files first, as given).
        excluded: ``(path, pattern)`` for each path left out by an exclude pattern.
        skipped: ``(path, reason)`` for each ``*.py`` entry that is not a readable regular file,
            and each directory that cannot be listed.
    """

    files: list[Path] = field(default_factory=list)
    excluded: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def excluded_by(rel: str, name: str, patterns: Iterable[str]) -> str | None:
    """The first pattern excluding a path (relative path ``rel``, base name ``name``), if any.

    A pattern matches the base name (``venv``, ``*.egg-info``), the relative path
    (``gen/*.py``), or a directory prefix (``build`` and ``build/**`` both exclude
    ``build/x.py``).
    """
    for pattern in patterns:
        pat = pattern.rstrip("/")
        if fnmatchcase(name, pat) or fnmatchcase(rel, pat) or rel.startswith(pat + "/"):
            return pattern
        if pat.endswith("/**") and (rel == pat[:-3] or rel.startswith(pat[:-2])):
            return pattern
    return None


class _Matcher:
    """:func:`excluded_by` for many paths: one compiled regular expression answers "none"."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        alternatives = []
        for pattern in patterns:
            pat = pattern.rstrip("/")
            glob = fnmatch.translate(pat)
            alternatives += [glob, re.escape(pat) + "/.*"]
            if pat.endswith("/**"):
                alternatives.append(re.escape(pat[:-3]) + r"(?:/.*)?\Z")
        self.any = re.compile("|".join(f"(?:{a})" for a in alternatives) or "(?!)", re.S)

    def __call__(self, rel: str, name: str) -> str | None:
        if self.any.match(name) is None and self.any.match(rel) is None:
            return None
        return excluded_by(rel, name, self.patterns)


def _rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (both resolved), or ``path`` itself when outside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


def _regular(path: Path, found: Discovery) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        found.skipped.append((path, f"cannot read: {err.strerror or err}"))
        return False
    if not stat.S_ISREG(mode):
        found.skipped.append((path, f"not a regular file ({file_kind(mode)})"))
        return False
    return True


def _walk(top: Path, config: LintConfig, patterns: tuple[str, ...], found: Discovery) -> None:
    excluded = _Matcher(patterns)
    top_rel = _rel(top, config.root)
    top_rel = "" if top_rel == "." else top_rel
    top_text = os.fspath(top)

    def unreadable(err: OSError) -> None:  # os.walk would pass over it silently
        found.skipped.append((Path(err.filename or top), f"cannot list: {err.strerror or err}"))

    for directory, dirnames, filenames in os.walk(top, onerror=unreadable):
        base = Path(directory)
        below = directory[len(top_text) :].strip(os.sep).replace(os.sep, "/")
        prefix = "/".join(part for part in (top_rel, below) if part)
        prefix = prefix + "/" if prefix else ""
        kept: list[str] = []
        for name in sorted(dirnames):
            path = base / name
            pattern = excluded(prefix + name, name)
            if pattern is None:
                kept.append(name)
            else:
                found.excluded.append((path, pattern))
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = base / name
            pattern = excluded(prefix + name, name)
            if pattern is not None:
                found.excluded.append((path, pattern))
            elif _regular(path, found):
                found.files.append(path)


def _overridden(top: Path, root: Path, patterns: tuple[str, ...]) -> tuple[str, ...]:
    """Patterns minus those excluding ``top`` or a directory above it: naming ``top`` wins."""
    rel = _rel(top, root)
    if rel in (".", ""):
        return patterns
    parts = rel.split("/")
    ancestors = [("/".join(parts[: i + 1]), parts[i]) for i in range(len(parts))]
    return tuple(
        pattern
        for pattern in patterns
        if not any(excluded_by(a_rel, a_name, [pattern]) for a_rel, a_name in ancestors)
    )


def discover(paths: Iterable[Path], config: LintConfig) -> Discovery:
    """Files to check under ``paths``.

    Args:
        paths: Files and directories as the user named them. A named file is checked whatever
            its name or location; a named directory is walked, and the excludes apply to what
            is below it (not to the directory itself).
        config: Supplies ``exclude`` patterns and the root they are relative to.

    Returns:
        The files, plus what was excluded or skipped and why. A file reached twice is kept once.
    """
    patterns = (*DEFAULT_EXCLUDES, *config.exclude)
    found = Discovery()
    for path in paths:
        if path.is_dir():
            _walk(path, config, _overridden(path, config.root, patterns), found)
        elif _regular(path, found):
            found.files.append(path)
    seen: set[str] = set()
    unique: list[Path] = []
    for file in found.files:
        key = os.path.normcase(os.path.abspath(file))
        if key not in seen:
            seen.add(key)
            unique.append(file)
    found.files = unique
    return found
