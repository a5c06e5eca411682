"""Particles on the engine's App, in the demos' style: systems take ``AllocResource`` and
keep every temporary in the frame arena; the simulation state lives on the heap."""

from __future__ import annotations

import numpy as np
import pygame

from framealloc_engine import SmartAlloc, tags
from framealloc_engine.app import AllocResource, App, Res, ResMut, Time, Update
from framealloc_engine.bridge import SmartAllocPlugin

WIDTH, HEIGHT = 640, 360


class Swarm:
    def __init__(self, alloc: SmartAlloc, count: int) -> None:
        self.count = count
        self.state = alloc.heap_alloc(np.float32, (4, count))
        self.x, self.y, self.vx, self.vy = self.state
        rng = np.random.default_rng(7)
        self.x[:] = rng.uniform(0, WIDTH, count)
        self.y[:] = rng.uniform(0, HEIGHT, count)
        self.center = np.array([WIDTH / 2, HEIGHT / 2], np.float32)
        self.last_speed = 0.0


class Stats:
    def __init__(self) -> None:
        self.frames = 0
        self.peak_speed = 0.0
        self.speeds: list[float] = []


def physics(alloc: AllocResource, swarm: ResMut[Swarm], time: Time) -> None:
    s = swarm.value
    dt = np.float32(min(time.delta, 1 / 30))
    with alloc.with_tag(tags.PHYSICS):
        dx = alloc.frame_alloc(np.float32, s.count)
        dy = alloc.frame_alloc(np.float32, s.count)
        r2 = alloc.frame_alloc(np.float32, s.count)
        np.subtract(s.center[0], s.x, out=dx)
        np.subtract(s.center[1], s.y, out=dy)
        np.multiply(dx, dx, out=r2)
        r2 += dy * dy
        r2 += 100.0
        np.divide(dx, r2, out=dx)
        np.divide(dy, r2, out=dy)
        s.vx += dx * (400.0 * dt)
        s.vy += dy * (400.0 * dt)
        s.x += s.vx * dt
        s.y += s.vy * dt
        speed = alloc.frame_alloc(np.float32, s.count)
        np.hypot(s.vx, s.vy, out=speed)
        s.last_speed = float(speed.mean())


def density(alloc: AllocResource, swarm: Res[Swarm], stats: ResMut[Stats]) -> None:
    s = swarm.value
    with alloc.with_tag(tags.RENDERING):
        grid = alloc.frame_alloc(np.int32, (HEIGHT // 8, WIDTH // 8))
        grid.fill(0)
        cols = alloc.frame_alloc(np.intp, s.count)
        rows = alloc.frame_alloc(np.intp, s.count)
        np.clip(s.x // 8, 0, WIDTH // 8 - 1, out=cols, casting="unsafe")
        np.clip(s.y // 8, 0, HEIGHT // 8 - 1, out=rows, casting="unsafe")
        np.add.at(grid, (rows, cols), 1)
        stats.value.frames += 1
        stats.value.peak_speed = max(stats.value.peak_speed, s.last_speed)
        stats.value.hottest = grid  # expect: FA601


def record(stats: ResMut[Stats], swarm: Res[Swarm]) -> None:
    stats.value.speeds.append(swarm.value.last_speed)


def draw(alloc: AllocResource, swarm: Res[Swarm], screen: ResMut[pygame.Surface]) -> None:
    s = swarm.value
    surface = screen.value
    surface.fill((0, 0, 0))
    points = alloc.frame_alloc(np.int32, (s.count, 2))
    np.copyto(points[:, 0], s.x, casting="unsafe")
    np.copyto(points[:, 1], s.y, casting="unsafe")
    for px, py in points[:: max(1, s.count // 2000)]:
        surface.set_at((int(px), int(py)), (255, 200, 90))


def build() -> App:
    app = App()
    app.add_plugins(SmartAllocPlugin())
    alloc = app.resource(AllocResource)
    app.insert_resource(Swarm(alloc.alloc, 20_000))
    app.insert_resource(Stats())
    app.insert_resource(pygame.Surface((WIDTH, HEIGHT)))
    app.add_systems(Update, physics, density, record, draw)
    return app
