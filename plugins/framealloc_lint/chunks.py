"""A module's source as top-level chunks, parsed one at a time so memory stays bounded.

A Python syntax tree costs about 2 KB per source line (4 KB while ``ast.parse`` builds it), so
a 200,000-line generated module would need gigabytes if it were held whole. Large sources are
split at top-level statements into chunks of roughly :data:`CHUNK_LINES` lines; each pass of
the analysis parses one chunk, records what it needs (small facts, a few small nodes) and drops
the tree before parsing the next. Small sources (most files) are parsed once and kept.

A split point is a line starting in column 0 with code (not a comment, not a closing bracket,
not ``else``/``elif``/``except``/``finally``). One inside a string or a bracket makes the chunk
fail to parse; the chunk then grows to the next split point, so every kept chunk is a whole run
of top-level statements and parses exactly as it does inside the file.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["CHUNK_LINES", "SMALL_SOURCE_LINES", "Chunk", "ModuleSource", "parse_source"]

#: Sources up to this many lines are parsed whole, once.
SMALL_SOURCE_LINES = 2000
#: Preferred chunk size of larger sources, in lines.
CHUNK_LINES = 300
_CONTINUATION = re.compile(r"(?:else|elif|except|finally)\b|[)\]}]")


@dataclass(frozen=True)
class Chunk:
    """A run of whole top-level statements.

    Attributes:
        first_line: Line of the file the chunk starts on (1-based).
        text: The chunk's source.
    """

    first_line: int
    text: str


def parse_source(text: str, filename: str, first_line: int = 1) -> ast.Module:
    """Parse ``text`` (warnings silenced), numbering lines from ``first_line``.

    The text is parsed after ``first_line - 1`` empty lines rather than renumbered afterwards
    (:func:`ast.increment_lineno` walks every node; the parser skips blank lines in C).

    Raises:
        SyntaxError: As :func:`ast.parse`, with line numbers counted in the whole file.
    """
    padded = "\n" * (first_line - 1) + text if first_line > 1 else text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(padded, filename=filename)


def _split_points(lines: list[str]) -> list[int]:
    points = []
    for index, line in enumerate(lines):
        code = line[:1] not in ("", " ", "\t", "#", "\n", "\r", "\f")
        if index and code and not _CONTINUATION.match(line):
            points.append(index)
    return points


class ModuleSource:
    """The source of one module, handed out as parsed chunks.

    Args:
        source: The module's text.
        filename: Name used in syntax errors.
        tree: The module's tree when a caller already parsed it (flake8): it is used as is.

    Raises:
        SyntaxError: A small source does not parse (a large one raises it from the first
            :meth:`trees` pass, which finds the split points; :meth:`validate` forces it).
        RecursionError: The source nests deeper than Python's parser allows.
    """

    def __init__(self, source: str, filename: str = "<string>",
                 tree: ast.Module | None = None) -> None:  # fmt: skip
        self.filename = filename
        self.check: Callable[[str, str, int], object] = parse_source
        self.chunks: list[Chunk] = []
        self._cached: list[ast.Module] | None = None
        self._lines: list[str] | None = None
        if tree is not None:
            self._cached = [tree]
            self.chunks = [Chunk(1, source)]
            return
        lines = source.splitlines(keepends=True)
        if len(lines) <= SMALL_SOURCE_LINES:
            self._cached = [parse_source(source, filename)]
            self.chunks = [Chunk(1, source)]
        else:
            self._lines = lines

    def _split(self, lines: list[str]) -> Iterator[object]:
        """Cut ``lines`` into chunks, yielding each chunk's tree as it is found."""
        points = [*_split_points(lines), len(lines)]
        start = 0
        at = 0  # index in ``points`` of the next candidate end
        while start < len(lines):
            want = CHUNK_LINES
            while True:
                while points[at] < len(lines) and points[at] - start < want:
                    at += 1
                end = points[at]
                text = "".join(lines[start:end])
                try:
                    tree = self.check(text, self.filename, start + 1)
                except SyntaxError:
                    if end >= len(lines):
                        raise  # the rest of the file does not parse: a real syntax error
                    want = max(want * 2, end - start + 1)  # a split inside a statement
                    continue
                break
            self.chunks.append(Chunk(start + 1, text))
            start = end
            yield tree

    @property
    def cached(self) -> bool:
        """Whether the trees are kept (a small source), so nodes stay the same objects."""
        return self._cached is not None

    def validate(self, check: Callable[[str, str, int], object] | None = None) -> None:
        """Check every chunk once (raises SyntaxError as :func:`ast.parse` would).

        Args:
            check: Checks one chunk's text (given the file name and first line); raises
                SyntaxError when it does not parse. Defaults to parsing it.
        """
        if self._lines is None:
            return
        previous, self.check = self.check, check or parse_source
        try:
            for _ in self._split(self._lines):
                pass
        finally:
            self.check = previous

    def trees(self) -> Iterator[tuple[int, ast.Module]]:
        """``(chunk index, tree)`` for every chunk, in order (parsed anew unless cached)."""
        if self._cached is not None:
            yield from enumerate(self._cached)
            return
        if self._lines is not None:
            lines, self._lines = self._lines, None
            try:
                for index, tree in enumerate(self._split(lines)):
                    assert isinstance(tree, ast.Module)
                    yield index, tree
            except BaseException:
                self._lines, self.chunks = lines, []
                raise
            return
        for index, chunk in enumerate(self.chunks):
            yield index, parse_source(chunk.text, self.filename, chunk.first_line)

    def tree_of(self, index: int) -> ast.Module:
        """The tree of one chunk (after a first pass over :meth:`trees`)."""
        if self._cached is not None:
            return self._cached[index]
        chunk = self.chunks[index]
        return parse_source(chunk.text, self.filename, chunk.first_line)
