"""Limits: deep expressions, the recursion limit, large modules read in chunks, memory."""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

import framealloc_lint.chunks as chunks
from framealloc_lint import LintConfig, analyze_paths, analyze_source
from framealloc_lint.chunks import ModuleSource
from tests.lint.support import FIXTURES, generated_module

ROOT = Path(__file__).resolve().parents[2]
HEAD = (
    "import numpy as np\nfrom framealloc_engine import AllocResource\n\n\n"
    "class T:\n    def update(self, alloc: AllocResource) -> None:\n"
)


def codes(source: str) -> list[tuple[int, str]]:
    return [(d.line, d.code) for d in analyze_source(source, "deep.py")]


@pytest.mark.parametrize(
    "expression",
    [
        " + ".join(f"a{i}" for i in range(2000)),  # a + b + ... (left-nested BinOps)
        "a" + "[0]" * 2000,  # chained subscripts
        "a" + ".b" * 2000,  # chained attributes
        "a" + ".f()" * 1000,  # chained calls
        " if c else ".join(["x"] * 1000),  # nested conditional expressions
    ],
    ids=["sum", "subscripts", "attributes", "calls", "conditionals"],
)
def test_deep_expressions_are_analysed(expression: str) -> None:
    source = HEAD + f"        total = {expression}\n" \
        "        self.keep = alloc.frame_alloc(np.float32, 4)\n"  # fmt: skip
    assert codes(source) == [(8, "FA601")]  # the finding after the deep line is still found


def test_a_frame_value_is_followed_through_2000_slices() -> None:
    source = HEAD + "        buf = alloc.frame_alloc(np.float32, 4)\n" \
        f"        self.keep = buf{'[:]' * 2000}\n"  # fmt: skip
    assert codes(source) == [(8, "FA601")]


def test_what_python_cannot_parse_is_fa900() -> None:
    source = "import framealloc_engine\nx = " + " + ".join(f"a{i}" for i in range(100_000))
    (diag,) = analyze_source(source, "huge.py")
    assert diag.code == "FA900"
    assert "too deeply nested" in diag.message


@pytest.fixture
def default_recursion_limit() -> Iterator[None]:
    # The premise of the test below is CPython's default limit (1,000). Another test may leave
    # it raised (Hypothesis raises it while a property runs and, when a thread changed it
    # meanwhile, leaves it as it found it), so pin it here and put it back.
    kept = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(kept)


@pytest.mark.usefixtures("default_recursion_limit")
def test_recursion_limit_in_a_check_is_reported_per_file(tmp_path: Path) -> None:
    # A 2,000-function call chain: deciding whether the last function runs in a frame follows
    # every caller; past the recursion limit the file gets FA902, and the other files are
    # checked as usual.
    lines = ["import numpy as np", "from framealloc_engine import SmartAlloc", "",
             "alloc = SmartAlloc()", ""]  # fmt: skip
    lines += [f"def f{i}() -> None:\n    f{i + 1}()\n" for i in range(2000)]
    lines += ["def f2000() -> None:\n    alloc.frame_alloc(np.float32, 4)\n", "f0()\n"]
    (tmp_path / "chain.py").write_text("\n".join(lines))
    (tmp_path / "other.py").write_text((FIXTURES / "FA601" / "bad_self_store.py").read_text())
    result = analyze_paths([tmp_path])
    by_file = {(Path(d.path).name, d.code) for d in result.diagnostics}
    assert ("chain.py", "FA902") in by_file
    assert ("other.py", "FA601") in by_file
    (fa902,) = [d for d in result.diagnostics if d.code == "FA902"]
    assert "nested too deeply" in fa902.message


def _all_findings() -> list[tuple[str, int, int, str, str]]:
    result = analyze_paths([FIXTURES, ROOT / "demos"], LintConfig(root=ROOT))
    return [(d.path, d.line, d.column, d.code, d.message) for d in result.diagnostics]


def test_chunked_reading_finds_exactly_what_whole_reading_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = _all_findings()
    assert len(whole) > 100
    monkeypatch.setattr(chunks, "SMALL_SOURCE_LINES", 0)  # every file in chunks...
    monkeypatch.setattr(chunks, "CHUNK_LINES", 3)  # ...of a few statements
    assert _all_findings() == whole


def test_chunks_are_whole_statements_and_errors_keep_their_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(chunks, "CHUNK_LINES", 50)
    source = generated_module(3000)
    module = ModuleSource(source, "big.py")
    module.validate()
    assert len(module.chunks) > 10
    assert "".join(c.text for c in module.chunks) == source
    broken = source.splitlines(keepends=True)
    line = 2345
    broken[line - 1] = "def oops(:\n"
    with pytest.raises(SyntaxError) as whole:
        ModuleSource("".join(broken), "big.py").validate()
    (diag,) = [d for d in analyze_source("".join(broken), "big.py") if d.code == "FA900"]
    assert whole.value.lineno == diag.line == line


@pytest.mark.slow
def test_memory_stays_under_one_kilobyte_per_line() -> None:
    """Peak traced memory of checking a generated 12,000-line module, per line of it."""
    source = generated_module(12_000)
    lines = source.count("\n")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        found = analyze_source(source, "generated.py")
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert found  # the generated code holds real findings: the whole analysis ran
    assert peak / lines < 1024, f"{peak / lines:.0f} bytes per line"
