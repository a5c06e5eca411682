"""The README's examples run: every ``python`` block, in order, as one script.

Blocks fenced ``py`` are shown but run elsewhere (the windowed game runs in
``tests/plugins/test_pygame_runner.py``; this file checks the two copies match).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from framealloc_engine.diagnostics import context

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)
SHOWN_ONLY = re.findall(r"```py\n(.*?)```", TEXT, re.S)


def test_readme_has_runnable_examples() -> None:
    assert len(BLOCKS) >= 20


def test_readme_runs_as_one_script(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme"}
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        for index, block in enumerate(BLOCKS):
            code = compile(block, f"README.md:python-block-{index}", "exec")
            exec(code, namespace)  # noqa: S102 - the README is ours
    finally:
        root.handlers[:] = handlers  # the diagnostics example calls basicConfig
        context.set_engine_context(False)
        context.set_context_allocator(None)
    out = capsys.readouterr().out
    # a few outputs the README promises in its comments
    assert "ai::pathfinding" in out
    assert "FA302" in out
    assert "worker got 10.0" in out
    assert "[framealloc][FA001] error: frame allocation used outside an active frame" in (
        caplog.text
    )
    assert "0 60" in out  # the engine example's exit code and score


def test_readme_game_matches_the_window_test() -> None:
    from tests.plugins.test_pygame_runner import README_GAME

    games = [block for block in SHOWN_ONLY if "PygamePlugin" in block]
    assert len(games) == 1
    assert games[0].strip() == README_GAME.strip()
