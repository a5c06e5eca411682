"""A top-down shooter with its own pygame loop: one frame per tick, begun and ended by hand."""

from __future__ import annotations

import numpy as np
import pygame

from framealloc_engine import AllocConfig, SmartAlloc, tags

WIDTH, HEIGHT = 800, 600


class Enemy:
    def __init__(self, x: float, y: float) -> None:
        self.pos = np.array([x, y], np.float32)
        self.path = np.zeros((16, 2), np.float32)
        self.hp = 3


class Game:
    def __init__(self) -> None:
        config = AllocConfig().with_frame_arena_size(8 << 20)
        self.alloc = SmartAlloc(config)
        self.screen = pygame.display.set_mode((WIDTH, HEIGHT))
        self.clock = pygame.time.Clock()
        self.enemies = [Enemy(x * 60.0, 40.0) for x in range(12)]
        self.stars = np.random.default_rng(1).uniform(0, 1, (200, 2)).astype(np.float32)
        self.score = 0
        self.running = True
        self.last_visible: np.ndarray | None = None

    def load(self) -> None:
        lookup = self.alloc.frame_alloc(np.float32, (256, 3))  # expect: FA603
        lookup[:] = np.linspace(0, 1, 256, dtype=np.float32)[:, None]
        self.palette = lookup.copy()

    def plan_paths(self, target: np.ndarray) -> None:
        for enemy in self.enemies:
            route = self.alloc.frame_alloc(np.float32, (16, 2))  # expect: FA602
            t = np.linspace(0, 1, 16, dtype=np.float32)[:, None]
            np.add(enemy.pos * (1 - t), target * t, out=route)
            enemy.path[:] = route

    def visible_stars(self) -> np.ndarray:
        with self.alloc.with_tag(tags.RENDERING):
            scaled = self.alloc.frame_alloc(np.float32, self.stars.shape)
            np.multiply(self.stars, (WIDTH, HEIGHT), out=scaled)
            self.last_visible = scaled  # expect: FA601
            return scaled

    def draw(self) -> None:
        self.screen.fill((5, 5, 20))
        for x, y in self.visible_stars():
            self.screen.set_at((int(x), int(y)), (200, 200, 255))
        for enemy in self.enemies:
            pygame.draw.circle(self.screen, (220, 60, 60), enemy.pos.astype(int), 8)
        pygame.display.flip()

    def tick(self) -> None:
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.running = False
        mouse = np.array(pygame.mouse.get_pos(), np.float32)
        self.plan_paths(mouse)
        for enemy in self.enemies:
            enemy.pos += (enemy.path[1] - enemy.pos) * 0.05
        self.draw()

    def run(self) -> None:
        self.load()
        while self.running:
            self.alloc.begin_frame()
            self.tick()
            self.alloc.end_frame()
            self.clock.tick(60)


def main() -> None:
    pygame.init()
    Game().run()
    pygame.quit()


if __name__ == "__main__":
    main()
