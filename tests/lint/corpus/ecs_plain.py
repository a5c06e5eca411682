"""An entity-component loop in plain Python (no allocator): components, systems, a scheduler."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Position:
    x: float
    y: float


@dataclass
class Velocity:
    dx: float
    dy: float


class World:
    def __init__(self) -> None:
        self.next_id = 0
        self.components: dict[type, dict[int, object]] = defaultdict(dict)
        self.systems: list[Callable[[World, float], None]] = []
        self.frame_budget_ms = 16.0

    def spawn(self, *components: object) -> int:
        entity = self.next_id
        self.next_id += 1
        for component in components:
            self.components[type(component)][entity] = component
        return entity

    def query(self, *kinds: type) -> list[tuple[int, list[object]]]:
        first, *rest = kinds
        found = []
        for entity, component in self.components[first].items():
            if all(entity in self.components[k] for k in rest):
                found.append((entity, [component, *(self.components[k][entity] for k in rest)]))
        return found

    def add_system(self, system: Callable[["World", float], None]) -> None:
        self.systems.append(system)

    def tick(self, dt: float) -> None:
        for system in self.systems:
            system(self, dt)


def movement(world: World, dt: float) -> None:
    for _, (pos, vel) in world.query(Position, Velocity):
        assert isinstance(pos, Position)
        assert isinstance(vel, Velocity)
        pos.x += vel.dx * dt
        pos.y += vel.dy * dt


def separation(world: World, dt: float) -> None:
    rows = world.query(Position)
    if len(rows) < 2:
        return
    xy = np.array([[c[0].x, c[0].y] for _, c in rows], dtype=np.float32)  # type: ignore[attr-defined]
    centre = xy.mean(axis=0)
    push = (xy - centre) * (0.1 * dt)
    for (_, (pos,)), (px, py) in zip(rows, push, strict=True):
        assert isinstance(pos, Position)
        pos.x += float(px)
        pos.y += float(py)


def run(frames: int = 120) -> World:
    world = World()
    for i in range(50):
        world.spawn(Position(i, i * 2), Velocity(1.0, -0.5))
    world.add_system(movement)
    world.add_system(separation)
    for _ in range(frames):
        world.tick(1 / 60)
    return world
