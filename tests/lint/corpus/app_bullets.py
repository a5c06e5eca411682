# ruff: noqa: F403, F405
"""A bullet-hell system set: pooled bullet storage, frame-arena scratch, one batched mistake."""

from __future__ import annotations

import numpy as np

from framealloc_engine.prelude import *

MAX_BULLETS = 4096


class Bullets:
    def __init__(self, alloc: SmartAlloc) -> None:
        self.pos = alloc.pool_alloc(np.float32, (MAX_BULLETS, 2))
        self.vel = alloc.pool_alloc(np.float32, (MAX_BULLETS, 2))
        self.alive = np.zeros(MAX_BULLETS, bool)
        self.count = 0
        self.hits = 0
        self.trail = np.zeros((MAX_BULLETS, 2), np.float32)

    def spawn_ring(self, x: float, y: float, n: int, speed: float) -> None:
        angles = np.linspace(0, 2 * np.pi, n, endpoint=False, dtype=np.float32)
        free = np.flatnonzero(~self.alive)[:n]
        self.pos[free] = (x, y)
        self.vel[free, 0] = np.cos(angles[: len(free)]) * speed
        self.vel[free, 1] = np.sin(angles[: len(free)]) * speed
        self.alive[free] = True


class Emitters:
    def __init__(self) -> None:
        self.points = [(100.0, 100.0), (540.0, 100.0), (320.0, 300.0)]
        self.timer = 0.0


def emit(bullets: ResMut[Bullets], emitters: ResMut[Emitters], time: Time) -> None:
    e = emitters.value
    e.timer += time.delta
    if e.timer >= 0.25:
        e.timer = 0.0
        for x, y in e.points:
            bullets.value.spawn_ring(x, y, 24, 160.0)


def move(alloc: AllocResource, bullets: ResMut[Bullets], time: Time) -> None:
    b = bullets.value
    live = np.flatnonzero(b.alive)
    step = alloc.frame_alloc(np.float32, (len(live), 2))
    np.multiply(b.vel[live], time.delta, out=step)
    b.trail[live] = b.pos[live]
    b.pos[live] += step
    outside = alloc.frame_alloc(np.bool_, len(live))
    np.any((b.pos[live] < 0) | (b.pos[live] > 640), axis=1, out=outside)
    b.alive[live[outside]] = False


def collide(alloc: AllocResource, bullets: ResMut[Bullets], players: Res[list]) -> None:
    b = bullets.value
    live = np.flatnonzero(b.alive)
    for px, py in players.value:
        d2 = alloc.frame_alloc(np.float32, len(live))  # expect: FA602
        np.sum((b.pos[live] - (px, py)) ** 2, axis=1, out=d2)
        hit = d2 < 64.0
        b.hits += int(hit.sum())
        b.alive[live[hit]] = False


def build(app: App) -> None:
    app.add_plugins(SmartAllocPlugin())
    alloc = app.resource(AllocResource)
    app.insert_resource(Bullets(alloc.alloc))
    app.insert_resource(Emitters())
    app.insert_resource([(320.0, 200.0)])
    app.add_systems(Update, emit, move, collide)
