"""The streaming demo: strict headless and windowed runs, the budget, priorities, evictions,
loaded bytes, steady-state frames, the camera and the assets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pygame
import pytest

from demos import streaming
from demos.__main__ import available
from demos._harness import DemoOptions, build_demo_app
from demos.streaming import SIZE, build
from demos.streaming.camera import Camera
from demos.streaming.render import (
    EVICTED_COLOR,
    MINIMAP_SCALE,
    TIER_COLORS,
    Canvas,
    Hud,
)
from demos.streaming.streamer import (
    PRIORITIES,
    READY,
    ChunkStreamer,
    StreamingSettings,
    tier_of,
)
from demos.streaming.world import (
    CHUNK_PX,
    CHUNK_TILES,
    ENTRY_BYTES,
    MAP_BYTES,
    TILE_PX,
    WorldAssets,
    load_world,
    write_texture_rows,
    write_tile_map,
)
from framealloc_engine import AllocConfig, SmartAlloc, StreamState, StrictModeGuard
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

#: Screen area clear of the HUD (top left) and the minimap (bottom left).
CLEAR = (slice(340, SIZE[0]), slice(166, SIZE[1]))
#: Same, also clear of the overlay (top right; shown in a window).
CLEAR_OF_OVERLAY = (slice(210, 490), slice(170, SIZE[1]))


def count_color(pixels: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 0) -> int:
    """Pixels within ``tolerance`` of ``rgb`` on every channel."""
    diff = np.abs(pixels.astype(np.int16) - np.asarray(rgb, np.int16))
    return int((diff <= tolerance).all(axis=-1).sum())


def expected_entry(world: WorldAssets, alloc: SmartAlloc, chunk: int) -> np.ndarray:
    """A chunk's stream entry (tile map, then texture) built in one go, outside streaming."""
    entry = np.zeros(ENTRY_BYTES, np.uint8)
    tile_map = entry[:MAP_BYTES].reshape(CHUNK_TILES, CHUNK_TILES)
    texture = entry[MAP_BYTES:].view(np.uint32).reshape(CHUNK_PX, CHUNK_PX)
    with alloc.frame_scope():
        write_tile_map(world, alloc, chunk, tile_map)
        scratch = alloc.frame_alloc(np.uint32, (CHUNK_TILES, TILE_PX, TILE_PX))
        ids = alloc.frame_alloc(np.intp, CHUNK_TILES)
        for row in range(CHUNK_TILES):
            write_texture_rows(world, tile_map, row, texture, scratch, ids)
    return entry


