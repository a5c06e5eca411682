"""Human formats: ``text`` (with source snippets), ``compact`` (one line each) and ``json``."""

from __future__ import annotations

import json

from framealloc_lint.model import Diagnostic, Severity
from framealloc_lint.output.common import TOOL_NAME, TOOL_VERSION, summary_line
from framealloc_lint.runner import RunResult

__all__ = ["render_compact", "render_json", "render_one", "render_text"]


def render_one(diag: Diagnostic, source: str | None) -> str:
    """One finding as rustc-style text, with its source line when ``source`` is given."""
    lines = [f"{diag.severity.label}[{diag.code}]: {diag.message}"]
    gutter = " " * len(str(diag.line))
    lines.append(f"{gutter}--> {diag.path}:{diag.line}:{diag.column}")
    if source is not None:
        src = source.splitlines()
        if 0 < diag.line <= len(src):
            code = src[diag.line - 1].rstrip()
            lines += [f"{gutter} |", f"{diag.line} | {code}",
                      f"{gutter} | {' ' * (diag.column - 1)}^"]  # fmt: skip
    if diag.note:
        lines.append(f"{gutter} = note: {diag.note}")
    if diag.help:
        lines.append(f"{gutter} = help: {diag.help}")
    return "\n".join(lines)


def render_text(result: RunResult) -> str:
    """Every finding with its snippet, then the summary line."""
    parts = [render_one(d, result.sources.get(d.path)) for d in result.diagnostics]
    parts.append(summary_line(result))
    return "\n\n".join(parts) + "\n"


def render_compact(result: RunResult) -> str:
    """``path:line:col: severity[CODE] message``, one per line."""
    lines = [
        f"{d.path}:{d.line}:{d.column}: {d.severity.label}[{d.code}] {d.message}"
        for d in result.diagnostics
    ]
    return "".join(line + "\n" for line in lines)


def render_json(result: RunResult) -> str:
    """The run as one JSON object (tool, counts, findings)."""
    data = {
        "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
        "files": len(result.files),
        "stopped_early": result.stopped_early,
        "summary": {s.label: result.count(s) for s in Severity},
        "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
        "diagnostics": [d.to_dict() for d in result.diagnostics],
    }
    return json.dumps(data, indent=2) + "\n"
