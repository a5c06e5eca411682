"""The particles demo's frame, with frame arenas vs written with plain numpy temporaries.

Run: ``python benchmarks/demos.py`` (headless, about half a minute). One process, one table.

* **ours**: ``demos.particles.ParticleSim``, what the demo runs each frame: 100,000 particles
  integrated around two attractors (``step``) and counted per pixel into an 800x450 colour
  buffer (``rasterize``); every temporary is a frame-arena view, ufuncs write with ``out=``,
  constants are 0-d arrays.
* **plain**: the same math written the ordinary numpy way: expressions make fresh arrays
  (``dx = ax - x``, ``np.zeros`` for the density, ``palette[density]``).
* **captured**: *plain*, unchanged, inside ``alloc.frame_scope()`` and
  ``alloc.capture_numpy(threshold=0)``: its temporaries come from frame memory (with the
  native extension; the row is left out without it).

Both start from the same particles and must end with the same state (checked). Frame times
come from alternating blocks of 50 frames (ours, plain, ours, ...), so both see the same
machine load while each runs as it would in a game, frame after frame (wall time; the
thread's CPU time is shown too, as it ignores time the thread waited for a core on a busy
machine);
allocations and GC collections are counted in separate passes. *numpy allocations* are the
data buffers numpy allocates (what it reports to tracemalloc's numpy domain), counted by
``demos._probe.AllocProbe``. A control runs fixed allocation-free numpy work in the same
blocks (the machine's own p99/p50), and a last line measures the whole demo frame (App,
systems, pygame surface, hidden overlay) headless.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from demos import particles  # noqa: E402
from demos._harness import DemoOptions, build_demo_app  # noqa: E402
from demos._probe import AllocProbe  # noqa: E402
from framealloc_engine import SmartAlloc, tags  # noqa: E402
from framealloc_engine.allocators.backend import NATIVE_AVAILABLE  # noqa: E402

WARMUP = 60
FRAMES = 600
COUNTED = 120
BLOCK = 50  # frames of one version before switching to the other
DT = 1 / 60
WIDTH, HEIGHT = particles.WIDTH, particles.HEIGHT


class Ours:
    """The demo's simulation, temporaries from the frame arena."""

    def __init__(self, alloc: SmartAlloc, settings: particles.Settings) -> None:
        self.alloc = alloc
        self.sim = particles.ParticleSim(alloc, settings, seed=1)
        self.palette = np.arange(256, dtype=np.uint32) * np.uint32(0x010101)
        self.rows = np.zeros((HEIGHT, WIDTH), np.uint32)

    def frame(self) -> None:
        alloc, sim = self.alloc, self.sim
        alloc.begin_frame()
        with alloc.phase_scope("physics"), alloc.with_tag(tags.PHYSICS):
            sim.place_attractors(sim.elapsed + DT)
            sim.step(alloc, DT)
        with alloc.phase_scope("render"), alloc.with_tag(tags.RENDERING):
            sim.rasterize(alloc, self.palette, self.rows)
        alloc.end_frame()


class Plain:
    """The same math with plain numpy temporaries (fresh arrays, no ``out=``)."""

    def __init__(self, alloc: SmartAlloc, settings: particles.Settings) -> None:
        self.settings = settings
        self.sim = particles.ParticleSim(alloc, settings, seed=1)  # same start; its arrays
        self.palette = np.arange(256, dtype=np.uint32) * np.uint32(0x010101)
        self.rows = np.zeros((HEIGHT, WIDTH), np.uint32)

    def frame(self) -> None:
        sim = self.sim
        sim.place_attractors(sim.elapsed + DT)
        sim.step_plain(DT)  # the demo's --plain-numpy variant
        sim.rasterize_plain(self.palette, self.rows)


class Captured(Plain):
    """*Plain*, run inside a frame with numpy's allocations captured (no code change)."""

    def __init__(self, alloc: SmartAlloc, settings: particles.Settings) -> None:
        super().__init__(alloc, settings)
        self.alloc = alloc

    def frame(self) -> None:
        alloc = self.alloc
        with alloc.frame_scope(), alloc.capture_numpy(threshold=0):
            super().frame()


class Floor:
    """A control: fixed work with no allocation and no changing data (40 in-place ufuncs on
    100,000 floats), to show how steady this machine runs a frame's worth of numpy."""

    def __init__(self) -> None:
        self.a = np.linspace(0.0, 1.0, 100_000, dtype=np.float32)
        self.b = np.ones_like(self.a)
        self.half = np.full((), 0.5, np.float32)

    def frame(self) -> None:
        a, b, half = self.a, self.b, self.half
        for _ in range(20):
            np.multiply(a, half, out=b)
            np.add(b, half, out=a)


