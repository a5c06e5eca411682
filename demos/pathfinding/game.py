"""The pathfinding demo as an App: resources, systems and the plugin that wires them.

Every frame (``Update``, chained, main thread)::

    ai        doors          open/close doors; agents whose path a door closed re-plan
              think          resting agents pick goals and ask for paths
              plan_paths     straight-line speculation, budgeted A* attempts, long searches
    physics   move_agents    walk the paths (vectorised), slower in forest and water
    render    draw           tiles, search heat, paths, goals, agents, HUD

and in ``Last``, ``promote_paths`` copies the paths found this frame (retained frame
allocations) into pool memory: ``SmartAllocPlugin`` ends each frame with a plain
``end_frame()``, which discards retained allocations, so the promotion that
``end_frame_with_promotions()`` would do happens here, explicitly, before the frame ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame

from framealloc_engine import tags
from framealloc_engine.app import App, Last, Plugin, Res, ResMut, Time, Update, chain
from framealloc_engine.bridge import AllocResource
from framealloc_pygame import Screen

from .._harness import DemoOptions, demo_main
from ..assets import load_image
from .agents import MOVING, NEEDS_GOAL, RESTING, WAITING, Agent, Agents, MoveTemps
from .level import TILE, TILE_ORDER, Level, load_rows
from .planner import Planner
from .search import Segments

__all__ = [
    "AGENTS",
    "HUD_HEIGHT",
    "SIZE",
    "Heat",
    "PathfindingPlugin",
    "View",
    "build",
    "details",
    "main",
]

#: Window size: a 34-pixel HUD bar above the 800 x 416 map.
SIZE = (800, 450)
HUD_HEIGHT = 34
#: Agents walking the map.
AGENTS = 24
#: Capacity of the scratch pool the long searches use.
SCRATCH_BYTES = 64 * 1024
_COLORS = (
    (255, 214, 64), (255, 110, 90), (120, 200, 255), (190, 140, 255),
    (255, 150, 220), (120, 255, 170), (255, 170, 70), (240, 240, 240),
)
_DECAY = np.full((), 10, np.uint8)
_THREE_U8 = np.full((), 3, np.uint8)
_TWO_U8 = np.full((), 2, np.uint8)


class Heat:
    """Where searches expanded nodes lately: a byte per cell (pool memory), set to 255 by
    the search and fading every frame; drawn as a glow over the map.

    Args:
        grid: ``uint8`` array of one byte per cell.
    """

    def __init__(self, grid: np.ndarray) -> None:
        grid.fill(0)
        self.grid = grid
        self.view = grid.data


@dataclass(eq=False)
class View:
    """What ``draw`` needs: surfaces, sprites, the HUD cache."""

    world: pygame.Surface
    background: pygame.Surface
    tiles: list[pygame.Surface]
    agents: list[pygame.Surface]
    heat_small: pygame.Surface
    heat_big: pygame.Surface
    font: pygame.font.Font
    level_version: int = -1
    hud: pygame.Surface | None = None
    frames: int = 0


def load_view(level: Level) -> View:
    """Load the tiles and agents from ``assets/pathfinding/`` (display must be open)."""
    size = (level.width * TILE, level.height * TILE)
    sheet = load_image("pathfinding", "tiles.png", alpha=False)
    tiles = [sheet.subsurface((i * TILE, 0, TILE, TILE)) for i in range(len(TILE_ORDER))]
    strip = load_image("pathfinding", "agents.png")
    side = strip.get_height()
    agents = [strip.subsurface((i * side, 0, side, side)) for i in range(len(_COLORS))]
    background = pygame.Surface(size, 0, 32)
    for cell in range(level.size):
        y, x = divmod(cell, level.width)
        background.blit(tiles[int(level.code[cell])], (x * TILE, y * TILE))
    return View(
        world=pygame.Surface(size, 0, 32),
        background=background,
        tiles=tiles,
        agents=agents,
        heat_small=pygame.Surface((level.width, level.height), 0, 32),
        heat_big=pygame.Surface(size, 0, 32),
        font=pygame.font.Font(None, 18),
        level_version=level.version,
    )


# --- ai ------------------------------------------------------------------------------------


def doors(
    alloc: AllocResource,
    level: ResMut[Level],
    agents: ResMut[Agents],
    planner: ResMut[Planner],
    time: Time,
) -> None:
    """Open and close doors; agents whose path runs through a closed one plan again."""
    with alloc.phase_scope("ai"), alloc.with_tag("ai"):
        segments = Segments.alloc(alloc, level.value.width)
        changed = level.value.update_doors(time.elapsed)
        if not any(not door.open for door in changed):
            return
        a, p = agents.value, planner.value
        state = a.records["state"]
        for i in range(len(a)):
            if state[i] == MOVING and a.blocked(i, segments):
                a.drop_path(i)
                state[i] = WAITING
                p.request(i, a.cell(i), int(a.records["goal"][i]))
                a.replans += 1


def think(
    alloc: AllocResource, agents: ResMut[Agents], planner: ResMut[Planner], time: Time
) -> None:
    """Resting agents count down, then pick a goal and ask for a path; agents whose goal
    turned out unreachable rest a second and pick another."""
    with alloc.phase_scope("ai"), alloc.with_tag("ai"):
        a, p = agents.value, planner.value
        rec = a.records
        state, timer = rec["state"], rec["timer"]
        for agent in p.unreachable:  # walled in (a door closed): wait, then try elsewhere
            state[agent] = RESTING
            timer[agent] = 1.0
        p.unreachable.clear()
        dt = time.delta
        for i in range(len(a)):
            if state[i] == RESTING:
                timer[i] = float(timer[i]) - dt
                if timer[i] <= 0.0:
                    state[i] = NEEDS_GOAL
            if state[i] == NEEDS_GOAL:
                goal = a.random_cell()
                rec["goal"][i] = goal
                state[i] = WAITING
                p.request(i, a.cell(i), goal)


def plan_paths(alloc: AllocResource, planner: ResMut[Planner], heat: ResMut[Heat]) -> None:
    """Answer path requests within this frame's node budget."""
    with alloc.phase_scope("ai"), alloc.with_tag("ai"), alloc.with_tag("pathfinding"):
        planner.value.plan(alloc, heat.value.view)


