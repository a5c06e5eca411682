"""Shared helpers for the ``fa`` analyser tests."""

from __future__ import annotations

import re
from pathlib import Path

from framealloc_lint.config import LintConfig, load_config

FIXTURES = Path(__file__).parent / "fixtures"
_EXPECT = re.compile(r"#\s*expect:\s*((?:FA\d{3}[\s,]*)+)")


def expected_lines(source: str, code: str) -> list[int]:
    """Lines carrying an ``# expect: CODE`` marker for ``code``."""
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match and code in re.split(r"[\s,]+", match.group(1)):
            found.append(number)
    return found


def fixture_config(directory: Path) -> LintConfig:
    """The configuration a fixture directory asks for (its ``fa.toml``), or the defaults."""
    config_file = directory / "fa.toml"
    return load_config(config_file) if config_file.is_file() else LintConfig()


CORPUS = Path(__file__).parent / "corpus"


def expected_findings(root: Path) -> set[tuple[str, int, str]]:
    """``(file, line, code)`` for every ``# expect: CODE`` marker under ``root``."""
    found: set[tuple[str, int, str]] = set()
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        for number, line in enumerate(source.splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                found |= {(rel, number, c) for c in re.split(r"[\s,]+", match.group(1)) if c}
    return found


def generated_module(lines: int) -> str:
    """A large realistic module: the corpus's allocator-using files, repeated to ``lines``.

    ``from __future__`` imports are dropped (they must open a module) and relative imports
    made absolute, so the text is one valid module whatever its length.
    """
    parts = []
    for path in sorted(CORPUS.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "framealloc_engine" not in text and "memory import alloc" not in text:
            continue
        text = text.replace("from __future__ import annotations\n", "")
        text = re.sub(r"^from \.(\w+) import", r"from game.\1 import", text, flags=re.M)
        parts.append(text)
    unit = "\n\n".join(parts)
    copies = max(1, -(-lines // unit.count("\n")))
    return "\n\n".join([unit] * copies)
