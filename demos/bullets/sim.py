"""The bullets demo's game logic: steering, firing and collisions, vectorised per chunk.

Functions here take their temporaries as arguments (frame-arena arrays the systems
allocate once per frame) and write every result into an existing array, so a steady-state
frame makes no numpy data allocation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from framealloc_engine import HandleAllocator, SmartAlloc

from .pools import CHUNK, BulletPool, const
from .waves import AIMED, MAX_PER_WAVE, RING, Wave, WaveDirector

__all__ = [
    "FAR",
    "MAX_ENEMIES",
    "MAX_STAGE",
    "CollideTemps",
    "EnemyTemps",
    "Player",
    "Stage",
    "dodge_push",
    "emit",
    "enemy_hits",
    "fire_wave",
    "gather_enemies",
    "move_wave",
    "player_hits",
]

#: Bullets one system may stage for spawning in a frame.
MAX_STAGE = 1024
#: Enemies on screen at once (three waves of at most 16).
MAX_ENEMIES = 3 * MAX_PER_WAVE
#: Where dead enemies are parked for the collision pass.
FAR = const(-1.0e5)
_IOTA = np.arange(MAX_STAGE, dtype=np.float32)
_IOTA.flags.writeable = False
_ZERO_F = const(0.0)
_ZERO_U1 = const(0, np.uint8)
_ZERO_U2 = const(0, np.uint16)
_TOP = const(8.0)


@dataclass(eq=False)
class Player:
    """The ship.

    Attributes:
        pos: ``(2,)`` float32 position, a pool block.
        invulnerable: Seconds of invulnerability left after a hit.
        hits: Times it was hit.
        fire_cool: Seconds to the next volley.
        manual: Seconds of keyboard control left before the autopilot takes over again.
        volleys: Volleys fired.
    """

    pos: np.ndarray
    invulnerable: float = 0.0
    hits: int = 0
    fire_cool: float = 0.0
    manual: float = 0.0
    volleys: int = 0


class Stage(NamedTuple):
    """Bullets staged this frame before one ``BulletPool.spawn`` (frame arrays)."""

    pos: np.ndarray
    vel: np.ndarray
    sprite: np.ndarray
    ang: np.ndarray
    speed: np.ndarray
    scalar: np.ndarray

    @classmethod
    def alloc(cls, alloc: SmartAlloc, capacity: int = MAX_STAGE) -> Stage:
        """Staging arrays for ``capacity`` bullets from the calling thread's arena."""
        return cls(
            pos=alloc.frame_alloc(np.float32, (capacity, 2)),
            vel=alloc.frame_alloc(np.float32, (capacity, 2)),
            sprite=alloc.frame_alloc(np.uint8, capacity),
            ang=alloc.frame_alloc(np.float32, capacity),
            speed=alloc.frame_alloc(np.float32, capacity),
            scalar=alloc.frame_alloc(np.float32, ()),
        )


def emit(
    stage: Stage,
    k: int,
    origin: tuple[float, float],
    base: float,
    step: float,
    shots: int,
    speed: float,
    sprite: int,
) -> int:
    """Stage ``shots`` bullets fanned from angle ``base`` by ``step``; returns the new count."""
    if k + shots > len(stage.ang):
        return k
    end = k + shots
    ang, vel, s = stage.ang[k:end], stage.vel[k:end], stage.scalar
    s.fill(step)
    np.multiply(_IOTA[:shots], s, out=ang)
    s.fill(base)
    np.add(ang, s, out=ang)
    np.cos(ang, out=vel[:, 0])
    np.sin(ang, out=vel[:, 1])
    s.fill(speed)
    np.multiply(vel, s, out=vel)
    stage.pos[k:end, 0].fill(origin[0])
    stage.pos[k:end, 1].fill(origin[1])
    stage.sprite[k:end].fill(sprite)
    return end


def burst(
    stage: Stage, k: int, origin: tuple[float, float], n: int, rng: np.random.Generator
) -> int:
    """Stage ``n`` sparks flying out of ``origin`` in random directions and speeds."""
    if k + n > len(stage.ang):
        return k
    end = k + n
    ang, speed, vel, s = stage.ang[k:end], stage.speed[k:end], stage.vel[k:end], stage.scalar
    rng.random(out=ang, dtype=np.float32)
    s.fill(2.0 * math.pi)
    np.multiply(ang, s, out=ang)
    rng.random(out=speed, dtype=np.float32)
    s.fill(220.0)
    np.multiply(speed, s, out=speed)
    s.fill(50.0)
    np.add(speed, s, out=speed)
    np.cos(ang, out=vel[:, 0])
    np.sin(ang, out=vel[:, 1])
    np.multiply(vel, speed[:, None], out=vel)
    stage.pos[k:end, 0].fill(origin[0])
    stage.pos[k:end, 1].fill(origin[1])
    stage.sprite[k:end].fill(0)
    return end