def promote_paths(
    alloc: AllocResource, planner: ResMut[Planner], agents: ResMut[Agents]
) -> None:
    """Copy this frame's found paths into pool boxes (the promotion ``end_frame`` skips)."""
    p = planner.value
    if not p.found:
        return
    with alloc.phase_scope("ai"), alloc.with_tag("ai"), alloc.with_tag("pathfinding"):
        a = agents.value
        for agent, path in p.found:
            if a.records["state"][agent] == WAITING:
                # one box per path: each is freed on its own, when its agent arrives
                a.set_path(agent, alloc.pool_box(path))  # fa: allow FA602
                p.stats["promoted"] += 1
                p.stats["promoted_bytes"] += path.nbytes
        p.found.clear()
        alloc.clear_retained()  # promoted by hand: end_frame() has nothing to discard


# --- physics -------------------------------------------------------------------------------


def move_agents(alloc: AllocResource, agents: ResMut[Agents], time: Time) -> None:
    """Walk every agent along its path."""
    with alloc.phase_scope("physics"), alloc.with_tag(tags.PHYSICS):
        a = agents.value
        a.move(time.delta, MoveTemps.alloc(alloc, len(a), a.level.width))


# --- render --------------------------------------------------------------------------------


def draw(
    alloc: AllocResource,
    screen: Res[Screen],
    view: ResMut[View],
    level: Res[Level],
    agents: Res[Agents],
    planner: Res[Planner],
    heat: ResMut[Heat],
) -> None:
    """Map, fading search heat, paths, goals and agents; the HUD bar on top."""
    with alloc.phase_scope("render"), alloc.with_tag(tags.RENDERING):
        v, lv, a = view.value, level.value, agents.value
        if v.level_version != lv.version:
            for door in lv.doors:
                y, x = divmod(door.cell, lv.width)
                v.background.blit(v.tiles[int(lv.code[door.cell])], (x * TILE, y * TILE))
            v.level_version = lv.version
        world = v.world
        world.blit(v.background, (0, 0))
        _draw_heat(alloc, v, lv, heat.value.grid)
        _draw_agents(world, v, lv, a)
        surface = screen.value.surface
        surface.fill((16, 18, 28), (0, 0, SIZE[0], HUD_HEIGHT))
        if v.hud is None or v.frames % 15 == 0:
            v.hud = _hud(v.font, a, planner.value, lv)
        surface.blit(v.hud, (8, 4))
        surface.blit(world, (0, HUD_HEIGHT))
        v.frames += 1


def _draw_heat(alloc: AllocResource, v: View, level: Level, grid: np.ndarray) -> None:
    """Fade the heat and add it over the map as a faint blue glow."""
    np.maximum(grid, _DECAY, out=grid)
    np.subtract(grid, _DECAY, out=grid)
    rgb = alloc.frame_alloc(np.uint8, (level.width, level.height, 3))
    cells = grid.reshape(level.height, level.width).T
    rgb[..., 0].fill(0)
    np.right_shift(cells, _THREE_U8, out=rgb[..., 1])
    np.right_shift(cells, _TWO_U8, out=rgb[..., 2])
    pygame.surfarray.blit_array(v.heat_small, rgb)
    pygame.transform.scale(v.heat_small, v.heat_big.get_size(), v.heat_big)
    v.world.blit(v.heat_big, (0, 0), special_flags=pygame.BLEND_ADD)


