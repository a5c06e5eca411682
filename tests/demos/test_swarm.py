"""The swarm demo on arcade: headless through EGL and in a window under Xvfb, pixels checked;
its simulation (pool-memory state, frame-memory temporaries) tested without arcade."""

from __future__ import annotations

import gc
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from demos._probe import AllocProbe
from demos.swarm import COUNT, HEIGHT, WIDTH, Swarm
from framealloc_engine import SmartAlloc, StrictModeGuard
from tests.demos.support import bright_pixels, load_pixels

ROOT = Path(__file__).resolve().parents[2]
needs_arcade = pytest.mark.skipif(
    importlib.util.find_spec("arcade") is None, reason="the arcade extra is not installed"
)


def _steps(alloc: SmartAlloc, swarm: Swarm, n: int, *, t0: int = 0) -> None:
    for i in range(t0, t0 + n):
        with alloc.frame_scope():
            swarm.move_lights(i / 60, (100.0, 100.0) if i % 50 < 10 else None)
            swarm.step(1 / 60)


def test_simulation_keeps_state_in_pool_memory_and_temporaries_in_frames() -> None:
    alloc = SmartAlloc()
    alloc.enable_behavior_filter()
    guard = StrictModeGuard.panic_on_warning()
    try:
        swarm = Swarm(alloc, seed=3)
        _steps(alloc, swarm, 240)
        stats = alloc.stats()
        assert stats.pool_allocated == 2 * 4096  # positions and velocities: one block each
        assert stats.frame_allocated == 0  # every temporary went with its frame
        assert swarm.step_bytes > COUNT * 2 * 4
        assert np.isfinite(swarm.pos).all()
        assert (swarm.pos >= 0).all()
        assert (swarm.pos[:, 0] <= WIDTH - 1).all()
        assert (swarm.pos[:, 1] <= HEIGHT - 1).all()
        assert list(alloc.behavior_report().issues) == []
        swarm.close()
        assert alloc.stats().pool_allocated == 0
    finally:
        guard.restore()


def test_simulation_is_deterministic_and_allocation_free_in_steady_state() -> None:
    runs = []
    for _ in range(2):
        alloc = SmartAlloc()
        swarm = Swarm(alloc, seed=5)
        _steps(alloc, swarm, 30)
        probe = AllocProbe()
        gc.collect()  # a known start: earlier tests' garbage is not this test's collection
        with probe:
            _steps(alloc, swarm, 60, t0=30)
        assert probe.numpy_allocations == 0, probe.numpy_allocations
        assert probe.gc_collections == 0
        runs.append(swarm.pos.copy())
        swarm.close()
    np.testing.assert_array_equal(runs[0], runs[1])


def _demo(*args: str, display: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDL_", "ARCADE_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "plugins")])
    env["FRAMEALLOC_STRICT"] = "warning"  # any FA diagnostic fails the run
    if not display:
        env.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "demos", "swarm", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


@needs_arcade
@pytest.mark.slow
def test_headless_run_renders_offscreen_and_is_deterministic(tmp_path: Path) -> None:
    shots = []
    for name, extra in (("multi", ()), ("single", ("--single-threaded",))):
        shot = tmp_path / f"swarm-{name}.png"
        run = _demo("--headless", "--frames", "120", "--screenshot", str(shot), *extra,
                    display=False)  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        assert "swarm: 120 frames" in run.stdout
        assert "live after the last frame: 0, behaviour warnings: 0" in run.stdout
        assert "arcade updates (fixed steps) / draws (frames): 120 / 120" in run.stdout
        assert run.stderr.strip() == "", run.stderr
        shots.append(load_pixels(shot))
    pixels = shots[0]
    assert pixels.shape == (WIDTH, HEIGHT, 3)
    assert bright_pixels(pixels) > 1500  # the fireflies and the lights' glow
    assert bright_pixels(pixels) < WIDTH * HEIGHT // 4  # on a dark background
    np.testing.assert_array_equal(shots[0], shots[1])  # same frames on one thread or two


@needs_arcade
@pytest.mark.window
@pytest.mark.slow
def test_window_run_shows_the_swarm_and_the_overlay(tmp_path: Path) -> None:
    assert os.environ.get("DISPLAY"), "window tests run under pytest-xvfb"
    shot = tmp_path / "swarm-window.png"
    run = _demo("--frames", "60", "--screenshot", str(shot), display=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "swarm: 60 frames" in run.stdout
    pixels = load_pixels(shot)
    assert bright_pixels(pixels[: WIDTH - 300]) > 500  # fireflies left of the panel
    panel = pixels[WIDTH - 290 : WIDTH - 20, 8:200]  # the overlay, top right (surfarray order)
    assert (panel.max(axis=2) > 180).sum() > 300  # its text and graphs
    graph_background = (14, 16, 30)  # the overlay's opaque graph areas
    assert (panel == graph_background).all(axis=2).mean() > 0.15


def test_launcher_lists_swarm_and_explains_a_missing_arcade() -> None:
    code = (
        "import sys\n"
        "sys.modules['arcade'] = None  # as if the extra were not installed\n"
        "from demos.__main__ import main\n"
        "main(['--list'])\n"
        "raise SystemExit(main(['swarm', '--headless', '--frames', '1']))\n"
    )
    env = {"PATH": "", "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120, check=False)  # fmt: skip
    assert run.returncode == 2
    assert "swarm            Swarm (arcade)" in run.stdout
    assert "pip install 'framealloc-engine[arcade]'" in run.stderr
