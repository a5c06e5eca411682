"""The README's examples run: every ``python`` block on its own, in a fresh namespace (a
reader may copy any one of them), and what they print matches what the README says.

Blocks using ``capture_numpy`` are skipped where the native extension is not loaded.
Blocks fenced ``py`` are shown but run elsewhere (the windowed game runs in
``tests/plugins/test_pygame_runner.py``; this file checks the two copies match). Blocks that
open a window run with SDL's dummy video driver (pygame) or on pytest-xvfb's display
(arcade); blocks that import arcade are skipped when the arcade extra is missing.
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import re
from pathlib import Path

import pytest

from framealloc_engine.allocators.backend import NATIVE_AVAILABLE
from framealloc_engine.diagnostics import context

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)
SHOWN_ONLY = re.findall(r"```py\n(.*?)```", TEXT, re.S)
#: A ``python`` block followed by a ``text`` block that shows its output.
WITH_OUTPUT = dict(re.findall(r"```python\n(.*?)```\s*```text\n(.*?)```", TEXT, re.S))

#: (text in a block's source, text that block must print): what the README's comments promise.
PROMISES = [
    ("alloc.tag_path()", "pathfinding ai::pathfinding"),
    ("TagBudgetExceededError", "FA302"),
    ("worker got", "worker got 10.0"),
    ("ScheduleRunnerPlugin.run_loop()", "0 60"),
    ("print(alloc.frame_number)", "2"),
    ("FrameLoop(alloc, overlay=True)", "frames: 4"),
    ("self.frames = FrameLoop", "frames: 3"),
    ("ArcadePlugin((480, 270)", "0"),
    ("numpy_capture_stats()", "captured: True, kept: 2.0"),
]
LOGGED = [("fa_emit(", "[framealloc][FA001] error: frame allocation used outside an active frame")]


def _name(block: str) -> str:
    """The test id: the block's first statement that is not an import."""
    for line in block.splitlines():
        if line.strip() and not line.startswith(("import ", "from ", "#", " ", ")")):
            return re.sub(r"\W+", "_", line.strip())[:40]
    return "block"


def test_readme_has_runnable_examples() -> None:
    assert len(BLOCKS) >= 22
    for source, _ in PROMISES + LOGGED:
        assert any(source in block for block in BLOCKS), f"no README block has {source!r}"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("block", BLOCKS, ids=[f"{i}-{_name(b)}" for i, b in enumerate(BLOCKS)])
def test_readme_block_runs_on_its_own(
    block: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if re.search(r"^\s*(import|from) arcade\b", block, re.M) and (
        importlib.util.find_spec("arcade") is None
    ):
        pytest.skip("the arcade extra is not installed")
    if "capture_numpy" in block and not NATIVE_AVAILABLE:
        pytest.skip("capture_numpy() needs the native extension (FA903 without it)")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # pygame windows: no display needed
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    namespace: dict[str, object] = {"__name__": "readme"}
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        exec(compile(block, "README.md:python-block", "exec"), namespace)  # noqa: S102
    finally:
        root.handlers[:] = handlers  # the diagnostics example calls basicConfig
        context.set_engine_context(False)
        context.set_context_allocator(None)
        if "pygame" in block:
            import pygame

            pygame.quit()
        namespace.clear()
        gc.collect()  # a closed arcade window collected later would clear the next one
    out = capsys.readouterr().out
    for source, printed in PROMISES:
        if source in block:
            assert printed in out.splitlines() or printed in out, (source, out)
    for source, logged in LOGGED:
        if source in block:
            assert logged in caplog.text
    shown = WITH_OUTPUT.get(block)
    if shown is not None and "print(" in block:
        for line in shown.strip().splitlines():
            assert line.rstrip() in out, f"the README shows {line!r}; the block printed:\n{out}"


def test_readme_game_matches_the_window_test() -> None:
    from tests.plugins.test_pygame_runner import README_GAME

    games = [block for block in SHOWN_ONLY if "PygamePlugin" in block]
    assert len(games) == 1
    assert games[0].strip() == README_GAME.strip()