def _timed(
    runners: Sequence[Ours | Plain | Floor],
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Wall and thread-CPU times, shape ``(runners, FRAMES)`` each, and the GC collections
    that started during each runner's frames."""
    times = np.zeros((2, len(runners), FRAMES))
    collections = [0] * len(runners)
    running = [0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections[running[0]] += 1

    gc.callbacks.append(on_gc)
    wall, cpu = time.perf_counter, time.thread_time
    try:
        for block in range(0, FRAMES, BLOCK):
            for which, runner in enumerate(runners):
                running[0] = which
                for i in range(block, min(block + BLOCK, FRAMES)):
                    start, start_cpu = wall(), cpu()
                    runner.frame()
                    times[0, which, i] = wall() - start
                    times[1, which, i] = cpu() - start_cpu
    finally:
        gc.callbacks.remove(on_gc)
    return times[0], times[1], collections


def _counted(runner: Ours | Plain) -> tuple[int, int]:
    """numpy data allocations that reached numpy's allocator (the probe's handler sits under
    any capture: a captured allocation never reaches it), and GC collections."""
    with AllocProbe() as probe:
        for _ in range(COUNTED):
            runner.frame()
    return probe.numpy_allocations, probe.gc_collections


def _whole_demo() -> tuple[np.ndarray, int, int]:
    app = build_demo_app(particles.build, DemoOptions(headless=True, frames=None))
    probe = AllocProbe()
    app.thread_hooks.begin.append(probe.install_here)
    try:
        for _ in range(WARMUP):
            app.update()
        times = np.zeros(FRAMES // 2)
        for i in range(len(times)):
            start = time.perf_counter()
            app.update()
            times[i] = time.perf_counter() - start
        with probe:
            for _ in range(COUNTED):
                app.update()
    finally:
        app.shutdown()
    return times, probe.numpy_allocations, probe.gc_collections


def _row(name: str, ours: float, plain: float | None, fmt: str, goal: str, ratio: bool) -> str:
    plain_text = format(plain, fmt) if plain is not None else "-"
    ratio_text = f"{ours / plain:6.2f}" if ratio and plain else f"{'-':>6}"
    return f"{name:30} {format(ours, fmt):>12} {plain_text:>12} {ratio_text} {goal:>18}"


def main() -> None:
    """Print the table."""
    settings = particles.Settings.load()
    alloc = SmartAlloc.with_defaults()
    ours, plain = Ours(alloc, settings), Plain(alloc, settings)
    captured = Captured(SmartAlloc.with_defaults(), settings) if NATIVE_AVAILABLE else None
    for _ in range(WARMUP):
        ours.frame()
        plain.frame()
        if captured is not None:
            captured.frame()
    floor = Floor()
    runners: list[Ours | Plain | Floor] = [ours, plain, floor]
    if captured is not None:
        runners.append(captured)
    wall, cpu, collections = _timed(runners)
    t_ours, t_plain, t_floor = wall[0], wall[1], wall[2]
    np.testing.assert_array_equal(ours.sim.state, plain.sim.state)  # the same simulation
    np.testing.assert_array_equal(ours.rows, plain.rows)
    if captured is not None:
        np.testing.assert_array_equal(captured.sim.state, plain.sim.state)
        np.testing.assert_array_equal(captured.rows, plain.rows)
    allocs_ours, gc_ours = _counted(ours)
    allocs_plain, gc_plain = _counted(plain)
    demo_times, demo_allocs, demo_gc = _whole_demo()

    p50 = (np.percentile(t_ours, 50) * 1e3, np.percentile(t_plain, 50) * 1e3)
    p99 = (np.percentile(t_ours, 99) * 1e3, np.percentile(t_plain, 99) * 1e3)
    print(
        f"particles step + rasterize: {settings.count:,} particles, {WIDTH}x{HEIGHT} pixels; "
        f"{FRAMES} frames each timed (blocks of {BLOCK}) after {WARMUP} warm-up, "
        f"{COUNTED} counted"
    )
    print(f"{'metric':30} {'frame arenas':>12} {'plain numpy':>12} {'ratio':>6} {'goal':>18}")
    print(_row("frame time p50 (ms)", p50[0], p50[1], ".3f", "ratio < 1 (faster)", True))
    print(_row("frame time p99 (ms)", p99[0], p99[1], ".3f", "-", True))
    print(_row("p99 / p50", p99[0] / p50[0], p99[1] / p50[1], ".2f", "<= 1.2 (ours)", False))
    c50, c99 = np.percentile(cpu, 50, axis=1), np.percentile(cpu, 99, axis=1)
    print(_row("p99 / p50, thread CPU time", c99[0] / c50[0], c99[1] / c50[1], ".2f",
               "(no waiting for a core)", False))
    print(_row("numpy allocations / frame", allocs_ours / COUNTED, allocs_plain / COUNTED,
               ".2f", "0 (ours)", False))
    print(_row("GC collections / frame", gc_ours / COUNTED, gc_plain / COUNTED,
               ".3f", "0 (ours)", False))
    print(_row("GC collections while timed", collections[0], collections[1], "d", "0 (ours)",
               False))
    if captured is not None:
        allocs_cap, gc_cap = _counted(captured)
        t_cap = wall[3]
        cap50, cap99 = np.percentile(t_cap, 50) * 1e3, np.percentile(t_cap, 99) * 1e3
        ratio_plain = np.median(t_cap / t_plain)  # per frame of the same block position
        print(
            f"plain numpy under capture_numpy(), unchanged code: p50 {cap50:.3f} ms "
            f"({cap50 / p50[1]:.2f}x plain numpy's p50, per-frame median ratio "
            f"{ratio_plain:.2f}x; {cap50 / p50[0]:.2f}x the frame-arena version), p99 "
            f"{cap99:.3f} ms, {allocs_cap / COUNTED:.2f} system allocations and "
            f"{gc_cap / COUNTED:.3f} GC collections per frame"
        )
    f50, f99 = np.percentile(t_floor, 50) * 1e3, np.percentile(t_floor, 99) * 1e3
    print(
        f"noise floor (fixed in-place numpy work, no allocation, timed in the same blocks): "
        f"p50 {f50:.3f} ms, p99 {f99:.3f} ms, p99/p50 {f99 / f50:.2f}"
    )
    d50, d99 = np.percentile(demo_times, 50) * 1e3, np.percentile(demo_times, 99) * 1e3
    print(
        f"whole demo frame (App, systems, pygame surface, overlay hidden), headless: "
        f"p50 {d50:.3f} ms, p99 {d99:.3f} ms (p99/p50 {d99 / d50:.2f}), "
        f"{demo_allocs / COUNTED:.2f} numpy allocations and {demo_gc / COUNTED:.3f} GC "
        f"collections per frame"
    )


if __name__ == "__main__":
    main()
