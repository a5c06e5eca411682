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
