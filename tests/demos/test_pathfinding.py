"""The pathfinding demo: runs, steady state, and A*, line of sight, planner lanes, doors."""

from __future__ import annotations

import heapq
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from demos import pathfinding
from demos._harness import DemoOptions, build_demo_app
from demos.pathfinding import SIZE, build
from demos.pathfinding.agents import MOVING, WAITING, Agent, Agents
from demos.pathfinding.level import COSTS, TILE, Level, load_rows
from demos.pathfinding.planner import Planner
from demos.pathfinding.search import (
    FOUND,
    PENDING,
    UNREACHABLE,
    NodeArrays,
    Search,
    Segments,
    leading_clear,
    smooth,
)
from framealloc_engine import AllocConfig, SmartAlloc
from framealloc_engine.app import App
from tests.demos.support import (
    assert_steady_state_clean,
    bright_pixels,
    frames,
    headless_app,
    load_generator,
    load_pixels,
    run_headless,
    run_window,
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(60)

YELLOW_AGENT = (255, 214, 64)
RED_AGENT = (255, 110, 90)
BLUE_AGENT = (120, 200, 255)
WALL = (96, 96, 108)


def count_color(pixels: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 12) -> int:
    """Pixels within ``tolerance`` of ``rgb`` on every channel."""
    diff = np.abs(pixels.astype(np.int16) - np.asarray(rgb, np.int16))
    return int((diff <= tolerance).all(axis=-1).sum())


def make_level(rows: list[str]) -> Level:
    size = len(rows) * len(rows[0])
    return Level(rows, np.zeros(size, np.uint8), np.zeros(size, np.uint8))


def fresh_nodes(level: Level) -> NodeArrays:
    return NodeArrays(
        np.zeros(level.size, np.int32), np.zeros(level.size, np.int32),
        np.zeros(level.size, np.uint8),
    )


def dijkstra(level: Level, start: int, goal: int) -> int | None:
    """Reference shortest path cost with A*'s move rules (8 directions, no corner cutting)."""
    w, cost = level.width, level.cost
    best = {start: 0}
    heap = [(0, start)]
    while heap:
        d, node = heapq.heappop(heap)
        if node == goal:
            return d
        if d > best[node]:
            continue
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                nb = node + dy * w + dx
                if (dx == dy == 0) or not cost[nb]:
                    continue
                if dx and dy and not (cost[node + dx] and cost[node + dy * w]):
                    continue
                nd = d + int(cost[nb]) * (14 if dx and dy else 10) // 10
                if nd < best.get(nb, 1 << 60):
                    best[nb] = nd
                    heapq.heappush(heap, (nd, nb))
    return None


def fingerprint(app: App) -> tuple[object, ...]:
    planner = app.resource(Planner)
    agents = app.resource(Agents)
    return (
        tuple(sorted(planner.stats.items())),
        np.round(agents.records["pos"].astype(np.float64), 3).tobytes(),
        agents.records["state"].tobytes(),
        agents.arrived,
    )


# --- whole runs -----------------------------------------------------------------------------


def test_headless_run_is_strict_clean_and_draws_the_scene(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_headless(pathfinding, 420, tmp_path)  # strict mode; behaviour filter clean
    assert run.driver == "dummy"
    out = capsys.readouterr().out
    assert "pathfinding: 420 frames, frame time p50" in out
    assert "paths promoted to pool boxes" in out
    pixels = run.pixels
    assert pixels.shape == (*SIZE, 3)
    # the map (walls, the river), agents of several colours with their paths, the HUD
    assert count_color(pixels, WALL, 8) > 5000
    r, g, b = (pixels[..., c].astype(np.int16) for c in range(3))
    assert int(((b > r + 80) & (b > g + 40)).sum()) > 5000  # the river (search glow or not)
    for color in (YELLOW_AGENT, RED_AGENT, BLUE_AGENT):
        assert count_color(pixels, color) > 60, color
    assert bright_pixels(pixels[:, :34], 200) > 600


@pytest.mark.window
@pytest.mark.usefixtures("real_window")
def test_window_run_under_xvfb_shows_the_scene(tmp_path: Path) -> None:
    run = run_window(pathfinding, 180, tmp_path)
    assert run.driver == "x11"
    pixels = run.pixels
    assert pixels.shape == (*SIZE, 3)
    assert count_color(pixels, WALL, 16) > 5000
    assert count_color(pixels, YELLOW_AGENT, 16) > 60
    assert bright_pixels(pixels[:, :34], 200) > 600


def test_steady_state_frames_allocate_nothing_from_numpy_and_never_collect() -> None:
    apps: list[App] = []
    assert_steady_state_clean(build, warmup=300, frames=300, setup=apps.append)
    # the measured frames did every kind of work: compare with a run of the warm-up only
    baseline = headless_app(build)
    try:
        frames(baseline, 300)
        before = dict(baseline.resource(Planner).stats)
    finally:
        baseline.shutdown()
    after = apps[0].resource(Planner).stats
    for key in ("attempts_found", "rollbacks", "long_found", "scratch_resets", "promoted"):
        assert after[key] > before[key], key


def test_found_paths_are_promoted_never_discarded() -> None:
    alloc = SmartAlloc(AllocConfig())
    app = build_demo_app(build, DemoOptions(headless=True, overlay=False), size=SIZE, alloc=alloc)
    discarded = 0
    for _ in range(240):
        app.update()
        discarded += alloc.last_frame_summary().discarded_count
        assert alloc.retained_count() == 0 or alloc.frame_active
    stats = app.resource(Planner).stats
    app.shutdown()
    assert stats["promoted"] > 10
    assert discarded == 0
    agents = app.resource(Agents)
    walking = [i for i in range(len(agents)) if agents.records["state"][i] == MOVING]
    assert walking
    for i in walking:  # every walking agent owns its path in pool memory
        path = agents.paths[i]
        assert path is not None
        assert path.array.dtype == np.int32
        assert path.array.shape[1] == 2


def test_same_seed_same_walk_any_executor() -> None:
    prints = []
    for single_threaded, seed in ((False, 2), (True, 2), (True, 3)):
        app = headless_app(build, seed=seed, single_threaded=single_threaded, overlay=False)
        try:
            frames(app, 300)
            prints.append(fingerprint(app))
        finally:
            app.shutdown()
    assert prints[0] == prints[1]
    assert prints[0] != prints[2]


def test_generator_reproduces_the_committed_assets(tmp_path: Path) -> None:
    written = load_generator("make_pathfinding").main(tmp_path)
    assert [p.name for p in written] == ["map.txt", "tiles.png", "agents.png"]
    committed = ROOT / "assets" / "pathfinding"
    assert (tmp_path / "map.txt").read_text() == (committed / "map.txt").read_text()
    for name in ("tiles.png", "agents.png"):
        np.testing.assert_array_equal(load_pixels(tmp_path / name), load_pixels(committed / name))
    rows = load_rows()
    assert len(rows) * TILE + 34 == SIZE[1]
    assert len(rows[0]) * TILE == SIZE[0]
    assert set("".join(rows)) <= set(COSTS)


# --- A* -------------------------------------------------------------------------------------

OPEN_MAP = [
    "##########",
    "#,,,,,,,,#",
    "#,,,,,,,,#",
    "#,,,####,#",
    "#,,,#,,,,#",
    "#,,,#,TT,#",
    "#,,,,,~~,#",
    "##########",
]


def test_astar_matches_dijkstra_and_avoids_costly_terrain() -> None:
    level = make_level(OPEN_MAP)
    w = level.width
    start, goal = 1 * w + 1, 5 * w + 8
    search = Search(0, start, goal, fresh_nodes(level), [], w)
    assert search.run(level.cost.data, 10_000) == FOUND
    assert search.nodes.g[goal] == dijkstra(level, start, goal)
    cells = np.zeros(level.size, np.intp)
    n = search.trace(cells)
    assert cells[0] == start
    assert cells[n - 1] == goal
    for a, b in zip(cells[: n - 1], cells[1:n], strict=True):  # neighbours, all walkable
        assert max(abs(a % w - b % w), abs(a // w - b // w)) == 1
        assert level.cost[b]


def test_astar_resumes_across_budgets_and_reports_walled_goals() -> None:
    level = make_level(OPEN_MAP)
    w = level.width
    start, goal = 1 * w + 1, 4 * w + 6
    whole = Search(0, start, goal, fresh_nodes(level), [], w)
    assert whole.run(level.cost.data, 10_000) == FOUND
    sliced = Search(0, start, goal, fresh_nodes(level), [], w)
    statuses = []
    while not statuses or statuses[-1] == PENDING:
        statuses.append(sliced.run(level.cost.data, 3))
    assert statuses[0] == PENDING
    assert statuses[-1] == FOUND
    assert sliced.expansions == whole.expansions
    assert sliced.nodes.g[goal] == whole.nodes.g[goal]
    walled = make_level(["##########", "#,,,,,,,,#", "#,,,####,#", "#,,,#,,#,#", "#,,,####,#",
                         "##########"])
    search = Search(0, start, 3 * w + 5, fresh_nodes(walled), [], w)
    assert search.run(walled.cost.data, 10_000) == UNREACHABLE
    assert search.expansions == 20  # every cell outside the little room, then nothing left


@given(
    cells=st.lists(st.sampled_from(",,,,T~#"), min_size=64, max_size=64),
    ends=st.tuples(st.integers(0, 63), st.integers(0, 63)),
)
def test_astar_cost_is_optimal_on_random_maps(cells: list[str], ends: tuple[int, int]) -> None:
    inner = ["".join(cells[r * 8 : r * 8 + 8]) for r in range(8)]
    level = make_level(["#" * 10, *(f"#{row}#" for row in inner), "#" * 10])
    w = level.width
    start, goal = ((e // 8 + 1) * w + e % 8 + 1 for e in ends)
    level.cost[start] = level.cost[goal] = 10
    search = Search(0, start, goal, fresh_nodes(level), [], w)
    status = search.run(level.cost.data, 10_000)
    reference = dijkstra(level, start, goal)
    if reference is None:
        assert status == UNREACHABLE
    else:
        assert status == FOUND
        assert search.nodes.g[goal] == reference


# --- line of sight and smoothing ------------------------------------------------------------


def test_line_of_sight_counts_leading_clear_segments() -> None:
    level = make_level(OPEN_MAP)
    alloc = SmartAlloc.with_defaults()
    with alloc.frame_scope():
        s = Segments.alloc(alloc, level.width)
        # from (1, 1): along the top, slightly down, through the wall, straight down
        segments = [(1, 1, 8, 1), (1, 1, 8, 2), (1, 1, 6, 5), (1, 1, 1, 6)]
        for j, (x0, y0, x1, y1) in enumerate(segments):
            s.x0[j], s.y0[j], s.x1[j], s.y1[j] = x0, y0, x1, y1
        assert leading_clear(level.cost, s, 4, cheap=False) == 2
        s.x1[2], s.y1[2] = 3, 6  # left of the wall instead
        assert leading_clear(level.cost, s, 4, cheap=False) == 4
        s.x0[3], s.y0[3], s.x1[3], s.y1[3] = 1, 6, 7, 6  # into the water: walkable, not cheap
        assert leading_clear(level.cost, s, 4, cheap=False) == 4
        assert leading_clear(level.cost, s, 4, cheap=True) == 3


def test_smoothing_keeps_only_the_corners() -> None:
    level = make_level(OPEN_MAP)
    w = level.width
    alloc = SmartAlloc.with_defaults()
    search = Search(0, 1 * w + 1, 4 * w + 5, fresh_nodes(level), [], w)
    assert search.run(level.cost.data, 10_000) == FOUND
    with alloc.frame_scope():
        cells = np.zeros(level.size, np.intp)
        n = search.trace(cells)
        xs = (cells[:n] % w).astype(np.float32)
        ys = (cells[:n] // w).astype(np.float32)
        keep = np.zeros(n, np.intp)
        k = smooth(xs, ys, n, level.cost, Segments.alloc(alloc, w), keep)
    assert 2 <= k < n
    kept = [(int(xs[i]), int(ys[i])) for i in keep[:k]]
    assert kept[0] == (1, 1)
    assert kept[-1] == (5, 4)


# --- planner lanes --------------------------------------------------------------------------


def test_planner_lanes_roll_back_and_recycle_scratch() -> None:
    alloc = SmartAlloc.with_defaults()
    level = make_level(load_rows())
    w = level.width
    scratch = alloc.scratch_pool("pathfinding-test", 64 * 1024)
    planner = Planner(level, scratch, attempt_budget=20, frame_budget=400, long_slice=100)
    near = 13 * w + 20
    planner.request(0, near, near + 3)  # a straight line over grass
    planner.request(1, 13 * w + 2, 13 * w + 47)  # across the map: too far for 20 nodes
    with alloc.frame_scope():
        before = alloc.frame_remaining()
        planner.plan(alloc)
        assert [agent for agent, _ in planner.found] == [0]
        assert planner.found[0][1].tolist() == [[328, 216], [376, 216]]
        assert alloc.retained_count() == 1
        assert planner.stats["rollbacks"] == 2  # agent 1: the straight line, then A*
        assert planner.stats["rolled_back_bytes"] > 3 * level.size
        assert len(planner.long) == 1  # resumed from scratch memory
        assert scratch.allocated > 0
        kept = before - alloc.frame_remaining()
        planner.found.clear()
    frames_needed = 1
    while planner.long:
        with alloc.frame_scope():
            planner.plan(alloc)
        frames_needed += 1
        assert frames_needed < 50
    assert kept < 300_000
    assert [agent for agent, _ in planner.found] == [1]
    assert planner.stats["long_found"] == 1
    assert scratch.allocated == 0  # reset once no long search was left
    assert planner.stats["scratch_resets"] == 1


# --- level and agents -----------------------------------------------------------------------


def test_doors_of_a_house_open_and_close_together() -> None:
    level = make_level(load_rows())
    assert len(level.doors) == 10
    houses = {door.house for door in level.doors}
    assert len(houses) == 6
    seen_closed: set[int] = set()
    seen_open: set[int] = set()
    changes = 0
    for t in np.arange(0.0, 2 * level.period, 0.05):
        changes += bool(level.update_doors(float(t)))
        for house in houses:
            states = {door.open for door in level.doors if door.house == house}
            assert len(states) == 1  # a house's doors move together
            (seen_open if states.pop() else seen_closed).add(house)
        for door in level.doors:
            assert level.cost[door.cell] == (COSTS["D"] if door.open else 0)
    assert seen_closed == seen_open == houses
    assert level.version == changes > 6


def test_agent_path_through_a_closing_door_is_blocked() -> None:
    alloc = SmartAlloc.with_defaults()
    level = make_level(load_rows())
    agents = Agents(alloc.pool_alloc(Agent, 2), level, seed=1)
    door = level.doors[0]
    dy, dx = divmod(door.cell, level.width)
    across = level.cost[door.cell - 1] and level.cost[door.cell + 1]  # a door in a side wall
    step = (2, 0) if across else (0, 2)
    path = np.array([[(dx - step[0]) * TILE + 8, (dy - step[1]) * TILE + 8],
                     [(dx + step[0]) * TILE + 8, (dy + step[1]) * TILE + 8]], np.int32)
    agents.records["pos"][0] = path[0]
    agents.records["state"][0] = WAITING
    agents.set_path(0, alloc.pool_box(path))
    agents.records["wp"][0] = 1
    with alloc.frame_scope():
        s = Segments.alloc(alloc, level.width)
        assert not agents.blocked(0, s)
        level.cost[door.cell] = COSTS["d"]
        assert agents.blocked(0, s)
    agents.drop_path(0)
    assert agents.paths[0] is None
