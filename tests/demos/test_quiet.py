"""Windowed demos stay silent on a machine without a sound card (no ALSA noise).

``pygame.init()`` opens the audio device; without one, SDL's ALSA backend prints a dozen
``ALSA lib ...`` lines to stderr. The window plugin and the core tour initialise only
display and font, so a player sees the frame summary and nothing else.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _windowed(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SDL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "plugins")])
    return subprocess.run(
        [sys.executable, "-m", "demos", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.window
@pytest.mark.parametrize(
    "args",
    [("particles", "--frames", "3"), ("core_tour", "--frames", "3")],
    ids=["app-demo", "core-tour"],
)
def test_windowed_demo_prints_no_audio_errors(args: tuple[str, ...]) -> None:
    assert os.environ.get("DISPLAY"), "window tests run under pytest-xvfb"
    result = _windowed(*args)
    assert result.returncode == 0, result.stderr
    assert "frames" in result.stdout
    assert "ALSA" not in result.stderr, result.stderr
    assert result.stderr.strip() == "", result.stderr