def expected_view(left: int, top: int, seed: int = 1) -> np.ndarray:
    """The world's pixels under a view at ``(left, top)``, as ``(w, h, 3)`` RGB (surfarray
    order), synthesized chunk by chunk from the assets."""
    alloc = SmartAlloc.with_defaults()
    world = load_world(alloc, seed)
    w, h = SIZE
    packed = np.zeros((h, w), np.uint32)
    for j in range(top // CHUNK_PX, (top + h - 1) // CHUNK_PX + 1):
        for i in range(left // CHUNK_PX, (left + w - 1) // CHUNK_PX + 1):
            texture = expected_entry(world, alloc, j * world.width + i)[MAP_BYTES:]
            texture = texture.view(np.uint32).reshape(CHUNK_PX, CHUNK_PX)
            sx, sy = i * CHUNK_PX - left, j * CHUNK_PX - top
            x0, y0 = max(sx, 0), max(sy, 0)
            x1, y1 = min(sx + CHUNK_PX, w), min(sy + CHUNK_PX, h)
            packed[y0:y1, x0:x1] = texture[y0 - sy : y1 - sy, x0 - sx : x1 - sx]
    rgb = np.stack([(packed >> s) & 0xFF for s in (16, 8, 0)], axis=-1).astype(np.uint8)
    return rgb.transpose(1, 0, 2)


def camera_after(n: int) -> Camera:
    """Where the headless orbit puts the camera after ``n`` frames of 1/60 s."""
    camera = Camera.centred(SIZE, (48, 32))
    for _ in range(n):
        camera.orbit_time += 1 / 60
    camera.follow_orbit()
    return camera


@pytest.fixture
def app() -> Iterator[App]:
    """A headless streaming app (no overlay) with the behaviour filter on."""
    alloc = SmartAlloc(AllocConfig())
    alloc.enable_behavior_filter()
    demo = build_demo_app(build, DemoOptions(headless=True, overlay=False), size=SIZE, alloc=alloc)
    yield demo
    demo.shutdown()


# --- whole runs -----------------------------------------------------------------------------


def test_headless_run_is_strict_clean_streams_and_draws_the_world(tmp_path: Path) -> None:
    run = run_headless(streaming, 420, tmp_path)  # strict mode; behaviour filter clean
    assert run.driver == "dummy"
    d = run.report.details
    # a budget far smaller than the world, never exceeded, never refused
    assert d["budget bytes"] == StreamingSettings().budget_bytes
    assert d["budget bytes"] * 10 < d["world bytes"]
    assert 0 < d["peak used bytes"] <= d["budget bytes"]
    assert d["failed reservations"] == 0
    # chunks streamed in and out: more loads than the budget holds, evictions, re-priorities
    assert d["loaded"] > StreamingSettings().budget_slots
    assert d["evicted"] > 0
    assert d["promoted"] > 0
    assert d["demoted"] > 0
    assert d["in view ready"] == d["in view"] > 0
    # the screenshot: where nothing is drawn on top, exactly the world the assets describe
    camera = camera_after(420)
    pixels = run.pixels
    assert pixels.shape == (*SIZE, 3)
    want = expected_view(camera.left, camera.top)
    np.testing.assert_array_equal(pixels[CLEAR], want[CLEAR])
    # the HUD: text, the budget bar in tier colours, the red eviction counter
    hud = pixels[8:338, 8:158]
    assert bright_pixels(hud, 200) > 400
    assert count_color(hud, TIER_COLORS[3]) > 50
    assert count_color(hud, TIER_COLORS[2]) > 50
    assert count_color(hud, EVICTED_COLOR) > 20
    # the minimap: resident chunks in their tier colours, the view rectangle in white
    mini = pixels[8 : 8 + 48 * MINIMAP_SCALE, SIZE[1] - 8 - 32 * MINIMAP_SCALE : SIZE[1] - 8]
    assert count_color(mini, TIER_COLORS[3]) >= 9 * 30  # 30+ critical chunks, 3x3 each
    assert count_color(mini, (255, 255, 255)) > 40


@pytest.mark.window
@pytest.mark.usefixtures("real_window")
def test_window_run_under_xvfb_shows_the_world(tmp_path: Path) -> None:
    run = run_window(streaming, 150, tmp_path)  # paced at 60 fps, real time steps
    assert run.driver == "x11"
    assert run.report.details["in view ready"] == run.report.details["in view"]
    pixels = run.pixels
    assert pixels.shape == (*SIZE, 3)
    assert bright_pixels(pixels[8:338, 8:158], 200) > 400  # the HUD
    # the view shows terrain: every clear pixel has a tileset colour (within a 16-bit
    # display's quantisation): no placeholders, everything in view is loaded
    alloc = SmartAlloc.with_defaults()
    tiles = load_world(alloc, 1).tiles
    palette = np.unique(tiles)
    rgb = np.stack([(palette >> s) & 0xFF for s in (16, 8, 0)], axis=-1).astype(np.int16)
    clear = pixels[CLEAR_OF_OVERLAY].reshape(-1, 3)[::37].astype(np.int16)
    nearest = np.abs(clear[:, None, :] - rgb[None, :, :]).max(axis=2).min(axis=1)
    assert (nearest <= 8).mean() > 0.99


@pytest.mark.window
@pytest.mark.usefixtures("real_window")
def test_window_shows_the_canvas_and_pans_with_the_arrow_keys() -> None:
    demo = build_demo_app(build, DemoOptions(headless=False, overlay=False), size=SIZE)
    try:
        frames(demo, 120)  # until everything in view is loaded (no placeholder outlines)
        assert pygame.display.get_driver() == "x11"
        hud = demo.resource(Hud)
        assert hud.visible_ready == hud.visible
        display = pygame.surfarray.array3d(pygame.display.get_surface()).astype(np.int16)
        canvas = demo.resource(Canvas).pixels.T
        rgb = np.stack([(canvas >> s) & 0xFF for s in (16, 8, 0)], axis=-1).astype(np.int16)
        assert np.abs(display[CLEAR] - rgb[CLEAR]).max() <= 8  # 16-bit display tolerance
        camera = demo.resource(Camera)
        x = camera.x
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT, mod=0))
        frames(demo, 3)
        assert camera.manual
        assert camera.x > x
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_RIGHT, mod=0))
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0))
        frames(demo, 2)
        assert not camera.manual  # space resumed the orbit
    finally:
        demo.shutdown()


