"""What every demo shares: command line, window or headless runner, screenshot, summary.

A demo module provides ``build(app: App, options: DemoOptions) -> None`` (add plugins,
resources and systems) and calls :func:`demo_main`::

    def main(argv: list[str] | None = None) -> int:
        return demo_main("particles", build, argv, size=(800, 450))

Headless runs use SDL's dummy video driver, so the exact same systems draw into a real
``pygame.Surface``; frames are unpaced and time advances a fixed 1/60 s per frame, so a
headless run is deterministic. ``--screenshot PATH`` saves the last frame as PNG.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pygame

from framealloc_engine import AllocConfig, DiagnosticKind, SmartAlloc
from framealloc_engine.app import (
    App,
    AppExit,
    EventWriter,
    ExecutorSettings,
    Last,
    Res,
    ResMut,
    TimeUpdateStrategy,
    system,
)
from framealloc_engine.bridge import SmartAllocPlugin
from framealloc_pygame import PygamePlugin, Screen

__all__ = [
    "DemoOptions",
    "DemoReport",
    "FrameTimes",
    "build_demo_app",
    "count_frame",
    "demo_main",
    "make_report",
    "parse_options",
    "run_demo",
]


@dataclass
class DemoOptions:
    """How a demo runs; a resource of the demo's app.

    Attributes:
        headless: No window (SDL dummy driver), unpaced, fixed 1/60 s time steps.
        frames: Stop after this many frames (``None``: until the window closes).
        screenshot: Save the last frame here as PNG.
        seed: Seed for every random generator of the demo.
        single_threaded: Run systems on one thread (results are identical).
        overlay: Add the diagnostics overlay plugin (toggle with F3).
        quiet: Do not print the frame summary.
        capture_numpy: numpy's own allocations in every system come from frame memory
            (``SmartAllocPlugin(capture_numpy=True)``; needs the native extension).
        plain_numpy: Run the demo's ordinary-numpy variant where it has one (particles:
            fresh temporaries instead of frame-arena views with ``out=``).
    """

    headless: bool = False
    frames: int | None = None
    screenshot: Path | None = None
    seed: int = 1
    single_threaded: bool = False
    overlay: bool = True
    quiet: bool = False
    capture_numpy: bool = False
    plain_numpy: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class FrameTimes:
    """Wall time of every frame (a resource the harness fills)."""

    samples: list[float] = field(default_factory=list)
    last: float = 0.0
    frames: int = 0


@dataclass(frozen=True)
class DemoReport:
    """What a demo run measured (also printed as the frame summary)."""

    name: str
    frames: int
    exit_code: int
    p50_ms: float
    p99_ms: float
    allocations: int
    peak_bytes: int
    live_after: int
    behavior_warnings: int
    details: dict[str, Any]

    def summary(self) -> str:
        """The frame summary printed at the end of a run."""
        lines = [
            f"{self.name}: {self.frames} frames, frame time p50 {self.p50_ms:.2f} ms / "
            f"p99 {self.p99_ms:.2f} ms",
            f"  allocations: {self.allocations}, peak {self.peak_bytes} bytes, "
            f"live after the last frame: {self.live_after}, "
            f"behaviour warnings: {self.behavior_warnings}",
        ]
        lines += [f"  {key}: {value}" for key, value in self.details.items()]
        return "\n".join(lines)


def parse_options(prog: str, argv: list[str] | None = None) -> DemoOptions:
    """Parse the command line every demo accepts."""
    parser = argparse.ArgumentParser(prog=f"python -m {__package__ or 'demos'}.{prog}")
    parser.add_argument("--headless", action="store_true", help="no window; prints a summary")
    parser.add_argument("--frames", type=int, default=None, help="stop after N frames")
    parser.add_argument("--screenshot", type=Path, default=None, help="save the last frame (PNG)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--single-threaded", action="store_true")
    parser.add_argument("--no-overlay", action="store_true", help="no diagnostics overlay")
    parser.add_argument(
        "--capture-numpy",
        action="store_true",
        help="numpy's own temporaries in every system come from frame memory",
    )
    parser.add_argument(
        "--plain-numpy",
        action="store_true",
        help="run the demo's ordinary-numpy variant (particles): fresh temporaries",
    )
    args = parser.parse_args(argv)
    if args.frames is not None and args.frames < 1:
        parser.error("--frames must be >= 1")
    frames = args.frames if args.frames is not None else (300 if args.headless else None)
    return DemoOptions(
        headless=args.headless,
        frames=frames,
        screenshot=args.screenshot,
        seed=args.seed,
        single_threaded=args.single_threaded,
        overlay=not args.no_overlay,
        capture_numpy=args.capture_numpy,
        plain_numpy=args.plain_numpy,
    )


def count_frame(
    times: ResMut[FrameTimes], options: Res[DemoOptions], exits: EventWriter[AppExit]
) -> None:
    now = time.perf_counter()
    clock = times.value
    if clock.last:
        clock.samples.append(now - clock.last)
    clock.last = now
    clock.frames += 1
    limit = options.value.frames
    if limit is not None and clock.frames >= limit:
        exits.send(AppExit.success())


_SDL_VARIABLES = ("SDL_VIDEODRIVER", "SDL_AUDIODRIVER")


def build_demo_app(
    build: Callable[[App, DemoOptions], None],
    options: DemoOptions,
    *,
    size: tuple[int, int] = (800, 450),
    title: str = "framealloc-engine",
    config: AllocConfig | None = None,
    alloc: SmartAlloc | None = None,
) -> App:
    """An App with the allocator, a window (real or dummy), frame counting and the demo.

    A headless app sets ``SDL_VIDEODRIVER``/``SDL_AUDIODRIVER`` to ``dummy`` in the process
    environment (SDL reads them when the window opens); :func:`run_demo` restores them.
    """
    if options.headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    executor = (
        ExecutorSettings.single_threaded() if options.single_threaded else ExecutorSettings()
    )
    app = App(executor=executor)
    allocator = alloc if alloc is not None else SmartAlloc(config or AllocConfig())
    app.add_plugins(
        SmartAllocPlugin(alloc=allocator, capture_numpy=options.capture_numpy),
        PygamePlugin(size, title, fps=0.0 if options.headless else 60.0),
    )
    if options.headless:
        app.insert_resource(TimeUpdateStrategy.manual_duration(1 / 60))
    app.insert_resource(options)
    app.init_resource(FrameTimes)
    app.add_systems(Last, system(count_frame).on_main_thread())
    build(app, options)
    if options.overlay:
        from framealloc_overlay import OverlayPlugin

        app.add_plugins(OverlayPlugin(visible=not options.headless))
    return app


def run_demo(
    name: str,
    build: Callable[[App, DemoOptions], None],
    options: DemoOptions,
    *,
    size: tuple[int, int] = (800, 450),
    config: AllocConfig | None = None,
    details: Callable[[App], dict[str, Any]] | None = None,
) -> DemoReport:
    """Build and run a demo; returns (and unless quiet prints) its report.

    The SDL driver variables a headless run sets are restored when the run ends.
    """
    saved = {key: os.environ.get(key) for key in _SDL_VARIABLES}
    try:
        alloc = SmartAlloc(config or AllocConfig())
        alloc.enable_behavior_filter()
        app = build_demo_app(
            build, options, size=size, title=f"framealloc-engine: {name}", alloc=alloc
        )
        if options.screenshot is not None:
            shot = system(_screenshot_on_last_frame).after(count_frame)
            if options.overlay:
                from framealloc_overlay import OverlaySet

                shot = shot.after(OverlaySet)  # the screenshot shows the panel when visible
            app.add_systems(Last, shot.on_main_thread())
        exit_code = app.run()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    report = make_report(name, app, alloc, exit_code, details)
    if options.capture_numpy:
        captured = alloc.numpy_capture_stats(all_threads=True)
        report.details["numpy allocations captured"] = (
            f"{captured.captured} ({captured.fallbacks} left to numpy, "
            f"{captured.escapes} outlived their frame)"
        )
    if not options.quiet:
        print(report.summary())
    return report


def make_report(
    name: str,
    app: App,
    alloc: SmartAlloc,
    exit_code: int,
    details: Callable[[App], dict[str, Any]] | None = None,
) -> DemoReport:
    """The report of a finished run (frame times from :class:`FrameTimes`)."""
    times = app.resource(FrameTimes)
    samples = np.asarray(times.samples or [0.0])
    stats = alloc.stats()
    return DemoReport(
        name=name,
        frames=times.frames,
        exit_code=exit_code,
        p50_ms=float(np.percentile(samples, 50) * 1e3),
        p99_ms=float(np.percentile(samples, 99) * 1e3),
        allocations=stats.allocation_count,
        peak_bytes=stats.peak_allocated,
        live_after=stats.frame_allocated,
        behavior_warnings=len(alloc.behavior_report().issues_at_level(DiagnosticKind.WARNING)),
        details=details(app) if details is not None else {},
    )


def _screenshot_on_last_frame(
    times: Res[FrameTimes], options: Res[DemoOptions], screen: Res[Screen]
) -> None:
    opts = options.value
    if opts.screenshot is None or opts.frames is None or times.value.frames < opts.frames:
        return
    opts.screenshot.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(screen.value.surface, str(opts.screenshot))


def demo_main(
    name: str,
    build: Callable[[App, DemoOptions], None],
    argv: list[str] | None = None,
    *,
    size: tuple[int, int] = (800, 450),
    config: AllocConfig | None = None,
    details: Callable[[App], dict[str, Any]] | None = None,
) -> int:
    """Parse the command line, run the demo, return the process exit code."""
    options = parse_options(name, argv)
    report = run_demo(name, build, options, size=size, config=config, details=details)
    return report.exit_code