class EnemyTemps(NamedTuple):
    """Frame temporaries for one wave at a time."""

    target: np.ndarray
    sway: np.ndarray
    mask: np.ndarray
    mask2: np.ndarray
    scalar: np.ndarray

    @classmethod
    def alloc(cls, alloc: SmartAlloc) -> EnemyTemps:
        """From the calling thread's arena."""
        return cls(
            target=alloc.frame_alloc(np.float32, (MAX_PER_WAVE, 2)),
            sway=alloc.frame_alloc(np.float32, MAX_PER_WAVE),
            mask=alloc.frame_alloc(np.bool_, MAX_PER_WAVE),
            mask2=alloc.frame_alloc(np.bool_, MAX_PER_WAVE),
            scalar=alloc.frame_alloc(np.float32, ()),
        )


def move_wave(
    wave: Wave, handles: HandleAllocator, dt: float, height: int, t: EnemyTemps
) -> None:
    """Ease every enemy toward its formation slot, swaying; dive away after the lifetime.

    Enemies that leave the bottom of the screen stop being alive (they escaped).
    """
    f = wave.fields(handles)
    n = wave.count
    slots = wave.formation.array
    home = slots["home"]
    target, sway, s = t.target[:n], t.sway[:n], t.scalar
    s.fill(1.2 * wave.age)
    np.add(slots["phase"], s, out=sway)
    np.sin(sway, out=sway)
    s.fill(24.0 if wave.pattern.name == AIMED.name else 46.0)
    np.multiply(sway, s, out=sway)
    np.add(home[:, 0], sway, out=target[:, 0])
    late = wave.age - wave.pattern.lifetime
    s.fill(max(0.0, late) * 150.0)
    np.add(home[:, 1], s, out=target[:, 1])
    np.subtract(target, f.pos, out=target)
    s.fill(1.0 - math.exp(-3.0 * dt))
    np.multiply(target, s, out=target)
    np.add(f.pos, target, out=f.pos)
    if late > 0.0:
        s.fill(height + 40.0)
        np.greater(f.pos[:, 1], s, out=t.mask[:n])
        np.copyto(f.alive, _ZERO_U1, where=t.mask[:n])


def fire_wave(
    wave: Wave,
    handles: HandleAllocator,
    dt: float,
    target: tuple[float, float],
    stage: Stage,
    k: int,
    t: EnemyTemps,
) -> int:
    """Count the enemies' cooldowns down and stage the volleys of those that are ready.

    Returns:
        The new number of staged bullets.
    """
    f = wave.fields(handles)
    n = wave.count
    pattern = wave.pattern
    phase = wave.formation.array["phase"]
    ready, visible, s = t.mask[:n], t.mask2[:n], t.scalar
    s.fill(dt)
    np.subtract(f.cool, s, out=f.cool)
    np.less_equal(f.cool, _ZERO_F, out=ready)
    np.not_equal(f.alive, _ZERO_U1, out=visible)
    np.logical_and(ready, visible, out=ready)
    np.greater(f.pos[:, 1], _TOP, out=visible)
    np.logical_and(ready, visible, out=ready)
    if not np.count_nonzero(ready):
        return k
    for i in range(n):
        if not ready[i]:
            continue
        f.cool[i] = float(f.cool[i]) + pattern.interval
        x, y = float(f.pos[i, 0]), float(f.pos[i, 1])
        if pattern.name == RING.name:
            step = 2.0 * math.pi / pattern.shots
            base = float(phase[i]) + 0.21 * wave.volleys
        elif pattern.name == AIMED.name:
            step = pattern.spread
            aim = math.atan2(target[1] - y, target[0] - x)
            base = aim - step * (pattern.shots - 1) / 2
        else:
            step = 2.0 * math.pi / pattern.shots
            base = pattern.spread * wave.volleys
        k = emit(stage, k, (x, y), base, step, pattern.shots, pattern.speed, pattern.bullet)
        wave.volleys += 1
    return k


class CollideTemps(NamedTuple):
    """Frame temporaries of the collision pass."""

    epos: np.ndarray
    erad2: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    hit: np.ndarray
    bullet_hit: np.ndarray
    alive: np.ndarray
    damage: np.ndarray
    damage_chunk: np.ndarray
    mask: np.ndarray
    vec: np.ndarray
    d2: np.ndarray
    scalar: np.ndarray

    @classmethod
    def alloc(cls, alloc: SmartAlloc) -> CollideTemps:
        """From the calling thread's arena."""
        return cls(
            epos=alloc.frame_alloc(np.float32, (MAX_ENEMIES, 2)),
            erad2=alloc.frame_alloc(np.float32, MAX_ENEMIES),
            dx=alloc.frame_alloc(np.float32, (CHUNK, MAX_ENEMIES)),
            dy=alloc.frame_alloc(np.float32, (CHUNK, MAX_ENEMIES)),
            hit=alloc.frame_alloc(np.bool_, (CHUNK, MAX_ENEMIES)),
            bullet_hit=alloc.frame_alloc(np.bool_, CHUNK),
            alive=alloc.frame_alloc(np.bool_, CHUNK),
            damage=alloc.frame_alloc(np.int16, MAX_ENEMIES),
            damage_chunk=alloc.frame_alloc(np.int16, MAX_ENEMIES),
            mask=alloc.frame_alloc(np.bool_, MAX_PER_WAVE),
            vec=alloc.frame_alloc(np.float32, (CHUNK, 2)),
            d2=alloc.frame_alloc(np.float32, CHUNK),
            scalar=alloc.frame_alloc(np.float32, ()),
        )


