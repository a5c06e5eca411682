"""The bullets demo: headless and windowed runs, steady-state frames, pools, waves, stamps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pygame
import pytest

from demos import bullets
from demos._harness import DemoOptions, build_demo_app
from demos.bullets import SIZE, BulletPools, Score, build
from demos.bullets.pools import CHUNK, BulletPool, ChunkTemps, const
from demos.bullets.render import RenderTemps, Stamp, draw_bullets
from demos.bullets.sim import Player
from demos.bullets.waves import RING, WaveDirector
from framealloc_engine import (
    AllocConfig,
    DiagnosticKind,
    SmartAlloc,
    StaleHandleError,
    StrictModeGuard,
)
from framealloc_engine.app import App
from tests.demos.support import (
    assert_steady_state_clean,
    bright_pixels,
    frames,
    headless_app,
    load_generator,
    load_pixels,
    run_command,
    run_headless,
    run_window,
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(60)

PINK_RIM = (200, 30, 140)
ORANGE_RIM = (230, 100, 20)
SHIP = (90, 210, 255)
RING_ENEMY = (220, 60, 200)
AIMED_ENEMY = (255, 140, 40)
PLAYER_SHOT = (255, 236, 120)


def count_color(pixels: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 12) -> int:
    """Pixels within ``tolerance`` of ``rgb`` on every channel (the tolerance absorbs a
    16-bit display's quantisation)."""
    diff = np.abs(pixels.astype(np.int16) - np.asarray(rgb, np.int16))
    return int((diff <= tolerance).all(axis=-1).sum())


def fingerprint(app: App) -> tuple[object, ...]:
    """Everything the run decided: score, waves, bullet counts, where the bullets are."""
    pools = app.resource(BulletPools)
    director = app.resource(WaveDirector)
    score = app.resource(Score)
    ship = app.resource(Player)
    total = np.zeros(2)
    for pool in pools.all:
        for index in range(len(pool.chunks)):
            chunk = pool.fields(index)
            total += chunk.pos[chunk.ttl > 0].sum(axis=0, dtype=np.float64)
    return (
        score.points, score.kills, director.spawned, director.cleared,
        tuple(p.spawned for p in pools.all), tuple(p.count for p in pools.all),
        round(float(total[0]), 2), round(float(total[1]), 2),
        round(float(ship.pos[0]), 3), round(float(ship.pos[1]), 3), ship.hits,
    )


@pytest.fixture
def app_and_alloc() -> Iterator[tuple[App, SmartAlloc]]:
    """A headless bullets app (no overlay) with the behaviour filter on."""
    alloc = SmartAlloc(AllocConfig())
    alloc.enable_behavior_filter()
    app = build_demo_app(build, DemoOptions(headless=True, overlay=False), size=SIZE, alloc=alloc)
    yield app, alloc
    app.shutdown()


# --- whole runs -----------------------------------------------------------------------------


def test_headless_run_is_strict_clean_and_draws_the_scene(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_headless(bullets, 360, tmp_path)  # strict mode; behaviour filter clean
    assert run.driver == "dummy"
    assert run.report.details["waves"].startswith("2 spawned")
    assert "bullets: 360 frames, frame time p50" in capsys.readouterr().out
    pixels = run.pixels
    assert pixels.shape == (*SIZE, 3)
    # the scene: a screen full of both waves' bullets, the enemies, the ship and its shots
    assert count_color(pixels, PINK_RIM) > 3000
    assert count_color(pixels, ORANGE_RIM) > 500
    assert count_color(pixels, RING_ENEMY) > 200
    assert count_color(pixels, AIMED_ENEMY) > 300
    assert count_color(pixels, SHIP) > 100
    assert count_color(pixels, PLAYER_SHOT) > 100
    assert bright_pixels(pixels[:500, :24], 200) > 300  # the HUD line, top left


@pytest.mark.window
@pytest.mark.usefixtures("real_window")
def test_window_run_under_xvfb_shows_the_scene(tmp_path: Path) -> None:
    run = run_window(bullets, 240, tmp_path)  # paced at 60 fps, real time steps
    assert run.driver == "x11"
    pixels = run.pixels
    assert pixels.shape == (*SIZE, 3)
    assert count_color(pixels, PINK_RIM) > 300
    assert count_color(pixels, SHIP) > 100
    assert count_color(pixels, RING_ENEMY) > 100


def test_steady_state_frames_allocate_nothing_from_numpy_and_never_collect() -> None:
    apps: list[App] = []
    # frames 360-600: two waves fly, the third spawns (a group, a handle block), chunks
    # come and go; none of it may allocate from numpy or trigger a collection
    assert_steady_state_clean(build, warmup=360, frames=240, setup=apps.append)
    assert apps[0].resource(WaveDirector).spawned == 3


def test_long_run_clears_waves_and_recycles_chunks(
    app_and_alloc: tuple[App, SmartAlloc],
) -> None:
    app, alloc = app_and_alloc
    with StrictModeGuard.panic_on_warning():
        frames(app, 1500)
    director = app.resource(WaveDirector)
    pools = app.resource(BulletPools)
    assert director.spawned >= 4  # a round of three, a breather, the next round
    assert director.cleared >= 3
    assert director.groups.freed_groups == director.cleared
    assert len(director.groups) == len(director.waves) == director.spawned - director.cleared
    # the enemy pool grew chunk by chunk and gave chunks back once waves were gone
    assert pools.enemy.chunks_allocated > 2
    assert sum(p.chunks_freed for p in pools.all) >= 1
    handles = alloc.handles().stats()
    assert handles.live == sum(len(p.chunks) for p in pools.all) + len(director.waves)
    assert alloc.behavior_report().issues_at_level(DiagnosticKind.WARNING) == []


def test_same_seed_same_game_any_executor() -> None:
    prints = []
    for single_threaded, seed in ((False, 3), (True, 3), (True, 4)):
        app = headless_app(build, seed=seed, single_threaded=single_threaded, overlay=False)
        try:
            frames(app, 420)
            prints.append(fingerprint(app))
        finally:
            app.shutdown()
            pygame.quit()
    assert prints[0] == prints[1]
    assert prints[0] != prints[2]
    assert prints[0][2] >= 2  # waves were spawned, bullets flew
    assert prints[0][4][1] > 500


def test_phases_and_tags_split_the_frame(app_and_alloc: tuple[App, SmartAlloc]) -> None:
    app, alloc = app_and_alloc
    frames(app, 120)
    phases = alloc.phase_stats()
    assert {"ai", "physics", "render"} <= set(phases)
    assert all(phases[name].frame_bytes > 0 for name in ("ai", "physics", "render"))
    by_tag = alloc.frame_tag_stats()
    assert {"ai", "physics", "physics::collision", "rendering"} <= set(by_tag)


def test_launcher_lists_and_runs_it() -> None:
    listed = run_command("demos", "--list", timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert "bullets" in listed.stdout
    result = run_command("demos", "bullets", "--headless", "--frames", "90")
    assert result.returncode == 0, result.stderr
    assert "bullets: 90 frames" in result.stdout
    assert "behaviour warnings: 0" in result.stdout


# --- pieces ---------------------------------------------------------------------------------


def spawn_batch(n: int, x0: float = 100.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pos = np.zeros((n, 2), np.float32)
    pos[:, 0] = x0 + np.arange(n)
    pos[:, 1] = 50.0
    vel = np.zeros((n, 2), np.float32)
    vel[:, 1] = 60.0
    return pos, vel, np.zeros(n, np.uint8)


def live_x(pool: BulletPool) -> list[float]:
    xs: list[float] = []
    for index in range(len(pool.chunks)):
        chunk = pool.fields(index)
        xs += chunk.pos[chunk.ttl > 0, 0].tolist()
    return sorted(xs)


def test_pool_fills_holes_then_grows_then_releases_chunks() -> None:
    alloc = SmartAlloc.with_defaults()
    handles = alloc.handles()
    pool = BulletPool("test", handles, idle_frames=2)
    ttl = const(10, np.uint16)
    with alloc.frame_scope():
        temps = ChunkTemps.alloc(alloc)
        pool.spawn(*spawn_batch(CHUNK + 44), ttl, temps)
        assert len(pool.chunks) == 2
        assert pool.live == [CHUNK, 44]
        first = pool.fields(0)
        first.ttl[10:20] = 0  # ten bullets die in the first chunk
        pool.live[0] -= 10
        pool.spawn(*spawn_batch(12, x0=1000.0), ttl, temps)
    # the holes were filled first, in slot order; the last two went to the second chunk
    assert pool.live == [CHUNK, 46]
    assert first.pos[10:20, 0].tolist() == [1000.0 + i for i in range(10)]
    assert live_x(pool)[-2:] == [1010.0, 1011.0]
    assert pool.spawned == CHUNK + 44 + 12
    centre = np.array([400, 225], np.float32)
    extent = np.array([410, 235], np.float32)
    dt = np.full((), 1 / 60, np.float32)
    with alloc.frame_scope():
        temps = ChunkTemps.alloc(alloc)
        for _ in range(10):  # every bullet runs out of frames
            pool.integrate(dt, centre, extent, temps)
    assert pool.count == 0
    for _ in range(3):
        pool.release_idle()
    assert len(pool.chunks) == 1
    assert pool.chunks_freed == 1
    assert handles.stats().live == 1


def test_pool_kills_off_screen_bullets_and_moves_the_rest() -> None:
    alloc = SmartAlloc.with_defaults()
    pool = BulletPool("test", alloc.handles())
    pos = np.array([[100, 100], [5, 100], [100, 100]], np.float32)
    vel = np.array([[0, 60], [-1200, 0], [60, 0]], np.float32)
    centre = np.array([400, 225], np.float32)
    extent = np.array([410, 235], np.float32)
    dt = np.full((), 1 / 60, np.float32)
    with alloc.frame_scope():
        temps = ChunkTemps.alloc(alloc)
        pool.spawn(pos, vel, np.zeros(3, np.uint8), const(100, np.uint16), temps)
        pool.integrate(dt, centre, extent, temps)
    chunk = pool.fields(0)
    assert chunk.ttl[:3].tolist() == [99, 0, 99]  # the second left the screen
    assert chunk.pos[0].tolist() == pytest.approx([100, 101])
    assert chunk.pos[2].tolist() == pytest.approx([101, 100])
    assert pool.count == 2


def test_pool_follows_its_chunks_when_defragment_moves_them() -> None:
    alloc = SmartAlloc.with_defaults()
    handles = alloc.handles()
    spacer = handles.alloc(np.uint8, 4096)
    pool = BulletPool("test", handles)
    with alloc.frame_scope():
        pool.spawn(*spawn_batch(5), const(50, np.uint16), ChunkTemps.alloc(alloc))
    before = pool.fields(0).block.__array_interface__["data"][0]
    handles.free(spacer)
    assert handles.defragment() == []  # the pool's cached views pin its chunks in place
    pool.forget_views()
    moves = handles.defragment()
    assert [m.handle for m in moves] == pool.chunks
    after = pool.fields(0)
    assert after.block.__array_interface__["data"][0] != before
    assert after.pos[:5, 0].tolist() == [100.0, 101.0, 102.0, 103.0, 104.0]


def test_wave_is_a_group_and_a_handle_block_freed_together() -> None:
    alloc = SmartAlloc.with_defaults()
    groups, handles = alloc.groups(), alloc.handles()
    director = WaveDirector(groups, handles, seed=5, size=SIZE)
    wave = director.update(1.0)
    assert wave is not None
    assert wave.pattern == RING  # round 1 plays the patterns as written
    assert groups.group_exists(wave.group)
    assert groups.group_count(wave.group) == 1
    assert groups.group_size(wave.group) == RING.count * 12
    home = wave.formation.array["home"]
    assert (home[:, 0] > 0).all()
    assert (home[:, 0] < SIZE[0]).all()
    fields = wave.fields(handles)
    assert fields.hp.tolist() == [RING.hp] * RING.count
    assert director.clear_finished() == 0  # still alive
    fields.alive[:] = 0
    wave.alive = 0
    assert director.clear_finished() == 1
    assert not groups.group_exists(wave.group)
    assert not handles.is_valid(wave.enemies)
    with pytest.raises(StaleHandleError):
        _ = wave.formation.array
    assert director.escaped == RING.count


def test_stamps_draw_live_bullets_only() -> None:
    canvas = pygame.Surface((64, 32), 0, 32)
    canvas.fill((0, 0, 0))
    dot = pygame.Surface((3, 3), pygame.SRCALPHA)
    dot.fill((255, 0, 0, 255))
    dot.set_at((0, 0), (0, 0, 0, 0))  # transparent corner: not stamped
    stamp = Stamp.from_surface(dot, canvas)
    assert stamp.size == 8
    assert stamp.radius == 1
    sa = SmartAlloc.with_defaults()
    pool = BulletPool("test", sa.handles())
    pos = np.array([[10, 10], [30, 20], [50, 5]], np.float32)
    with sa.frame_scope():
        pool.spawn(pos, np.zeros((3, 2), np.float32), np.zeros(3, np.uint8),
                   const(5, np.uint16), ChunkTemps.alloc(sa))
        pool.fields(0).ttl[1] = 0  # dead: not drawn
        drawn = draw_bullets(canvas, [(pool, (stamp,))], RenderTemps.alloc(sa, stamp.size))
    assert drawn == 2
    red = pygame.surfarray.array3d(canvas)[..., 0] == 255
    assert int(red.sum()) == 16
    assert red[10, 10]
    assert red[11, 11]
    assert not red[9, 9]  # the transparent corner is not stamped
    assert not red[30, 20]
    assert red[50, 5]
    canvas.blit(dot, (0, 0))  # the canvas is unlocked again


def test_generator_reproduces_the_committed_sprites(tmp_path: Path) -> None:
    written = load_generator("make_bullets").main(tmp_path)
    committed = ROOT / "assets" / "bullets"
    assert sorted(p.name for p in written) == sorted(p.name for p in committed.glob("*.png"))
    for path in written:
        np.testing.assert_array_equal(load_pixels(path), load_pixels(committed / path.name))
        assert path.stat().st_size < 2048
