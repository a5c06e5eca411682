"""Inline suppression: ``# fa: allow FA601`` (this line, or the next when alone on its line)
and ``# fa: allow-file FA8xx``-style file-wide suppression (``# fa: allow-file FA801``)."""

from __future__ import annotations

import io
import re
import tokenize

from framealloc_lint.model import Diagnostic

__all__ = ["Suppressions"]

_PATTERN = re.compile(r"#\s*fa:\s*allow(-file)?\b([^#]*)", re.IGNORECASE)
_ALL = "*"


def _codes(text: str) -> set[str]:
    words = {w.upper() for w in re.split(r"[\s,]+", text.strip()) if w}
    if not words or "ALL" in words:
        return {_ALL}
    return {w for w in words if re.fullmatch(r"FA\d{3}", w)}


class Suppressions:
    """The ``# fa: allow`` comments of one source file.

    Args:
        source: The file's text.
    """

    def __init__(self, source: str) -> None:
        self.by_line: dict[int, set[str]] = {}
        self.file_wide: set[str] = set()
        if "fa:" not in source.lower():
            return
        lines = source.splitlines()
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        except (tokenize.TokenError, SyntaxError):
            return
        for tok in tokens:
            if tok.type != tokenize.COMMENT:
                continue
            match = _PATTERN.search(tok.string)
            if match is None:
                continue
            codes = _codes(match.group(2))
            if match.group(1):
                self.file_wide |= codes
                continue
            line = tok.start[0]
            self.by_line.setdefault(line, set()).update(codes)
            if lines[line - 1].lstrip().startswith("#"):
                self.by_line.setdefault(self._next_code_line(lines, line), set()).update(codes)

    @staticmethod
    def _next_code_line(lines: list[str], line: int) -> int:
        for number in range(line + 1, len(lines) + 1):
            text = lines[number - 1].strip()
            if text and not text.startswith("#"):
                return number
        return line

    def allows(self, diagnostic: Diagnostic) -> bool:
        """Whether a comment suppresses ``diagnostic``."""
        codes = self.by_line.get(diagnostic.line, set()) | self.file_wide
        return diagnostic.code in codes or _ALL in codes
