"""Inline suppression: ``# fa: allow FA601`` (this line, or the next when alone on its line)
and ``# fa: allow-file FA8xx``-style file-wide suppression (``# fa: allow-file FA801``)."""

from __future__ import annotations

import bisect
import io
import re
import tokenize
from collections.abc import Sequence

from framealloc_lint.chunks import Chunk
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
        chunks: The file's top-level chunks, when it was split (see
            :mod:`framealloc_lint.chunks`): only chunks holding a candidate comment are
            tokenized, instead of the whole file.
    """

    def __init__(self, source: str, chunks: Sequence[Chunk] | None = None) -> None:
        self.by_line: dict[int, set[str]] = {}
        self.file_wide: set[str] = set()
        if not _PATTERN.search(source):
            return
        lines = source.splitlines()
        if chunks is None or len(chunks) <= 1:
            self._read(source, 1, lines)
            return
        firsts = [chunk.first_line for chunk in chunks]
        wanted = sorted({
            bisect.bisect_right(firsts, number) - 1
            for number, line in enumerate(lines, start=1)
            if _PATTERN.search(line)
        })  # fmt: skip
        for index in wanted:
            self._read(chunks[index].text, chunks[index].first_line, lines)

    def _read(self, text: str, first_line: int, lines: list[str]) -> None:
        """Collect the comments of ``text``, whose first line is ``first_line`` of the file.

        Tokens are streamed, not listed: a large file's token list would cost more memory
        than its syntax tree.
        """
        offset = first_line - 1
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type == tokenize.COMMENT:
                    self._comment(tok.string, tok.start[0] + offset, lines)
        except (tokenize.TokenError, SyntaxError):
            return

    def _comment(self, comment: str, line: int, lines: list[str]) -> None:
        match = _PATTERN.search(comment)
        if match is None:
            return
        codes = _codes(match.group(2))
        if match.group(1):
            self.file_wide |= codes
            return
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
