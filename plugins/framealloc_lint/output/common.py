"""What every output format shares: the tool's identity and the summary line."""

from __future__ import annotations

from framealloc_lint.model import Severity
from framealloc_lint.runner import RunResult

__all__ = ["HOME", "RULES_URI", "TOOL_NAME", "TOOL_VERSION", "summary_line"]

TOOL_NAME = "fa"
TOOL_VERSION = "0.2.0"
#: The project's home (SARIF ``informationUri``).
HOME = "https://github.com/framealloc-engine/framealloc-engine"
#: Where the codes are documented (SARIF ``helpUri``).
RULES_URI = f"{HOME}#static-analysis-fa"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(result: RunResult) -> str:
    """``fa: 12 files checked: 1 error, 2 warnings, 0 hints``, plus skipped paths if any."""
    text = (
        f"fa: {_plural(len(result.files), 'file')} checked: "
        f"{_plural(result.count(Severity.ERROR), 'error')}, "
        f"{_plural(result.count(Severity.WARNING), 'warning')}, "
        f"{_plural(result.count(Severity.HINT), 'hint')}"
    )
    if result.skipped:
        text += f"; {_plural(len(result.skipped), 'path')} skipped (not regular or unreadable)"
    return text + (" (stopped at the first error: --fail-fast)" if result.stopped_early else "")
