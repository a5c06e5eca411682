"""The workers demo: physics and AI on worker threads, transfers, the barrier, per-thread
budgets, determinism across executors, steady-state frames, windowed runs and the assets."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from demos import workers
from demos.__main__ import available
from demos._harness import DemoOptions, build_demo_app
from demos._probe import AllocProbe
from demos.workers import ARENA_ORIGIN, BUDGET, SIZE, build
from demos.workers.links import BarrierProbe, Links, Mailbox, Packet, ThreadLedger
from demos.workers.render import PANEL_W
from demos.workers.state import ArenaConfig, Bodies, Brains
from demos.workers.systems import AI, PHYSICS
from framealloc_engine import SmartAlloc, StrictModeGuard, TransferError
from framealloc_engine.app import App
from framealloc_engine.bridge import AllocResource
from tests.demos.support import (
    assert_steady_state_clean,
    bright_pixels,
    frames,
    load_generator,
    load_pixels,
    run_command,
    run_headless,
    run_window,
)

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"
pytestmark = pytest.mark.timeout(60)

CALM = (120, 220, 150)  # sprite body colours (assets/workers/sprites.png)
ALARMED = (250, 240, 120)
HUNTER = (255, 96, 72)
SMALL = {"prey": 240, "hunters": 24}


def count_color(pixels: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 0) -> int:
    """Pixels within ``tolerance`` of ``rgb`` on every channel."""
    diff = np.abs(pixels.astype(np.int16) - np.asarray(rgb, np.int16))
    return int((diff <= tolerance).all(axis=-1).sum())


def small_app(single_threaded: bool, **extra: int) -> App:
    """A headless workers app with few agents (fast), no overlay, the behaviour filter on."""
    alloc = SmartAlloc()
    alloc.enable_behavior_filter()
    options = DemoOptions(
        headless=True, overlay=False, single_threaded=single_threaded,
        extra={**SMALL, "threads": 3, **extra},
    )
    return build_demo_app(build, options, size=SIZE, alloc=alloc)


def fingerprint(app: App) -> tuple[bytes, bytes, bytes, int, int]:
    """Everything the simulation decided."""
    bodies, brains = app.resource(Bodies), app.resource(Brains)
    return (
        bodies.state.tobytes(), brains.alarm.tobytes(), brains.target.tobytes(),
        bodies.catches, bodies.contact_count,
    )


# --- whole runs -----------------------------------------------------------------------------


def test_headless_run_is_strict_clean_and_parallel(tmp_path: Path) -> None:
    n = 240
    run = run_headless(workers, n, tmp_path)  # strict mode; behaviour filter clean
    assert run.driver == "dummy"
    d = run.report.details
    # physics and AI ran on worker threads (the main thread only while the executor
    # profiled the first frames), on different threads, at overlapping times
    physics, ai = set(d["threads"][PHYSICS]), set(d["threads"][AI])
    assert any(name.startswith("framealloc-worker") for name in physics)
    assert any(name.startswith("framealloc-worker") for name in ai)
    assert len(physics | ai) >= 2
    assert d["overlapping frames"] > n // 2
    # three transfers a frame; all but the last frame's two lag-1 handles received, and
    # nearly all of them on another thread than the one that sent them
    assert d["transfers sent"] == 3 * n
    assert d["transfers received"] == 3 * n - 2
    assert d["transfers across threads"] > 2 * n
    # every frame ended at the barrier, where the worker threads met the main thread
    assert d["barrier frames"] == n
    assert d["barrier waits"] > 2 * n
    # per-thread budgets: configured, used, never exceeded
    assert d["budget overruns"] == 0
    peaks = d["frame budget peaks"]
    assert all(0 < peak <= BUDGET.frame_budget for peak in peaks.values())
    # the screenshot: agents in the arena, the panel on the left
    pixels = run.pixels
    assert pixels.shape == (*SIZE, 3)
    arena = pixels[ARENA_ORIGIN[0] :, ARENA_ORIGIN[1] :]
    assert count_color(arena, CALM) + count_color(arena, ALARMED) > 800 * 5  # prey bodies
    assert count_color(arena, HUNTER) > 60 * 5
    panel = pixels[:PANEL_W]
    assert bright_pixels(panel, 180) > 2000  # text
    assert count_color(panel, (255, 170, 80)) > 100  # physics thread's budget bar
    assert count_color(panel, (140, 220, 140)) > 100  # AI thread's budget bar


@pytest.mark.window
@pytest.mark.usefixtures("real_window")
def test_window_run_under_xvfb_shows_agents_and_panel(tmp_path: Path) -> None:
    run = run_window(workers, 60, tmp_path)  # paced at 60 fps; overlay shown (top right)
    assert run.driver == "x11"
    pixels = run.pixels
    arena = pixels[ARENA_ORIGIN[0] : SIZE[0] - 300]  # left of the overlay
    tolerance = 8  # a 16-bit display quantises colours
    prey = count_color(arena, CALM, tolerance) + count_color(arena, ALARMED, tolerance)
    assert prey > 1000
    assert count_color(arena, HUNTER, tolerance) > 50
    assert bright_pixels(pixels[:PANEL_W], 180) > 2000


def test_steady_state_frames_allocate_nothing_from_numpy_and_never_collect() -> None:
    apps: list[App] = []
    # numpy allocations are counted on every thread that runs a system (the probe installs
    # itself on the workers); 240 frames: after the helper's forced full collection the
    # interpreter's free lists refill once, a hundred-odd objects
    assert_steady_state_clean(build, warmup=60, frames=240, size=SIZE, setup=apps.append)
    ledger = apps[0].resource(ThreadLedger)
    assert ledger.overlapping_frames > 0


# --- threads, transfers, barrier, budgets ---------------------------------------------------


def test_single_and_multi_threaded_runs_are_identical() -> None:
    results = {}
    for single in (True, False):
        app = small_app(single)
        try:
            with StrictModeGuard.panic_on_warning():
                frames(app, 150)
            results[single] = fingerprint(app)
            ledger = app.resource(ThreadLedger)
            used = ledger.threads_of[PHYSICS] | ledger.threads_of[AI]
            if single:
                assert used == {threading.main_thread().name}
            else:
                assert "framealloc-worker-0" in ledger.threads_of[PHYSICS]
                assert "framealloc-worker-1" in ledger.threads_of[AI]
        finally:
            app.shutdown()
    assert results[True] == results[False]
    assert results[True][3] > 0  # hunters caught prey: the simulation did something


def test_seed_changes_the_run() -> None:
    runs = []
    for seed in (1, 2):
        alloc = SmartAlloc()
        options = DemoOptions(headless=True, overlay=False, single_threaded=True, seed=seed,
                              extra=SMALL)
        app = build_demo_app(build, options, size=SIZE, alloc=alloc)
        try:
            frames(app, 20)
            runs.append(fingerprint(app))
        finally:
            app.shutdown()
    assert runs[0][0] != runs[1][0]


def test_worker_threads_get_budgets_and_meet_at_the_barrier() -> None:
    app = small_app(False)
    try:
        with StrictModeGuard.panic_on_warning():
            frames(app, 40)
        alloc = app.resource(AllocResource).alloc
        ledger = app.resource(ThreadLedger)
        workers_seen = [r for r in ledger.threads.values() if r.name.startswith("framealloc-")]
        assert len(workers_seen) == 2
        for record in workers_seen:
            assert alloc.thread_budget_config(record.ident) == BUDGET
            assert record.budget is not None
            assert record.budget.thread_id == record.ident
            assert 0 < record.budget.frame_peak <= BUDGET.frame_budget
            assert record.budget.exceeded_count == 0
        probe = app.resource(BarrierProbe)
        assert probe.barrier is app.frame_barrier
        assert probe.waits_last_frame == 3  # main + the two workers that ran systems
        stats = app.frame_barrier.stats()
        assert stats.generations == 40
        assert app.frame_barrier.expected == 1  # workers unregister after each frame
        links = app.resource(Links)
        assert links.to_ai.crossed > 30
        assert links.to_physics.crossed > 30
    finally:
        app.shutdown()


def test_mailboxes_hand_packets_over_once_with_a_lag() -> None:
    alloc = SmartAlloc()
    box = Mailbox("test", 1, alloc, np.float32, (3,))
    packet = box.pack(7, np.arange(3, dtype=np.float32))
    box.post(7, alloc.frame_box_for_transfer(packet).send())
    assert box.take(7) is None  # lag 1: not in the frame it was sent
    handle = box.take(8)
    assert handle is not None
    received = handle.receive()
    assert received is packet  # by reference: the mailbox's heap block, no copy
    assert received.frame == 7
    assert received.array.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(TransferError):
        handle.receive()  # once only
    assert box.take(8) is None
    # an untaken handle is cancelled (not dropped) when its slot is reused
    box.post(9, alloc.frame_box_for_transfer(box.pack(9, np.ones(3, np.float32))).send())
    box.post(11, alloc.frame_box_for_transfer(box.pack(11, np.ones(3, np.float32))).send())
    assert box.cancelled == 1
    box.clear()
    stats = alloc.transfer_stats()
    assert (stats.initiated, stats.received, stats.cancelled, stats.in_flight) == (3, 1, 2, 0)
    now = Mailbox("now", 0, alloc, np.float32, (1,))
    now.post(3, alloc.frame_box_for_transfer(now.pack(3, np.zeros(1, np.float32))).send())
    assert now.take(3) is not None  # lag 0: the same frame
    with pytest.raises(ValueError, match="lag"):
        Mailbox("bad", 2, alloc, np.float32, (1,))


def test_packets_travel_without_numpy_allocations() -> None:
    alloc = SmartAlloc()
    box = Mailbox("test", 0, alloc, np.float32, (1000,))
    value = alloc.heap_alloc(np.float32, 1000)
    value.fill(2.0)
    for _ in range(3):  # warm up
        box.post(0, alloc.frame_box_for_transfer(box.pack(0, value)).send())
        box.take(0).receive()  # type: ignore[union-attr]
    probe = AllocProbe()
    with probe:
        for frame in range(50):
            box.post(frame, alloc.frame_box_for_transfer(box.pack(frame, value)).send())
            handle = box.take(frame)
            assert handle is not None
            assert handle.size == 0  # held by reference
            handle.receive()
    assert probe.numpy_allocations == 0
    with pytest.raises(TypeError, match="by reference"):
        np.asarray(Packet(value))


# --- configuration, command line, assets -----------------------------------------------------


def test_arena_config_from_the_asset_and_overrides() -> None:
    meta = json.loads((ASSETS / "workers" / "arena.json").read_text(encoding="utf-8"))
    cfg = ArenaConfig.from_json(meta)
    assert (cfg.width, cfg.height) == (SIZE[0] - PANEL_W, SIZE[1])
    assert cfg.n == cfg.prey + cfg.hunters == 900
    assert len(cfg.obstacles) == 5
    assert ArenaConfig.from_json(meta, prey=10).prey == 10
    with pytest.raises(ValueError, match="at least one"):
        ArenaConfig.from_json(meta, hunters=0)


def test_bodies_start_outside_obstacles_and_stay_in_the_arena() -> None:
    app = small_app(True)
    try:
        cfg = app.resource(ArenaConfig)
        bodies = app.resource(Bodies)
        frames(app, 60)
        x, y = bodies.x, bodies.y
        assert np.isfinite(bodies.state).all()
        assert (x >= cfg.radius - 1e-3).all()
        assert (x <= cfg.width - cfg.radius + 1e-3).all()
        assert (y >= cfg.radius - 1e-3).all()
        assert (y <= cfg.height - cfg.radius + 1e-3).all()
        for ox, oy, r in cfg.obstacles:
            # pushed out every step; the separation push may nudge a little back in
            assert (np.hypot(x - ox, y - oy) > r - 2 * cfg.radius).all()
    finally:
        app.shutdown()


def test_launcher_and_command_line() -> None:
    assert "workers" in available()
    result = run_command("demos.workers", "--headless", "--frames", "12")
    assert result.returncode == 0, result.stderr
    assert "workers: 12 frames" in result.stdout
    assert "budget overruns: 0" in result.stdout


def test_generator_reproduces_the_committed_assets(tmp_path: Path) -> None:
    out = load_generator("make_workers").main(tmp_path)
    np.testing.assert_array_equal(
        load_pixels(out / "sprites.png"), load_pixels(ASSETS / "workers" / "sprites.png")
    )
    made = json.loads((out / "arena.json").read_text(encoding="utf-8"))
    assert made == json.loads((ASSETS / "workers" / "arena.json").read_text(encoding="utf-8"))
    licence = (ASSETS / "workers" / "LICENSE.md").read_text(encoding="utf-8")
    assert "CC0-1.0" in licence
    for name in ("sprites.png", "arena.json"):
        assert f"`{name}`" in licence
