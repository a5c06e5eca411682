"""The allocation API is typed as numpy's constructors are: ``frame_alloc(np.float32, n)``
is an ``NDArray[np.float32]`` to mypy (``typing_sample.py`` is checked, strict).

mypy runs in a child process: in-process it raises the interpreter's recursion limit for good
(``mypy.main`` sets 2**14), which changes what later tests see."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

SAMPLE = Path(__file__).with_name("typing_sample.py")
ROOT = Path(__file__).resolve().parents[2]


def run_mypy(args: list[str]) -> tuple[str, int]:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=280, check=False,
    )  # fmt: skip
    return done.stdout + done.stderr, done.returncode


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_allocations_have_their_element_type() -> None:
    # cwd is the clone: mypy finds the package there
    out, status = run_mypy(
        ["--strict", "--no-incremental", "--config-file", str(ROOT / "pyproject.toml"),
         str(SAMPLE)]
    )  # fmt: skip
    assert status == 0, out


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_wrong_element_type_is_caught(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.py"
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")
    wrong.write_text(
        "from typing import assert_type\n"
        "import numpy as np\n"
        "from numpy.typing import NDArray\n"
        "from framealloc_engine import SmartAlloc\n"
        "assert_type(SmartAlloc().frame_alloc(np.float32, 4), NDArray[np.int8])\n",
        encoding="utf-8",
    )
    out, status = run_mypy(
        ["--strict", "--no-incremental", "--config-file", str(config), str(wrong)]
    )
    assert status == 1
    assert "floating" in out or "float32" in out
    assert "int8" in out or "signedinteger" in out
