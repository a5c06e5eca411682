"""Helpers every demo test uses: headless runs, steady-state checks, window runs, pixels.

A demo test usually needs three things::

    from demos import bullets
    from tests.demos.support import assert_steady_state_clean, bright_pixels, run_headless

    def test_headless(tmp_path):
        run = run_headless(bullets, 300, tmp_path)       # strict mode, behaviour filter clean
        assert bright_pixels(run.pixels) > 500            # the screenshot shows the scene

    def test_steady_state():
        assert_steady_state_clean(bullets.build)          # no numpy allocation, no GC

    @pytest.mark.window
    def test_window(tmp_path, real_window):               # fixture from conftest.py
        run = run_window(bullets, 60, tmp_path)
        assert run.driver == "x11"

``run_headless`` and ``run_window`` call the module's ``main(argv)``, exactly what
``python -m demos.<name>`` runs; the report is captured from the harness's ``run_demo``.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pygame

import demos._harness as harness
from demos._harness import DemoOptions, DemoReport, build_demo_app
from demos._probe import AllocProbe, numpy_domain_growth
from framealloc_engine import StrictModeGuard
from framealloc_engine.app import App

__all__ = [
    "ROOT",
    "load_generator",
    "run_command",
    "DemoRun",
    "SteadyState",
    "assert_steady_state_clean",
    "bright_pixels",
    "capture_reports",
    "changed_pixels",
    "frames",
    "headless_app",
    "load_pixels",
    "run_headless",
    "run_window",
]

BuildFn = Callable[[App, DemoOptions], None]


@dataclass
class DemoRun:
    """What one run of a demo's ``main`` left behind.

    Attributes:
        report: The harness's report (frames, frame times, allocations, behaviour warnings).
        screenshot: The PNG of the last frame.
        pixels: That PNG as an ``(width, height, 3)`` uint8 array (surfarray order).
        driver: The SDL video driver the window used (``"dummy"`` headless, ``"x11"``
            under Xvfb).
    """

    report: DemoReport
    screenshot: Path
    pixels: np.ndarray
    driver: str = ""


@dataclass
class SteadyState:
    """What :func:`assert_steady_state_clean` measured over the steady-state frames."""

    frames: int
    numpy_allocations: int
    gc_collections: int
    numpy_live_growth: tuple[int, int]
    gc_objects_per_frame: float

    def __str__(self) -> str:
        return (
            f"{self.frames} frames: {self.numpy_allocations} numpy allocations, "
            f"{self.gc_collections} GC collections, live numpy growth "
            f"{self.numpy_live_growth[0]} blocks / {self.numpy_live_growth[1]} bytes, "
            f"GC counter +{self.gc_objects_per_frame:.2f} per frame"
        )


@contextlib.contextmanager
def capture_reports() -> Iterator[list[DemoReport]]:
    """Collect the report of every ``run_demo`` call made inside the block (the demos reach
    it through ``demo_main``)."""
    reports: list[DemoReport] = []
    original = harness.run_demo

    def recording(*args: Any, **kwargs: Any) -> DemoReport:
        report = original(*args, **kwargs)
        reports.append(report)
        return report

    harness.run_demo = recording
    try:
        yield reports
    finally:
        harness.run_demo = original


@contextlib.contextmanager
def _record_driver() -> Iterator[list[str]]:
    drivers: list[str] = []
    original = pygame.display.set_mode

    def set_mode(*args: Any, **kwargs: Any) -> pygame.Surface:
        surface = original(*args, **kwargs)
        drivers.append(pygame.display.get_driver())
        return surface

    pygame.display.set_mode = set_mode
    try:
        yield drivers
    finally:
        pygame.display.set_mode = original


def load_pixels(path: Path) -> np.ndarray:
    """An image file as an ``(width, height, 3)`` uint8 array."""
    return pygame.surfarray.array3d(pygame.image.load(str(path))).copy()


def bright_pixels(pixels: np.ndarray, threshold: int = 96) -> int:
    """Pixels whose brightest channel exceeds ``threshold``."""
    return int((pixels.max(axis=2) > threshold).sum())


def changed_pixels(a: np.ndarray, b: np.ndarray, tolerance: int = 8) -> int:
    """Pixels where two images differ by more than ``tolerance`` in some channel."""
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)
    return int((diff > tolerance).sum())


def _run_main(
    module: ModuleType, argv: list[str], strict: bool
) -> tuple[int, DemoReport, str]:
    guard = StrictModeGuard.panic_on_warning() if strict else None
    try:
        with capture_reports() as reports, _record_driver() as drivers:
            code = module.main(argv)
    finally:
        if guard is not None:
            guard.restore()
    assert reports, f"{module.__name__}.main() did not run the demo through demo_main()"
    return code, reports[-1], drivers[-1] if drivers else ""


def run_headless(
    module: ModuleType,
    frames: int,
    tmp_path: Path,
    *args: str,
    strict: bool = True,
    check: bool = True,
) -> DemoRun:
    """Run ``module.main([*args, "--headless", "--frames", N, "--screenshot", PATH])``.

    Args:
        module: The demo module (``demos.particles``).
        frames: Frames to run.
        tmp_path: Where the screenshot goes.
        *args: More command-line arguments.
        strict: Raise on any FA warning or error emitted during the run
            (``StrictModeGuard.panic_on_warning()``).
        check: Assert exit code 0, all frames run, nothing live after the last frame and a
            clean behaviour filter.
    """
    name = module.__name__.rsplit(".", 1)[-1]
    shot = tmp_path / f"{name}-headless.png"
    argv = [*args, "--headless", "--frames", str(frames), "--screenshot", str(shot)]
    code, report, driver = _run_main(module, argv, strict)
    if check:
        _check(report, code, frames)
    assert shot.is_file(), f"no screenshot was written to {shot}"
    return DemoRun(report, shot, load_pixels(shot), driver)


def run_window(
    module: ModuleType,
    frames: int,
    tmp_path: Path,
    *args: str,
    strict: bool = True,
    check: bool = True,
) -> DemoRun:
    """Run the demo in a real window (use the ``real_window`` fixture: under pytest-xvfb the
    X display exists and ``SDL_VIDEODRIVER`` must be unset), with a screenshot of the last
    frame. Same arguments as :func:`run_headless`."""
    assert os.environ.get("DISPLAY"), "no X display: run window tests under pytest-xvfb"
    assert "SDL_VIDEODRIVER" not in os.environ, "use the real_window fixture"
    name = module.__name__.rsplit(".", 1)[-1]
    shot = tmp_path / f"{name}-window.png"
    argv = [*args, "--frames", str(frames), "--screenshot", str(shot)]
    code, report, driver = _run_main(module, argv, strict)
    if check:
        _check(report, code, frames)
    assert shot.is_file(), f"no screenshot was written to {shot}"
    return DemoRun(report, shot, load_pixels(shot), driver)


def _check(report: DemoReport, code: int, frames: int) -> None:
    assert code == 0, f"exit code {code}\n{report.summary()}"
    assert report.frames == frames, report.summary()
    assert report.live_after == 0, report.summary()
    assert report.behavior_warnings == 0, report.summary()


def assert_steady_state_clean(
    build: BuildFn,
    warmup: int = 90,
    frames: int = 120,
    *,
    size: tuple[int, int] = (800, 450),
    options: DemoOptions | None = None,
    setup: Callable[[App], None] | None = None,
    max_gc_objects_per_frame: float = 1.0,
) -> SteadyState:
    """Build the demo headless (overlay included, hidden, as in a headless run), run
    ``warmup`` frames, then assert that ``frames`` more make no numpy allocation (on any
    thread that ran a system) and trigger no GC collection, and that no numpy memory stays
    live (tracemalloc's numpy domain).

    Args:
        build: The demo's ``build(app, options)``.
        warmup: Frames before measuring (startup, first-frame caches, view reuse).
        frames: Steady-state frames measured.
        size: Window size.
        options: Demo options (default: headless, no frame limit).
        setup: Called with the app after it is built (e.g. to show the overlay).
        max_gc_objects_per_frame: Net growth of GC-tracked objects allowed per frame (the
            young-generation counter; 700 of it trigger a collection).

    Returns:
        The measurements (all zero when the assertion passes).
    """
    opts = options if options is not None else DemoOptions(headless=True, frames=None)
    app = build_demo_app(build, opts, size=size)
    if setup is not None:
        setup(app)
    probe = AllocProbe()
    app.thread_hooks.begin.append(probe.install_here)
    guard = StrictModeGuard.panic_on_warning()
    tracing = tracemalloc.is_tracing()
    try:
        for _ in range(warmup):
            app.update()
        if not tracing:
            tracemalloc.start()
        before = tracemalloc.take_snapshot()
        gc.collect()  # a known start: the young generation is empty
        young = gc.get_count()[0]
        with probe:
            for _ in range(frames):
                app.update()
        young = gc.get_count()[0] - young
        growth = numpy_domain_growth(before)
    finally:
        if not tracing:
            tracemalloc.stop()
        guard.restore()
        app.shutdown()
        pygame.quit()
    result = SteadyState(
        frames, probe.numpy_allocations, probe.gc_collections, growth, young / frames
    )
    assert result.numpy_allocations == 0, f"numpy allocated in steady-state frames: {result}"
    assert result.gc_collections == 0, f"GC collections in steady-state frames: {result}"
    assert result.numpy_live_growth == (0, 0), f"numpy memory kept growing: {result}"
    # The young-generation counter must not climb towards a collection (700 by default)
    # faster than one collection every ~700 frames.
    assert result.gc_objects_per_frame < max_gc_objects_per_frame, str(result)
    return result


def headless_app(
    build: BuildFn, *, size: tuple[int, int] = (800, 450), **options: Any
) -> App:
    """A headless demo app to drive with ``app.update()`` (call ``app.shutdown()`` and
    ``pygame.quit()`` when done)."""
    return build_demo_app(build, DemoOptions(headless=True, frames=None, **options), size=size)


def frames(app: App, n: int) -> None:
    """Run ``n`` frames."""
    for _ in range(n):
        app.update()


ROOT = Path(__file__).resolve().parents[2]


def run_command(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m demos ...`` in a fresh interpreter from the repository root (the way a
    player runs it), with only the repository and its plugins on the path."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": "", "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'plugins'}"},
        check=False,
    )


def load_generator(name: str) -> ModuleType:
    """The asset generator script ``assets/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "assets" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
