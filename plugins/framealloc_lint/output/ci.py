"""CI annotation formats, as ruff has them: ``github`` (workflow commands) and ``gitlab``
(a Code Quality report)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from framealloc_lint.model import Diagnostic, Severity
from framealloc_lint.runner import RunResult

__all__ = ["render_github", "render_gitlab"]

_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.HINT: "notice"}
_GITLAB_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.HINT: "info"}


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: RunResult) -> str:
    """One GitHub Actions workflow command per finding (``::warning file=...::message``).

    GitHub shows them as annotations on the pull request's changed lines.
    """
    lines = []
    for d in result.diagnostics:
        props = ",".join([
            f"title={_github_property(f'fa ({d.code})')}",
            f"file={_github_property(d.path)}",
            f"line={d.line}",
            f"col={d.column}",
        ])  # fmt: skip
        message = _github_data(f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}")
        lines.append(f"::{_GITHUB_LEVEL[d.severity]} {props}::{message}")
    return "".join(line + "\n" for line in lines)


def _project_path(path: str) -> str:
    """``path`` relative to ``$CI_PROJECT_DIR`` (GitLab's checkout), when it is below it."""
    root = os.environ.get("CI_PROJECT_DIR")
    if not root:
        return path
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except (ValueError, OSError):
        return path


def _source_line(result: RunResult, diag: Diagnostic) -> str:
    source = result.sources.get(diag.path)
    if source is None:
        return ""
    lines = source.splitlines()
    return lines[diag.line - 1].strip() if 0 < diag.line <= len(lines) else ""


def render_gitlab(result: RunResult) -> str:
    """A GitLab Code Quality report (a JSON array), shown in merge requests.

    Fingerprints hash the path, code, message and the text of the flagged line (not its
    number), so a finding keeps its fingerprint when lines above it move; identical findings
    in one file are told apart by their order.
    """
    seen: dict[str, int] = {}
    issues = []
    for d in result.diagnostics:
        path = _project_path(d.path)
        key = "\0".join([path, d.code, d.message, _source_line(result, d)])
        seen[key] = seen.get(key, 0) + 1
        digest = hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8", "backslashreplace"))
        issues.append({
            "description": f"{d.message}" + (f" ({d.note})" if d.note else ""),
            "check_name": d.code,
            "fingerprint": digest.hexdigest(),
            "severity": _GITLAB_SEVERITY[d.severity],
            "location": {"path": path, "lines": {"begin": d.line, "end": d.line}},
        })  # fmt: skip
    return json.dumps(issues, indent=2) + "\n"
