"""The README's ``fa`` section documents what ``fa`` has: every code, format and option."""

from __future__ import annotations

import re
from pathlib import Path

from framealloc_lint.cli import build_parser
from framealloc_lint.codes import RULES
from framealloc_lint.formats import FORMATS

README = Path(__file__).resolve().parents[2] / "README.md"


def fa_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Static analysis: `fa`")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_every_code_and_format_is_documented() -> None:
    section = fa_section()
    for code in RULES:
        listed = code in section or any(
            f"{a}–{b}" in section and a <= code <= b
            for a, b in re.findall(r"(FA\d{3})–(FA\d{3})", section)
        )
        assert listed, code
    for name in FORMATS:
        assert f"`{name}`" in section, name


def test_every_check_option_is_documented() -> None:
    parser = build_parser()
    check = parser._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    section = fa_section()
    options = {o for a in check._actions for o in a.option_strings if o.startswith("--")}
    assert sorted(o for o in options - {"--help"} if o not in section) == []