def test_steady_state_frames_allocate_nothing_from_numpy_and_never_collect() -> None:
    apps: list[App] = []
    # frames 300-540: the budget is full, the camera keeps moving, chunks keep loading,
    # moving between priorities and being evicted; none of it may allocate from numpy or
    # trigger a collection (240 frames: after the helper's forced full collection the
    # interpreter's free lists refill once, a hundred-odd objects)
    assert_steady_state_clean(build, warmup=300, frames=240, size=SIZE, setup=apps.append)
    streamer = apps[0].resource(ChunkStreamer)
    assert streamer.loads > streamer.slots
    assert streamer.evictions > 0


# --- the allocator's side ---------------------------------------------------------------------


def test_budget_holds_and_chunks_keep_streaming_every_frame(app: App) -> None:
    streamer = app.resource(ChunkStreamer)
    streaming_alloc = streamer.streaming
    budget = streaming_alloc.budget_bytes
    with StrictModeGuard.panic_on_warning():
        frames(app, 300)
        before = (streamer.loads, streamer.evictions, streamer.promotions, streamer.demotions)
        for _ in range(240):
            app.update()
            stats = streaming_alloc.stats()
            assert stats.used_bytes <= budget
            # the demo's bookkeeping is the allocator's: one entry per resident chunk
            assert stats.used_bytes == len(streamer.resident) * ENTRY_BYTES
            assert stats.evicted == 0  # evicted ids are freed as soon as they are reported
    after = (streamer.loads, streamer.evictions, streamer.promotions, streamer.demotions)
    assert all(b > a for a, b in zip(before, after, strict=True)), (before, after)
    assert streaming_alloc.stats().failed_reservations == 0
    assert streamer.max_resident == streamer.slots  # the budget was used up


def test_priorities_follow_the_distance_to_the_camera(app: App) -> None:
    frames(app, 400)
    streamer = app.resource(ChunkStreamer)
    view = app.resource(Camera).view_in_chunks()
    hud = app.resource(Hud)
    assert hud.visible_ready == hud.visible
    visible = 0
    for c in streamer.resident:
        info = streamer.streaming.info(streamer.sid[c])
        assert info.priority is PRIORITIES[streamer.prio[c]]
        if streamer.state[c] != READY:
            continue
        assert info.state is StreamState.READY
        d = streamer.ring(c, view)
        if d == 0:  # in view: READY and CRITICAL
            visible += 1
            assert info.priority is PRIORITIES[3]
        # never below its ring's priority; at most one ring above (demotion hysteresis)
        assert tier_of(d) <= streamer.prio[c] <= tier_of(d - 0.5) or d > 3
    assert visible == hud.visible
    counts = streamer.tier_counts()
    assert counts[3] >= visible
    assert counts[0] > 0  # the prefetch ring holds LOW chunks


def test_loaded_bytes_survive_loading_in_slices_and_reprioritisation(app: App) -> None:
    frames(app, 360)
    streamer = app.resource(ChunkStreamer)
    reference = SmartAlloc.with_defaults()
    world = load_world(reference, 1)
    checked = 0
    for c in sorted(streamer.resident):
        if streamer.state[c] != READY:
            continue
        data = streamer.streaming.access(streamer.sid[c])
        assert data is not None
        assert not data.flags.writeable  # READY views are read-only
        np.testing.assert_array_equal(data, expected_entry(world, reference, c))
        checked += 1
    assert checked > 100
    assert streamer.promotions + streamer.demotions > 100  # many were copied on the way


