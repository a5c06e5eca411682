"""The core tour demo runs headless and keeps frame memory balanced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from demos import core_tour
from demos.__main__ import SHOWCASE, available
from demos.__main__ import main as launcher

ROOT = Path(__file__).resolve().parents[2]


def test_core_tour_headless_summary() -> None:
    summary = core_tour.run(frames=120, headless=True, count=2000)
    assert summary["frames"] == 120
    assert summary["live_after"] == 0
    # three temporaries per frame: (n,2) f4 delta, n bools, (n,2) i4 pixels
    assert summary["physics_bytes"] == 2000 * 8 + 2000
    assert summary["render_bytes"] == 2000 * 8
    assert summary["allocations"] == 120 * 3


def test_launcher_lists_and_runs(capsys) -> None:  # type: ignore[no-untyped-def]
    assert {"core_tour", "particles"} <= set(available())
    assert "assets" not in available()  # the asset loader is not a demo
    assert launcher(["--list"]) == 0
    listing = capsys.readouterr().out
    assert "core_tour" in listing
    assert "particles        Particles: 100,000 particles" in listing
    assert launcher(["nope"]) == 2


def test_showcase_command_runs_headless() -> None:
    """What ``./run demo`` runs on a machine with no display (the README's showcase)."""
    assert SHOWCASE == "particles"
    path = os.pathsep.join([str(ROOT), str(ROOT / "plugins")])  # as the editable install
    result = subprocess.run(
        [sys.executable, "-m", "demos", "--headless", "--frames", "30"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "", "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": path},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "particles: 30 frames, frame time p50" in result.stdout
    assert "behaviour warnings: 0" in result.stdout
    assert "particles: 100000" in result.stdout
