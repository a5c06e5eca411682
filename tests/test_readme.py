"""Every ``python`` block of the README runs, in a fresh namespace each."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_runnable_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    code = compile(BLOCKS[index], f"README.md:block{index}", "exec")
    exec(code, {"__name__": f"readme_block_{index}"})  # noqa: S102 - the README is ours
    assert capsys.readouterr().out or "print(" not in BLOCKS[index]
