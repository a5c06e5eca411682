"""The harness for demos that run on arcade instead of pygame-ce.

Same command line and frame summary as :mod:`demos._harness`; the window is an
``arcade.Window`` driven by ``framealloc_arcade.ArcadePlugin``, the overlay is
``ArcadeOverlayPlugin`` and ``--screenshot`` reads the framebuffer back.

Headless runs render offscreen through EGL (``ARCADE_HEADLESS=1``, set here before arcade is
first imported): the same systems draw with OpenGL, and no display is needed. Time advances
a fixed 1/60 s per frame, so a headless run is deterministic.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from typing import Any

from framealloc_engine import AllocConfig, SmartAlloc
from framealloc_engine.app import (
    App,
    ExecutorSettings,
    Last,
    Res,
    TimeUpdateStrategy,
    system,
)
from framealloc_engine.bridge import SmartAllocPlugin

from ._harness import DemoOptions, DemoReport, FrameTimes, count_frame, make_report, parse_options

__all__ = ["ARCADE_MISSING", "arcade_demo_main", "run_arcade_demo"]

ARCADE_MISSING = (
    "this demo runs on arcade, an optional extra: pip install 'framealloc-engine[arcade]' "
    "(./run installs it)"
)


def _use_headless() -> None:
    """Ask pyglet for offscreen EGL rendering; must happen before arcade is imported."""
    if "arcade" in sys.modules and not sys.modules["arcade"].headless:
        raise RuntimeError(
            "arcade was imported with a display before this headless run; run headless demos "
            "in a process of their own (python -m demos <name> --headless)"
        )
    os.environ["ARCADE_HEADLESS"] = "1"


def run_arcade_demo(
    name: str,
    build: Callable[[App, DemoOptions], None],
    options: DemoOptions,
    *,
    size: tuple[int, int] = (800, 450),
    config: AllocConfig | None = None,
    details: Callable[[App], dict[str, Any]] | None = None,
) -> DemoReport:
    """Build and run an arcade demo; returns (and unless quiet prints) its report."""
    if options.headless:
        _use_headless()
    from framealloc_arcade import ArcadeOverlayPlugin, ArcadeOverlaySet, ArcadePlugin

    alloc = SmartAlloc(config or AllocConfig())
    alloc.enable_behavior_filter()
    executor = (
        ExecutorSettings.single_threaded() if options.single_threaded else ExecutorSettings()
    )
    app = App(executor=executor)
    app.add_plugins(
        SmartAllocPlugin(alloc=alloc),
        ArcadePlugin(size, f"framealloc-engine: {name}", fps=60.0, max_frames=options.frames,
                     clear_color=(8, 10, 24, 255)),  # fmt: skip
    )
    if options.headless:
        app.insert_resource(TimeUpdateStrategy.manual_duration(1 / 60))
    app.insert_resource(options)
    app.init_resource(FrameTimes)
    app.add_systems(Last, system(count_frame).on_main_thread())
    build(app, options)
    if options.overlay:
        app.add_plugins(ArcadeOverlayPlugin(visible=not options.headless))
    if options.screenshot is not None:
        shot = system(_screenshot_on_last_frame).after(count_frame)
        if options.overlay:
            shot = shot.after(ArcadeOverlaySet)
        app.add_systems(Last, shot.on_main_thread())
    exit_code = app.run()
    report = make_report(name, app, alloc, exit_code, details)
    if not options.quiet:
        print(report.summary())
    return report


def _screenshot_on_last_frame(times: Res[FrameTimes], options: Res[DemoOptions]) -> None:
    opts = options.value
    if opts.screenshot is None or opts.frames is None or times.value.frames < opts.frames:
        return
    import arcade

    window = arcade.get_window()
    width, height = (int(v) for v in window.get_size())
    opts.screenshot.parent.mkdir(parents=True, exist_ok=True)
    arcade.get_image(0, 0, width, height).convert("RGB").save(opts.screenshot)


def arcade_demo_main(
    name: str,
    build: Callable[[App, DemoOptions], None],
    argv: list[str] | None = None,
    *,
    size: tuple[int, int] = (800, 450),
    config: AllocConfig | None = None,
    details: Callable[[App], dict[str, Any]] | None = None,
) -> int:
    """Parse the command line, run the arcade demo, return the process exit code (2 with a
    message when arcade is not installed)."""
    options = parse_options(name, argv)
    if importlib.util.find_spec("arcade") is None:  # not imported: headless is still possible
        print(f"{name}: {ARCADE_MISSING}", file=sys.stderr)
        return 2
    report = run_arcade_demo(name, build, options, size=size, config=config, details=details)
    return report.exit_code
