"""Precision and recall on a corpus of realistic game code (``tests/lint/corpus``).

The corpus holds game loops in the style of the demos (App systems, hand-written loops,
workers, asyncio) and plain pygame projects with and without the allocator; each real mistake
is marked ``# expect: CODE`` on its line. Every finding ``fa`` reports that is not marked is
a false positive; every marker ``fa`` does not report is a false negative.
"""

from __future__ import annotations

from pathlib import Path

from framealloc_lint import LintConfig, analyze_paths
from tests.lint.support import CORPUS, expected_findings

MIN_PRECISION = 0.95
MIN_RECALL = 0.90


def reported(root: Path) -> set[tuple[str, int, str]]:
    result = analyze_paths([root], LintConfig(root=root))
    return {(Path(d.path).resolve().relative_to(root.resolve()).as_posix(), d.line, d.code)
            for d in result.diagnostics}  # fmt: skip


def test_precision_and_recall_on_the_corpus(record_property: object) -> None:
    expected = expected_findings(CORPUS)
    found = reported(CORPUS)
    true_positives = found & expected
    precision = len(true_positives) / len(found) if found else 1.0
    recall = len(true_positives) / len(expected) if expected else 1.0
    print(f"\ncorpus: {len(found)} findings, {len(expected)} expected: "
          f"precision {precision:.3f}, recall {recall:.3f}")  # fmt: skip
    assert len(expected) >= 20
    assert precision >= MIN_PRECISION, f"false positives: {sorted(found - expected)}"
    assert recall >= MIN_RECALL, f"missed: {sorted(expected - found)}"


def test_the_corpus_is_realistic_in_both_directions() -> None:
    files = sorted(CORPUS.rglob("*.py"))
    with_allocator = [f for f in files if "framealloc_engine" in f.read_text()
                      or "memory import alloc" in f.read_text()]  # fmt: skip
    clean = {f for f in files if not any(e[0] == f.relative_to(CORPUS).as_posix()
                                         for e in expected_findings(CORPUS))}  # fmt: skip
    assert len(files) >= 15
    assert len(files) - len(with_allocator) >= 4  # plain pygame / numpy, no allocator
    assert len(clean & set(with_allocator)) >= 3  # correct allocator code, nothing to find
