"""Every rule against its fixtures: code that must trigger it (on exactly the lines marked
``# expect: CODE``) and code that must not (aliasing and false-positive traps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from framealloc_lint import RULES, analyze_source
from tests.lint.support import FIXTURES, expected_lines, fixture_config

CASES = sorted(
    (directory.name, path)
    for directory in FIXTURES.iterdir()
    if directory.is_dir()
    for path in directory.glob("*.py")
)


@pytest.mark.parametrize(("code", "path"), CASES, ids=[f"{c}/{p.name}" for c, p in CASES])
def test_fixture(code: str, path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    diagnostics = analyze_source(
        source, str(path), fixture_config(path.parent), module_name=path.stem
    )
    got = sorted(d.line for d in diagnostics if d.code == code)
    if path.name.startswith("bad"):
        want = expected_lines(source, code)
        assert want, f"{path.name} marks no line with '# expect: {code}'"
        assert got == want, [str(d) for d in diagnostics if d.code == code]
    else:
        assert path.name.startswith("good")
        assert got == [], [d.message for d in diagnostics if d.code == code]


# FA902 says the analyser itself could not finish; no source is meant to trigger it (it is
# tested by breaking a check on purpose, in test_runner.py).
FIXTURE_CODES = sorted(code for code, rule in RULES.items() if rule.category != "internal")


@pytest.mark.parametrize("code", FIXTURE_CODES)
def test_every_rule_has_three_bad_and_three_good_fixtures(code: str) -> None:
    directory = FIXTURES / code
    bad = sorted(directory.glob("bad*.py"))
    good = sorted(directory.glob("good*.py"))
    assert len(bad) >= 3, f"{code}: {len(bad)} triggering fixtures"
    assert len(good) >= 3, f"{code}: {len(good)} non-triggering fixtures"
    total_marks = sum(len(expected_lines(p.read_text(), code)) for p in bad)
    assert total_marks >= 3
