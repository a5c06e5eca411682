"""The bullets demo as an App: resources, systems and the plugin that wires them.

Every frame (``Update``, chained)::

    ai        direct_waves   spawn a wave (an allocation group) when it is due
              pilot          keyboard or autopilot (dodging), the ship's volleys
              enemies_act    formation flying and enemy volleys
    physics   integrate      move and age every bullet, chunk by chunk
              collide        player shots vs enemies, enemy shots vs the ship, sparks
              clear_waves    free_group() finished waves, free idle chunks
    render    draw           sprites, stamped bullets, HUD (main thread)

and in ``Last``, ``compact_handles`` defragments the handle allocator a few blocks at a time.
Each system runs inside ``alloc.phase_scope(...)`` and a tag (``ai``,
``tags.PHYSICS``/``physics::collision``, ``tags.RENDERING``), so the per-phase and per-tag
statistics split the frame's memory the way the game is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pygame

from framealloc_engine import tags
from framealloc_engine.app import App, Last, Local, Plugin, Res, ResMut, Time, Update, chain
from framealloc_engine.bridge import AllocResource
from framealloc_pygame import Input, Screen

from .._harness import DemoOptions, demo_main
from ..assets import load_image
from .pools import BulletPool, ChunkTemps, const
from .render import RenderTemps, Stamp, draw_bullets
from .sim import (
    CollideTemps,
    EnemyTemps,
    Player,
    Stage,
    burst,
    dodge_push,
    emit,
    enemy_hits,
    fire_wave,
    gather_enemies,
    move_wave,
    player_hits,
)
from .waves import PATTERNS, WaveDirector

__all__ = [
    "SIZE",
    "BulletPools",
    "BulletsPlugin",
    "Score",
    "View",
    "build",
    "details",
    "main",
]

#: Window size.
SIZE = (800, 450)
#: Frames an enemy bullet, a player bullet and a spark live at most.
TTL_ENEMY = const(600, np.uint16)
TTL_PLAYER = const(60, np.uint16)
TTL_SPARK = const(36, np.uint16)
#: Hit radius of the ship (bullet hells forgive: only the core counts).
PLAYER_RADIUS = 4.0
_MOVE_KEYS = {
    pygame.K_LEFT: (-1, 0), pygame.K_a: (-1, 0), pygame.K_RIGHT: (1, 0), pygame.K_d: (1, 0),
    pygame.K_UP: (0, -1), pygame.K_w: (0, -1), pygame.K_DOWN: (0, 1), pygame.K_s: (0, 1),
}


class BulletPools:
    """The three bullet pools (player shots, enemy shots, sparks) sharing the allocator's
    handle allocator, and the geometry they are integrated against.

    Args:
        alloc: The allocator resource (its ``handles()`` hold every chunk).
        seed: Seed of the sparks' random directions.
        size: Playfield size.
    """

    def __init__(self, alloc: AllocResource, seed: int, size: tuple[int, int]) -> None:
        handles = alloc.handles()
        self.player = BulletPool("player", handles)
        self.enemy = BulletPool("enemy", handles)
        self.sparks = BulletPool("sparks", handles, drag=0.2, idle_frames=30)
        self.rng = np.random.default_rng(seed + 7919)
        width, height = size
        self.centre = np.array([width / 2, height / 2], np.float32)
        self.extent = np.array([width / 2 + 10, height / 2 + 10], np.float32)

    @property
    def all(self) -> tuple[BulletPool, BulletPool, BulletPool]:
        """Every pool."""
        return self.player, self.enemy, self.sparks


@dataclass
class Score:
    """Points and tallies."""

    points: int = 0
    kills: int = 0
    shots_hit: int = 0


@dataclass(eq=False)
class View:
    """What ``draw`` needs: the canvas, sprites, bullet stamps and the HUD cache."""

    canvas: pygame.Surface
    background: pygame.Surface
    ship: pygame.Surface
    enemies: dict[str, pygame.Surface]
    player_bullet: tuple[Stamp, ...]
    enemy_bullets: tuple[Stamp, ...]
    spark: tuple[Stamp, ...]
    font: pygame.font.Font
    hud: pygame.Surface | None = None
    scroll: float = 0.0
    frames: int = 0
    drawn: int = 0
    max_stamp: int = field(init=False)

    def __post_init__(self) -> None:
        stamps = (*self.player_bullet, *self.enemy_bullets, *self.spark)
        self.max_stamp = max(s.size for s in stamps)


def load_view(size: tuple[int, int]) -> View:
    """Load the sprites from ``assets/bullets/`` and make the canvas (display must be open)."""
    canvas = pygame.Surface(size, 0, 32)
    tile = load_image("bullets", "stars.png", alpha=False)
    width, height = size
    background = pygame.Surface((width, 2 * height), 0, 32)
    for y in range(0, 2 * height, tile.get_height()):
        for x in range(0, width, tile.get_width()):
            background.blit(tile, (x, y))

    def stamps(*names: str) -> tuple[Stamp, ...]:
        return tuple(Stamp.from_surface(load_image("bullets", n), canvas) for n in names)

    return View(
        canvas=canvas,
        background=background,
        ship=load_image("bullets", "ship.png"),
        enemies={p.sprite: load_image("bullets", p.sprite) for p in PATTERNS},
        player_bullet=stamps("bullet_player.png"),
        enemy_bullets=stamps("bullet_pink.png", "bullet_orange.png", "bullet_green.png"),
        spark=stamps("spark.png"),
        font=pygame.font.Font(None, 20),
    )


# --- ai ------------------------------------------------------------------------------------


def direct_waves(alloc: AllocResource, director: ResMut[WaveDirector], time: Time) -> None:
    """Spawn the next wave when it is due (its group's memory is charged to ``ai``)."""
    with alloc.phase_scope("ai"), alloc.with_tag("ai"):
        director.value.update(time.delta)


def pilot(
    alloc: AllocResource,
    player: ResMut[Player],
    pools: ResMut[BulletPools],
    director: Res[WaveDirector],
    keys: Res[Input],
    time: Time,
) -> None:
    """Fly the ship (arrows/WASD; otherwise the autopilot hunts, weaves and dodges), fire."""
    with alloc.phase_scope("ai"), alloc.with_tag("ai"):
        temps = CollideTemps.alloc(alloc)
        stage = Stage.alloc(alloc, 8)
        chunk = ChunkTemps.alloc(alloc)
        p, dt = player.value, time.delta
        pos = p.pos
        width, height = SIZE
        dx = dy = 0
        for key, (kx, ky) in _MOVE_KEYS.items():
            if key in keys.value.pressed:
                dx += kx
                dy += ky
        if dx or dy:
            p.manual = 2.0
            norm = 280.0 * dt / math.hypot(dx, dy)
            x, y = float(pos[0]) + dx * norm, float(pos[1]) + dy * norm
        elif p.manual > 0.0:
            p.manual -= dt
            x, y = float(pos[0]), float(pos[1])
        else:
            aim = _nearest_enemy_x(director.value, float(pos[0]))
            x, y = _autopilot(pos, aim, time.elapsed, dt, pools.value.enemy, temps)
        pos[0] = min(max(x, 14.0), width - 14.0)
        pos[1] = min(max(y, height * 0.45), height - 16.0)
        p.fire_cool -= dt
        if p.fire_cool <= 0.0:
            p.fire_cool += 0.08
            p.volleys += 1
            origin = (float(pos[0]), float(pos[1]) - 14.0)
            k = emit(stage, 0, origin, -math.pi / 2 - 0.12, 0.06, 5, 640.0, 0)
            pools.value.player.spawn(stage.pos[:k], stage.vel[:k], stage.sprite[:k],
                                     TTL_PLAYER, chunk)


def _nearest_enemy_x(director: WaveDirector, x: float) -> float | None:
    """The x of the on-screen enemy horizontally nearest to ``x`` (the next target)."""
    best, best_dx = None, math.inf
    for wave in director.waves:
        f = wave.fields(director.handles)
        for i in range(wave.count):
            ex = float(f.pos[i, 0])
            if f.alive[i] and f.pos[i, 1] > 0.0 and abs(ex - x) < best_dx:
                best, best_dx = ex, abs(ex - x)
    return best


def _autopilot(
    pos: np.ndarray,
    aim: float | None,
    elapsed: float,
    dt: float,
    enemy: BulletPool,
    temps: CollideTemps,
) -> tuple[float, float]:
    """Weave under the next target (or across the screen), pushed away from the nearest
    enemy bullets."""
    width, height = SIZE
    if aim is None:
        tx = width / 2 + 0.32 * width * math.sin(0.53 * elapsed)
    else:
        tx = aim + 40.0 * math.sin(2.3 * elapsed)
    ty = height - 80.0 + 26.0 * math.sin(0.8 * elapsed)
    push_x, push_y = dodge_push(enemy, pos, 60.0, temps)
    x, y = float(pos[0]), float(pos[1])
    gx = tx - x + max(-150.0, min(150.0, 4000.0 * push_x))
    gy = ty - y + max(-120.0, min(120.0, 4000.0 * push_y))
    dist = math.hypot(gx, gy)
    step = min(dist, 320.0 * dt)
    if dist > 1e-3:
        x += gx / dist * step
        y += gy / dist * step
    return x, y


def enemies_act(
    alloc: AllocResource,
    director: ResMut[WaveDirector],
    pools: ResMut[BulletPools],
    player: Res[Player],
    time: Time,
) -> None:
    """Fly every wave's formation and stage its volleys; spawn them in one batch."""
    with alloc.phase_scope("ai"), alloc.with_tag("ai"):
        temps = EnemyTemps.alloc(alloc)
        stage = Stage.alloc(alloc)
        chunk = ChunkTemps.alloc(alloc)
        d, dt = director.value, time.delta
        pos = player.value.pos
        target = (float(pos[0]), float(pos[1]))
        k = 0
        for wave in d.waves:
            move_wave(wave, d.handles, dt, SIZE[1], temps)
            k = fire_wave(wave, d.handles, dt, target, stage, k, temps)
        pools.value.enemy.spawn(stage.pos[:k], stage.vel[:k], stage.sprite[:k], TTL_ENEMY,
                                chunk)


# --- physics -------------------------------------------------------------------------------


def integrate(alloc: AllocResource, pools: ResMut[BulletPools], time: Time) -> None:
    """Move every bullet and count its life down (vectorised per chunk)."""
    with alloc.phase_scope("physics"), alloc.with_tag(tags.PHYSICS):
        temps = ChunkTemps.alloc(alloc)
        dt = alloc.frame_alloc(np.float32, ())
        dt.fill(time.delta)
        p = pools.value
        for pool in p.all:
            pool.integrate(dt, p.centre, p.extent, temps)


def collide(
    alloc: AllocResource,
    pools: ResMut[BulletPools],
    director: ResMut[WaveDirector],
    player: ResMut[Player],
    score: ResMut[Score],
    time: Time,
) -> None:
    """Player shots against enemies, enemy shots against the ship; sparks where they hit."""
    with alloc.phase_scope("physics"), alloc.with_tag(tags.PHYSICS), alloc.with_tag(
        "collision"
    ):
        temps = CollideTemps.alloc(alloc)
        stage = Stage.alloc(alloc, 512)
        chunk = ChunkTemps.alloc(alloc)
        p, d, s, ship = pools.value, director.value, score.value, player.value
        gather_enemies(d, temps)
        k = 0
        if enemy_hits(p.player, temps):
            k = _apply_damage(d, temps, s, stage, p.rng)
        for wave in d.waves:
            wave.alive = int(np.count_nonzero(wave.fields(d.handles).alive))
        if ship.invulnerable > 0.0:
            ship.invulnerable -= time.delta
        elif player_hits(p.enemy, ship.pos, PLAYER_RADIUS, temps):
            ship.hits += 1
            ship.invulnerable = 1.5
            k = burst(stage, k, (float(ship.pos[0]), float(ship.pos[1])), 40, p.rng)
        p.sparks.spawn(stage.pos[:k], stage.vel[:k], stage.sprite[:k], TTL_SPARK, chunk)


def _apply_damage(
    director: WaveDirector, temps: CollideTemps, score: Score, stage: Stage,
    rng: np.random.Generator,
) -> int:
    k = 0
    row = 0
    for wave in director.waves:
        f = wave.fields(director.handles)
        n = wave.count
        damage = temps.damage[row : row + n]
        row += n
        if not np.count_nonzero(damage):
            continue
        np.subtract(f.hp, damage, out=f.hp)
        for i in range(n):
            hits = int(damage[i])
            if not hits or not f.alive[i]:
                continue
            score.shots_hit += hits
            score.points += 10 * hits
            origin = (float(f.pos[i, 0]), float(f.pos[i, 1]))
            if f.hp[i] <= 0:
                f.alive[i] = 0
                wave.kills += 1
                score.kills += 1
                score.points += 50 * wave.pattern.hp
                k = burst(stage, k, origin, 32, rng)
            else:
                k = burst(stage, k, origin, 3, rng)
    return k


def clear_waves(director: ResMut[WaveDirector], pools: ResMut[BulletPools]) -> None:
    """Free finished waves (one ``free_group`` each) and chunks that stayed empty."""
    director.value.clear_finished()
    for pool in pools.value.all:
        pool.release_idle()


# --- render --------------------------------------------------------------------------------


def draw(
    alloc: AllocResource,
    screen: Res[Screen],
    view: ResMut[View],
    pools: Res[BulletPools],
    director: Res[WaveDirector],
    player: Res[Player],
    score: Res[Score],
    time: Time,
) -> None:
    """Background, enemies, ship, every bullet stamped into the canvas, then the HUD."""
    with alloc.phase_scope("render"), alloc.with_tag(tags.RENDERING):
        v, d, ship = view.value, director.value, player.value
        temps = RenderTemps.alloc(alloc, v.max_stamp)
        canvas = v.canvas
        height = canvas.get_height()
        v.scroll = (v.scroll + 30.0 * time.delta) % height
        canvas.blit(v.background, (0, int(v.scroll) - height))
        for wave in d.waves:
            sprite = v.enemies[wave.pattern.sprite]
            ox, oy = sprite.get_width() // 2, sprite.get_height() // 2
            f = wave.fields(d.handles)
            for i in range(wave.count):
                if f.alive[i]:
                    canvas.blit(sprite, (int(f.pos[i, 0]) - ox, int(f.pos[i, 1]) - oy))
        x, y = int(ship.pos[0]), int(ship.pos[1])
        if ship.invulnerable <= 0.0 or int(ship.invulnerable * 12) % 2:
            canvas.blit(v.ship, (x - v.ship.get_width() // 2, y - v.ship.get_height() // 2))
        p = pools.value
        layers = ((p.sparks, v.spark), (p.player, v.player_bullet), (p.enemy, v.enemy_bullets))
        drawn = draw_bullets(canvas, layers, temps)
        pygame.draw.circle(canvas, (255, 255, 255), (x, y), 2)
        v.drawn = drawn
        if v.hud is None or v.frames % 15 == 0:
            v.hud = v.font.render(
                f"round {d.round}   wave {d.spawned}   score {score.value.points}   "
                f"bullets {p.enemy.count}   chunks {sum(len(q.chunks) for q in p.all)}   "
                f"hits taken {ship.hits}",
                True,
                (230, 230, 240),
            )
        canvas.blit(v.hud, (8, 6))
        v.frames += 1
        screen.value.surface.blit(canvas, (0, 0))


def compact_handles(
    alloc: AllocResource,
    frames: Local[int],
    pools: Res[BulletPools],
    director: Res[WaveDirector],
) -> None:
    """Every half second, move a few handle blocks to close the gaps freed chunks left.

    The pools and waves drop their cached field views first: a block whose views are still
    referenced never moves (a write through them would land where another block goes).
    """
    frames.value += 1
    if frames.value % 30 == 0:
        for pool in pools.value.all:
            pool.forget_views()
        director.value.forget_views()
        alloc.handles().defragment(max_moves=4)


# --- wiring --------------------------------------------------------------------------------


class BulletsPlugin(Plugin):
    """Resources and systems of the bullets demo.

    Args:
        seed: Seed of every random choice (formations, sparks).
        size: Playfield size (the window's).
    """

    def __init__(self, seed: int = 1, size: tuple[int, int] = SIZE) -> None:
        self.seed = seed
        self.size = size

    def build(self, app: App) -> None:
        """Insert the pools, the wave director, the ship and the score; add the systems."""
        alloc = app.resource(AllocResource)
        app.insert_resource(BulletPools(alloc, self.seed, self.size))
        app.insert_resource(
            WaveDirector(alloc.groups(), alloc.handles(), seed=self.seed, size=self.size)
        )
        ship = alloc.pool_alloc(np.float32, 2)
        ship[0], ship[1] = self.size[0] / 2, self.size[1] - 60.0
        app.insert_resource(Player(ship))
        app.init_resource(Score)
        app.add_systems(
            Update,
            # One chain on the main thread: each step needs the previous one's results, and
            # its numpy calls are too small to release the GIL for long, so worker threads
            # would add a hand-off per system and win nothing. It also keeps the arena's
            # view reuse exact (the same requests on the same thread every frame).
            chain(
                direct_waves, pilot, enemies_act, integrate, collide, clear_waves, draw
            ).on_main_thread(),
        )
        app.add_systems(Last, compact_handles)

    def finish(self, app: App) -> None:
        """Load the sprites once the window (real or dummy) is open."""
        app.insert_resource(load_view(self.size))


def build(app: App, options: DemoOptions) -> None:
    """Add the bullets demo to a harness app."""
    app.add_plugins(BulletsPlugin(seed=options.seed, size=SIZE))


def details(app: App) -> dict[str, Any]:
    """Figures for the frame summary."""
    pools = app.resource(BulletPools)
    director = app.resource(WaveDirector)
    score = app.resource(Score)
    player = app.resource(Player)
    handles = pools.player.handles.stats()
    alloc = app.resource(AllocResource)
    phases = alloc.phase_stats()
    return {
        "waves": f"{director.spawned} spawned, {director.cleared} cleared "
        f"({director.groups.freed_groups} groups freed), {score.kills} kills",
        "bullets": f"{sum(p.spawned for p in pools.all)} spawned, "
        f"{sum(p.count for p in pools.all)} live, "
        f"{sum(p.chunks_allocated for p in pools.all)} chunks allocated / "
        f"{sum(p.chunks_freed for p in pools.all)} freed",
        "handles": f"{handles.live} live, {handles.relocations_total} relocations in "
        f"{handles.defragment_calls} defragment calls",
        "score": f"{score.points} ({score.shots_hit} hits), ship hit {player.hits} times",
        "frame bytes by phase": ", ".join(
            f"{name} {counts.frame_bytes}" for name, counts in sorted(phases.items())
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m demos.bullets [--headless] [--frames N] [--screenshot PATH] ...``."""
    return demo_main("bullets", build, argv, size=SIZE, details=details)