def test_a_smaller_budget_evicts_more_and_still_covers_the_view() -> None:
    options = DemoOptions(headless=True, overlay=False, extra={"budget_slots": 56})
    demo = build_demo_app(build, options, size=SIZE)
    try:
        with StrictModeGuard.panic_on_warning():
            frames(demo, 360)
        streamer = demo.resource(ChunkStreamer)
        stats = streamer.streaming.stats()
        assert stats.budget_bytes == 56 * ENTRY_BYTES
        assert stats.peak_used_bytes <= stats.budget_bytes
        assert stats.failed_reservations == 0
        assert streamer.evictions > 30
        hud = demo.resource(Hud)
        assert hud.visible_ready == hud.visible
    finally:
        demo.shutdown()


def test_the_budget_must_be_smaller_than_the_world() -> None:
    options = DemoOptions(headless=True, overlay=False, extra={"budget_slots": 48 * 32})
    with pytest.raises(ValueError, match="smaller than the world"):
        build_demo_app(build, options, size=SIZE)


def test_streaming_memory_is_the_app_allocators(app: App) -> None:
    alloc = app.resource(AllocResource).alloc
    assert app.resource(ChunkStreamer).streaming is alloc.streaming()
    assert alloc.streaming().budget_bytes == StreamingSettings().budget_bytes


# --- pieces -----------------------------------------------------------------------------------


def test_tiers_by_ring() -> None:
    assert [tier_of(d) for d in (0.0, 0.5, 1.0, 1.5, 2.0, 2.9, 3.0, 3.1)] == [
        3, 2, 2, 1, 1, 0, 0, -1,
    ]
    assert [p.name for p in PRIORITIES] == ["LOW", "NORMAL", "HIGH", "CRITICAL"]


def test_headless_camera_orbit_is_deterministic_and_stays_in_the_world(app: App) -> None:
    frames(app, 240)
    camera = app.resource(Camera)
    want = camera_after(240)
    assert (camera.x, camera.y) == (want.x, want.y)
    for t in range(0, 90):
        probe = Camera.centred(SIZE, (48, 32))
        probe.orbit_time = float(t)
        probe.follow_orbit()
        assert probe.left >= 0
        assert probe.left + SIZE[0] <= 48 * CHUNK_PX
        assert probe.top >= 0
        assert probe.top + SIZE[1] <= 32 * CHUNK_PX


def test_launcher_and_command_line() -> None:
    assert "streaming" in available()
    result = run_command("demos.streaming", "--headless", "--frames", "30")
    assert result.returncode == 0, result.stderr
    assert "streaming: 30 frames" in result.stdout
    assert "failed reservations: 0" in result.stdout


# --- assets -----------------------------------------------------------------------------------


def test_generator_reproduces_the_committed_assets(tmp_path: Path) -> None:
    out = load_generator("make_streaming").main(tmp_path)
    for name in ("tileset.png", "world.png"):
        committed = load_pixels(ASSETS / "streaming" / name)
        np.testing.assert_array_equal(load_pixels(out / name), committed)
    made = json.loads((out / "biomes.json").read_text(encoding="utf-8"))
    assert made == json.loads((ASSETS / "streaming" / "biomes.json").read_text(encoding="utf-8"))
    licence = (ASSETS / "streaming" / "LICENSE.md").read_text(encoding="utf-8")
    assert "CC0-1.0" in licence
    for name in ("tileset.png", "world.png", "biomes.json"):
        assert f"`{name}`" in licence


def test_world_assets_decode() -> None:
    world = load_world(SmartAlloc.with_defaults(), 1)
    assert (world.width, world.height) == (48, 32)
    assert world.tiles.shape == (16, TILE_PX, TILE_PX)
    assert len(world.biome_names) == 8
    assert set(np.unique(world.biomes)) == set(range(8))  # every biome appears
    assert (world.tiles >> 24 == 0xFF).all()  # opaque
