"""``fa`` benchmark: speed over a large tree, memory per source line, corpus precision.

Run: ``python benchmarks/lint.py`` (all three, a few minutes), or one part:

- ``python benchmarks/lint.py speed [PATH] [--jobs N]``: ``fa check`` over PATH (default: this
  Python's standard library directory, site-packages included: about 13,000 files) with N
  worker processes (default: one per CPU), then with one; the best of ``--repeat`` runs.
- ``python benchmarks/lint.py memory [LINES]``: peak memory (tracemalloc) of checking one
  generated module of LINES lines (default 200,000; made of the precision corpus's allocator
  code), in bytes per source line.
- ``python benchmarks/lint.py corpus``: precision and recall on ``tests/lint/corpus``.

Timings depend on the machine and on what else runs on it; the README quotes this script.
"""

from __future__ import annotations

import argparse
import gc
import sys
import sysconfig
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from framealloc_lint import LintConfig, analyze_paths, analyze_source  # noqa: E402
from framealloc_lint.runner import default_jobs  # noqa: E402
from tests.lint.support import CORPUS, expected_findings, generated_module  # noqa: E402


def speed(path: Path, jobs: int, repeat: int) -> None:
    """Wall time of checking every file under ``path``, in parallel and in one process."""
    for count in dict.fromkeys([jobs, 1]):
        best = float("inf")
        result = None
        for _ in range(repeat):
            start = time.perf_counter()
            result = analyze_paths([path], LintConfig(root=path), jobs=count)
            best = min(best, time.perf_counter() - start)
        assert result is not None
        print(f"speed: {len(result.files):,} files under {path} with {count} job(s): "
              f"{best:.1f} s ({len(result.files) / best:,.0f} files/s), "
              f"{len(result.diagnostics)} findings")  # fmt: skip


def memory(lines: int) -> None:
    """Peak traced memory of checking one generated module, per source line."""
    source = generated_module(lines)
    count = source.count("\n")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    found = analyze_source(source, "generated.py")
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    print(f"memory: {count:,}-line module: peak {peak / 2**20:.0f} MiB = {peak / count:.0f} "
          f"bytes per line ({len(found)} findings, {seconds:.0f} s under tracemalloc)")  # fmt: skip


def corpus() -> None:
    """Precision and recall of every finding on the marked corpus."""
    result = analyze_paths([CORPUS], LintConfig(root=CORPUS))
    found = {(Path(d.path).resolve().relative_to(CORPUS.resolve()).as_posix(), d.line, d.code)
             for d in result.diagnostics}  # fmt: skip
    expected = expected_findings(CORPUS)
    hits = len(found & expected)
    print(f"corpus: {len(result.files)} files, {len(expected)} marked mistakes, {len(found)} "
          f"findings: precision {hits / max(1, len(found)):.3f}, "
          f"recall {hits / max(1, len(expected)):.3f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the parts asked for (all of them by default)."""
    parser = argparse.ArgumentParser(prog="python benchmarks/lint.py", allow_abbrev=False)
    parser.add_argument("part", nargs="?", choices=["speed", "memory", "corpus", "all"],
                        default="all")  # fmt: skip
    parser.add_argument("arg", nargs="?", help="speed: the tree to check; memory: lines")
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    if args.part in ("speed", "all"):
        tree = Path(args.arg if args.part == "speed" and args.arg
                    else sysconfig.get_paths()["stdlib"])  # fmt: skip
        speed(tree, args.jobs, args.repeat)
    if args.part in ("memory", "all"):
        memory(int(args.arg) if args.part == "memory" and args.arg else 200_000)
    if args.part in ("corpus", "all"):
        corpus()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
