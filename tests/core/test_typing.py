"""The allocation API is typed as numpy's constructors are: ``frame_alloc(np.float32, n)``
is an ``NDArray[np.float32]`` to mypy (``typing_sample.py`` is checked, strict)."""

from __future__ import annotations

from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

SAMPLE = Path(__file__).with_name("typing_sample.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_allocations_have_their_element_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # mypy finds the package from the clone
    out, err, status = mypy_api.run(
        ["--strict", "--no-incremental", "--config-file", str(ROOT / "pyproject.toml"),
         str(SAMPLE)]
    )  # fmt: skip
    assert status == 0, out + err


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_wrong_element_type_is_caught(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)
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
    out, _, status = mypy_api.run(
        ["--strict", "--no-incremental", "--config-file", str(config), str(wrong)]
    )
    assert status == 1
    assert "floating" in out or "float32" in out
    assert "int8" in out or "signedinteger" in out