def gather_enemies(director: WaveDirector, t: CollideTemps) -> None:
    """Copy the live enemies' positions and hit radii into ``t.epos``/``t.erad2``; dead
    enemies and unused rows are parked far away."""
    np.copyto(t.epos, FAR)
    t.erad2.fill(0.0)
    row = 0
    for wave in director.waves:
        f = wave.fields(director.handles)
        n = wave.count
        rows = slice(row, row + n)
        np.copyto(t.epos[rows], f.pos)
        np.equal(f.alive, _ZERO_U1, out=t.mask[:n])
        np.copyto(t.epos[rows], FAR, where=t.mask[:n, None])
        t.erad2[rows].fill((wave.pattern.radius + 3.0) ** 2)
        row += n


def enemy_hits(pool: BulletPool, t: CollideTemps) -> int:
    """Player bullets against the gathered enemies: hit bullets die, ``t.damage`` counts
    the hits each enemy took. Returns the bullets that hit."""
    t.damage.fill(0)
    total = 0
    for index in range(len(pool.chunks)):
        if not pool.live[index]:
            continue
        chunk = pool.fields(index)
        np.subtract(chunk.pos[:, 0:1], t.epos[:, 0], out=t.dx)
        np.subtract(chunk.pos[:, 1:2], t.epos[:, 1], out=t.dy)
        np.multiply(t.dx, t.dx, out=t.dx)
        np.multiply(t.dy, t.dy, out=t.dy)
        np.add(t.dx, t.dy, out=t.dx)
        np.less(t.dx, t.erad2, out=t.hit)
        np.greater(chunk.ttl, _ZERO_U2, out=t.alive)
        np.logical_and(t.hit, t.alive[:, None], out=t.hit)
        np.logical_or.reduce(t.hit, axis=1, out=t.bullet_hit)
        hits = int(np.count_nonzero(t.bullet_hit))
        if not hits:
            continue
        np.add.reduce(t.hit, axis=0, dtype=np.int16, out=t.damage_chunk)
        np.add(t.damage, t.damage_chunk, out=t.damage)
        np.copyto(chunk.ttl, _ZERO_U2, where=t.bullet_hit)
        pool.live[index] -= hits
        total += hits
    return total


def player_hits(pool: BulletPool, pos: np.ndarray, radius: float, t: CollideTemps) -> int:
    """Enemy bullets within ``radius`` of ``pos`` die; returns how many there were."""
    total = 0
    t.scalar.fill(radius * radius)
    for index in range(len(pool.chunks)):
        if not pool.live[index]:
            continue
        chunk = pool.fields(index)
        np.subtract(chunk.pos, pos, out=t.vec)
        np.multiply(t.vec, t.vec, out=t.vec)
        np.add(t.vec[:, 0], t.vec[:, 1], out=t.d2)
        np.less(t.d2, t.scalar, out=t.bullet_hit)
        np.greater(chunk.ttl, _ZERO_U2, out=t.alive)
        np.logical_and(t.bullet_hit, t.alive, out=t.bullet_hit)
        hits = int(np.count_nonzero(t.bullet_hit))
        if hits:
            np.copyto(chunk.ttl, _ZERO_U2, where=t.bullet_hit)
            pool.live[index] -= hits
            total += hits
    return total


def dodge_push(
    pool: BulletPool, pos: np.ndarray, reach: float, t: CollideTemps
) -> tuple[float, float]:
    """The sum of ``(ship - bullet) / distance^2`` over enemy bullets within ``reach``:
    the direction that gets away from the closest threats."""
    push_x = push_y = 0.0
    d2, w, s = t.d2, t.dx[:, 0], t.scalar
    for index in range(len(pool.chunks)):
        if not pool.live[index]:
            continue
        chunk = pool.fields(index)
        np.subtract(pos, chunk.pos, out=t.vec)
        np.multiply(t.vec[:, 0], t.vec[:, 0], out=d2)
        np.multiply(t.vec[:, 1], t.vec[:, 1], out=w)
        np.add(d2, w, out=d2)
        s.fill(reach * reach)
        np.greater_equal(d2, s, out=t.bullet_hit)
        np.equal(chunk.ttl, _ZERO_U2, out=t.alive)
        np.logical_or(t.bullet_hit, t.alive, out=t.bullet_hit)
        s.fill(30.0)
        np.add(d2, s, out=d2)
        np.reciprocal(d2, out=d2)
        np.copyto(d2, _ZERO_F, where=t.bullet_hit)
        np.multiply(t.vec[:, 0], d2, out=w)
        push_x += float(np.add.reduce(w, out=s))
        np.multiply(t.vec[:, 1], d2, out=w)
        push_y += float(np.add.reduce(w, out=s))
    return push_x, push_y
