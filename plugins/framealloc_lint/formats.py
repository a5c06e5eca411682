"""Output formats: text, compact, json, sarif (2.1.0), junit and checkstyle XML, and the CI
annotation formats github and gitlab."""

from __future__ import annotations

from collections.abc import Callable

from framealloc_lint.output.ci import render_github, render_gitlab
from framealloc_lint.output.common import TOOL_NAME, TOOL_VERSION, summary_line
from framealloc_lint.output.sarif import render_sarif
from framealloc_lint.output.text import render_compact, render_json, render_text
from framealloc_lint.output.xml import render_checkstyle, render_junit
from framealloc_lint.runner import RunResult

__all__ = ["FORMATS", "TOOL_NAME", "TOOL_VERSION", "render", "summary_line"]

#: Format name -> renderer.
FORMATS: dict[str, Callable[[RunResult], str]] = {
    "text": render_text,
    "compact": render_compact,
    "json": render_json,
    "sarif": render_sarif,
    "junit": render_junit,
    "checkstyle": render_checkstyle,
    "github": render_github,
    "gitlab": render_gitlab,
}


def render(result: RunResult, fmt: str = "text") -> str:
    """Render a run in one of :data:`FORMATS`.

    Raises:
        KeyError: For an unknown format name.
    """
    return FORMATS[fmt](result)
