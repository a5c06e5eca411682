"""The particles demo: headless in strict mode, steady-state clean, pixels on screen, window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from demos import particles
from demos._harness import DemoOptions, build_demo_app
from framealloc_engine.app import App
from framealloc_engine.bridge import AllocResource
from framealloc_overlay import OverlayState
from framealloc_overlay.panel import ACCENT, PANEL_WIDTH, SERIES_COLORS
from framealloc_pygame import Input
from tests.demos.support import (
    assert_steady_state_clean,
    bright_pixels,
    changed_pixels,
    frames,
    headless_app,
    run_headless,
    run_window,
)

pytestmark = pytest.mark.timeout(60)

N = 100_000
BACKGROUND = np.array([6, 8, 20])  # entry 0 of assets/particles/palette.png


def _scene_pixels(pixels: np.ndarray) -> int:
    """Pixels away from the background colour."""
    return int((np.abs(pixels.astype(np.int16) - BACKGROUND).max(axis=2) > 8).sum())


def test_headless_run_is_strict_clean_and_shows_the_particles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_headless(particles, 300, tmp_path)  # strict mode; asserts behaviour clean
    report = run.report
    assert report.details["particles"] == N
    assert run.driver == "dummy"
    out = capsys.readouterr().out
    assert "particles: 300 frames, frame time p50" in out
    assert "behaviour warnings: 0" in out
    # 300 frames x (6 physics + 3 render temporaries); the heap block is freed by nobody
    # (it lives as long as the demo), so it is the one live allocation besides the frames.
    assert report.allocations == 300 * 9 + 1
    pixels = run.pixels
    assert pixels.shape == (particles.WIDTH, particles.HEIGHT, 3)
    scene = _scene_pixels(pixels)
    assert 20_000 < scene < 200_000, scene  # a cloud, neither empty nor everywhere
    assert bright_pixels(pixels[:400, :45], 200) > 500  # the HUD text, top left


def test_frame_memory_is_what_the_temporaries_need() -> None:
    app = headless_app(particles.build, overlay=False)
    try:
        frames(app, 3)
        sim = app.resource(particles.ParticleSim)
        # physics: dx, dy, r2, tmp (float32) + two bool masks; render: two intp index
        # arrays + the intp density buffer of the whole screen
        assert sim.physics_bytes == 4 * 4 * N + 2 * N
        assert sim.render_bytes == 2 * 8 * N + 8 * particles.WIDTH * particles.HEIGHT
        hud = app.resource(particles.Hud)
        assert hud.frame_bytes >= sim.physics_bytes + sim.render_bytes
        alloc = app.resource(AllocResource)
        assert alloc.stats().heap_allocated == 4 * 4 * N  # x, y, vx, vy
    finally:
        app.shutdown()


def test_particles_stay_on_screen_and_move() -> None:
    app = headless_app(particles.build, overlay=False)
    try:
        sim = app.resource(particles.ParticleSim)
        start = sim.state.copy()
        frames(app, 120)
        assert not np.array_equal(start, sim.state)
        assert sim.x.min() >= 0
        assert sim.x.max() <= particles.WIDTH - 1
        assert sim.y.min() >= 0
        assert sim.y.max() <= particles.HEIGHT - 1
        assert np.isfinite(sim.state).all()
    finally:
        app.shutdown()


def test_single_and_multi_threaded_runs_agree() -> None:
    states = []
    for single in (True, False):
        app = headless_app(particles.build, overlay=False, single_threaded=single)
        try:
            frames(app, 60)
            states.append(app.resource(particles.ParticleSim).state.copy())
        finally:
            app.shutdown()
    np.testing.assert_array_equal(states[0], states[1])


def test_steady_state_makes_no_numpy_allocation_and_no_gc() -> None:
    result = assert_steady_state_clean(particles.build, warmup=60, frames=150)
    assert result.frames == 150


def test_steady_state_with_the_overlay_shown_makes_no_numpy_allocation() -> None:
    """The panel's graphs draw with frame memory too. (GC is not asserted here: the
    diagnostics hooks' per-frame ``stats()`` call leaves one young-generation count per
    call until CPython's tuple free list fills; see the engine report.)"""

    def show(app: App) -> None:
        app.resource(OverlayState).visible = True

    result = assert_steady_state_clean(
        particles.build, warmup=60, frames=60, setup=show, max_gc_objects_per_frame=5.0
    )
    assert result.numpy_allocations == 0


def test_mouse_drags_the_first_attractor() -> None:
    app = headless_app(particles.build, overlay=False)
    try:
        frames(app, 2)
        state = app.resource(Input)
        state.mouse_pressed.add(1)
        state.mouse_pos = (123, 45)
        frames(app, 1)
        sim = app.resource(particles.ParticleSim)
        assert sim.attractor_xy[0] == [123, 45]
        assert sim.attractor_xy[1] != [123, 45]
    finally:
        app.shutdown()


def test_build_reads_the_settings_asset() -> None:
    settings = particles.Settings.load()
    assert settings.count == N
    assert particles.Settings.load(count=10).count == 10
    app = build_demo_app(
        particles.build,
        DemoOptions(headless=True, overlay=False, extra={"settings": {"count": 500}}),
    )
    try:
        frames(app, 2)
        assert app.resource(particles.ParticleSim).count == 500
    finally:
        app.shutdown()


def _panel(pixels: np.ndarray) -> np.ndarray:
    right = particles.WIDTH - 8
    return pixels[right - PANEL_WIDTH : right, 8:200]


def _count_color(pixels: np.ndarray, color: tuple[int, int, int]) -> int:
    return int((pixels == np.array(color)).all(axis=2).sum())


@pytest.mark.window
@pytest.mark.usefixtures("real_window")
def test_window_run_under_xvfb_shows_particles_hud_and_overlay(tmp_path: Path) -> None:
    run = run_window(particles, 90, tmp_path)
    assert run.driver == "x11"
    pixels = run.pixels
    assert _scene_pixels(pixels) > 20_000
    assert bright_pixels(pixels[:400, :45], 200) > 500  # HUD
    panel = _panel(pixels)
    # the overlay is shown in a window: its frame-time bars and tag colours are drawn
    assert _count_color(panel, ACCENT) > 200
    assert sum(_count_color(panel, c) for c in SERIES_COLORS) > 500
    headless = run_headless(particles, 90, tmp_path).pixels
    assert _count_color(_panel(headless), ACCENT) == 0  # headless: overlay hidden
    assert changed_pixels(_panel(pixels), _panel(headless)) > 5_000