def _draw_agents(world: pygame.Surface, v: View, level: Level, a: Agents) -> None:
    rec = a.records
    state, wp, pos, color = rec["state"], rec["wp"], rec["pos"], rec["color"]
    for i in range(len(a)):
        rgb = _COLORS[int(color[i]) % len(_COLORS)]
        x, y = int(pos[i, 0]), int(pos[i, 1])
        path = a.paths[i]
        if state[i] == MOVING and path is not None:
            points = path.array[int(wp[i]) :]
            pygame.draw.line(world, rgb, (x, y), (int(points[0, 0]), int(points[0, 1])), 2)
            if len(points) > 1:
                pygame.draw.lines(world, rgb, False, points, 2)
        if state[i] in (WAITING, MOVING):
            gx, gy = level.centre(int(rec["goal"][i]))
            pygame.draw.rect(world, rgb, (gx - 4, gy - 4, 9, 9), 2)
    for i in range(len(a)):
        sprite = v.agents[int(color[i]) % len(v.agents)]
        world.blit(sprite, (int(pos[i, 0]) - 6, int(pos[i, 1]) - 6))


def _hud(font: pygame.font.Font, a: Agents, p: Planner, level: Level) -> pygame.Surface:
    s = p.stats
    moving = sum(1 for state in a.records["state"] if state == MOVING)
    closed = sum(1 for door in level.doors if not door.open)
    scratch = p.scratch.stats()
    lines = (
        f"agents {len(a)} ({moving} walking)   paths: {s['straight']} straight, "
        f"{s['attempts_found']} A* in frame memory, {s['long_found']} long   "
        f"rollbacks {s['rollbacks']}   promoted {s['promoted']}",
        f"scratch '{scratch.name}': {scratch.allocated // 1024} KiB now, peak "
        f"{scratch.peak // 1024} of {scratch.capacity // 1024} KiB, {scratch.resets} resets   "
        f"doors closed {closed}/{len(level.doors)}   nodes expanded {s['expansions']}",
    )
    surfaces = [font.render(line, True, (225, 228, 240)) for line in lines]
    hud = pygame.Surface((max(sf.get_width() for sf in surfaces), 28), pygame.SRCALPHA)
    for row, line_surface in enumerate(surfaces):
        hud.blit(line_surface, (0, row * 14))
    return hud


# --- wiring --------------------------------------------------------------------------------


class PathfindingPlugin(Plugin):
    """Resources and systems of the pathfinding demo.

    Args:
        seed: Seed of spawn places, goals and speeds.
        agents: How many agents walk the map.
    """

    def __init__(self, seed: int = 1, agents: int = AGENTS) -> None:
        self.seed = seed
        self.agents = agents

    def build(self, app: App) -> None:
        """Load the level; insert the planner, the agents and the heat; add the systems."""
        alloc = app.resource(AllocResource)
        rows = load_rows()
        cells = len(rows) * len(rows[0])
        level = Level(rows, alloc.pool_alloc(np.uint8, cells), alloc.pool_alloc(np.uint8, cells))
        app.insert_resource(level)
        scratch = alloc.scratch_pool("pathfinding", SCRATCH_BYTES)
        app.insert_resource(Planner(level, scratch))
        app.insert_resource(Agents(alloc.pool_alloc(Agent, self.agents), level, self.seed))
        app.insert_resource(Heat(alloc.pool_alloc(np.uint8, cells)))
        # One chain on the main thread: each step uses the previous one's results and
        # the search is pure Python (it holds the GIL), so workers would only add hand-offs.
        app.add_systems(
            Update, chain(doors, think, plan_paths, move_agents, draw).on_main_thread()
        )
        app.add_systems(Last, promote_paths)

    def finish(self, app: App) -> None:
        """Load the tiles and sprites once the window (real or dummy) is open."""
        app.insert_resource(load_view(app.resource(Level)))


def build(app: App, options: DemoOptions) -> None:
    """Add the pathfinding demo to a harness app."""
    app.add_plugins(PathfindingPlugin(seed=options.seed))


def details(app: App) -> dict[str, Any]:
    """Figures for the frame summary."""
    planner = app.resource(Planner)
    agents = app.resource(Agents)
    s = planner.stats
    scratch = planner.scratch.stats()
    return {
        "paths": f"{s['requests']} requested: {s['straight']} straight lines, "
        f"{s['attempts_found']} of {s['attempts']} frame-memory A* attempts, "
        f"{s['long_found']} of {s['long_started']} long searches, {s['unreachable']} "
        f"unreachable; {s['expansions']} nodes expanded",
        "speculation": f"{s['rollbacks']} rollbacks ({s['rolled_back_bytes']} bytes of "
        "A* node arrays returned in O(1))",
        "promotion": f"{s['promoted']} paths promoted to pool boxes ({s['promoted_bytes']} "
        f"bytes, {s['path_waypoints']} waypoints found)",
        "scratch": f"'{scratch.name}' peak {scratch.peak} of {scratch.capacity} bytes, "
        f"{scratch.resets} resets",
        "agents": f"{len(agents)} agents, {agents.arrived} arrivals, {agents.replans} re-plans "
        "after a door closed",
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m demos.pathfinding [--headless] [--frames N] [--screenshot PATH] ...``."""
    return demo_main("pathfinding", build, argv, size=SIZE, details=details)
