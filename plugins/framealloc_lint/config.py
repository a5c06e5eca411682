"""Configuration: ``.fa.toml`` (or ``[tool.fa]`` in ``pyproject.toml``) read with ``tomllib``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from framealloc_lint.codes import RULES, canonical_code
from framealloc_lint.model import Severity
from framealloc_lint.symbols import STANDARD_TAGS

__all__ = [
    "CONFIG_NAME",
    "DEFAULT_EXCLUDES",
    "ConfigError",
    "LintConfig",
    "find_config",
    "load_config",
]

#: Directories never worth analysing.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git", ".hg", ".svn", ".venv", "venv", "__pycache__", "build", "dist", ".tox", ".nox",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "node_modules", "*.egg-info",
)  # fmt: skip
CONFIG_NAME = ".fa.toml"


class ConfigError(ValueError):
    """A configuration file or option that cannot be used."""


@dataclass(frozen=True)
class LintConfig:
    """Everything that changes what the analyser reports.

    Attributes:
        min_severity: Findings below this are not reported.
        exclude: Glob patterns of paths to skip (matched against relative paths and names).
        deny_warnings: Exit with 1 when any warning is reported.
        levels: Per-code severity overrides.
        disabled: Codes not reported (``--allow``).
        denied: Codes reported as errors (``--deny``).
        only: When set, the only codes checked.
        known_tags: Tags accepted by FA802 besides the library's.
        strict_tags: Every tag outside ``known_tags`` is FA802 (set when the configuration
            lists ``known_tags``); otherwise only near-misses of known tags are.
        module_tags: Module pattern -> the tag that module owns (FA801/FA803).
        loop_allocation_limit: Allocations per loop tolerated before FA602.
        small_loop: Literal loops with at most this many iterations are not hot.
        root: Directory exclude patterns are relative to.
        source: The configuration file these settings came from, if any.
        notes: Warnings about the configuration (renamed codes) for the command line to show.
    """

    min_severity: Severity = Severity.HINT
    exclude: tuple[str, ...] = ()
    deny_warnings: bool = False
    levels: dict[str, Severity] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    denied: frozenset[str] = frozenset()
    only: frozenset[str] | None = None
    known_tags: frozenset[str] = frozenset(STANDARD_TAGS.values())
    strict_tags: bool = False
    module_tags: dict[str, str] = field(default_factory=dict)
    loop_allocation_limit: int = 0
    small_loop: int = 8
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None
    notes: tuple[str, ...] = ()

    def enabled(self, code: str) -> bool:
        """Whether ``code`` is checked at all."""
        if code in self.disabled:
            return False
        return self.only is None or code in self.only

    def severity_of(self, code: str) -> Severity:
        """Effective severity of ``code`` after ``levels`` and ``denied``."""
        if code in self.denied:
            return Severity.ERROR
        return self.levels.get(code, RULES[code].severity)

    def merged(self, **changes: Any) -> LintConfig:
        """A copy with some fields replaced."""
        return replace(self, **changes)


def _codes(value: Any, where: str, notes: list[str]) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of codes")
    codes: set[str] = set()
    unknown: list[str] = []
    for item in value:
        try:
            code, note = canonical_code(item)
        except KeyError:
            unknown.append(item.strip().upper())
            continue
        codes.add(code)
        if note:
            notes.append(f"{where}: {note}")
    if unknown:
        raise ConfigError(f"{where}: unknown code(s) {', '.join(sorted(unknown))}")
    return frozenset(codes)


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table")
    return value


def _parse(data: dict[str, Any], root: Path) -> LintConfig:
    glob, lints = _table(data, "global"), _table(data, "lints")
    tags, thresholds = _table(data, "tags"), _table(data, "thresholds")
    config = LintConfig(root=root)
    notes: list[str] = []
    try:
        if "min_severity" in glob:
            config = config.merged(min_severity=Severity.parse(str(glob["min_severity"])))
        levels: dict[str, Severity] = {}
        disabled = set(_codes(lints.get("disabled", []), "[lints] disabled", notes))
        raw_levels = _table(lints, "levels") if "levels" in lints else {}
        raw_levels |= {k: v for k, v in lints.items() if k.upper().startswith("FA")}
        for code, level in raw_levels.items():
            (code_up,) = _codes([code], "[lints] levels", notes)
            if str(level).lower() in ("allow", "off", "disabled"):
                disabled.add(code_up)
            else:
                levels[code_up] = Severity.parse(str(level))
    except ValueError as err:
        raise ConfigError(str(err)) from None
    exclude = glob.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise ConfigError("[global] exclude must be a list of glob patterns")
    module_tags = tags.get("module_tags", {})
    known = tags.get("known_tags", [])
    if not isinstance(module_tags, dict) or not isinstance(known, list):
        raise ConfigError("[tags] module_tags must be a table and known_tags a list")
    limits: dict[str, int] = {}
    for key in ("loop_allocation_limit", "small_loop"):
        if key in thresholds:
            if not isinstance(thresholds[key], int) or thresholds[key] < 0:
                raise ConfigError(f"[thresholds] {key} must be a non-negative integer")
            limits[key] = thresholds[key]
    return config.merged(
        exclude=tuple(exclude),
        deny_warnings=bool(glob.get("deny_warnings", False)),
        levels=levels,
        disabled=frozenset(disabled),
        known_tags=config.known_tags
        | {str(t) for t in known}
        | set(map(str, module_tags.values())),
        strict_tags="known_tags" in tags,
        module_tags={str(k): str(v) for k, v in module_tags.items()},
        notes=tuple(notes),
        **limits,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text (a binary file?)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}") from None


def _fa_table(data: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """``[tool.fa]`` of a parsed ``pyproject.toml`` (None when it has none)."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: [tool] must be a table")
    section = tool.get("fa")
    if section is not None and not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.fa] must be a table")
    return section


def load_config(path: Path) -> LintConfig:
    """Read a ``.fa.toml`` (or a ``pyproject.toml``'s ``[tool.fa]``).

    Raises:
        ConfigError: When the file cannot be read, is not UTF-8 TOML, or holds invalid
            settings.
    """
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        data = _fa_table(data, path) or {}
    try:
        config = _parse(data, path.resolve().parent)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
    return config.merged(source=path)


def find_config(start: Path) -> Path | None:
    """Nearest ``.fa.toml``, or ``pyproject.toml`` with ``[tool.fa]``, at or above ``start``.

    Raises:
        ConfigError: A ``pyproject.toml`` met on the way cannot be read as TOML (it might
            hold the configuration, so it is not silently passed over).
    """
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and _fa_table(_read_toml(pyproject), pyproject) is not None:
            return pyproject
    return None
