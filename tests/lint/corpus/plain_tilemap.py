"""A scrolling tile map in pygame with numpy: a heap-based event queue, frame counters."""

import heapq
from dataclasses import dataclass, field

import numpy as np
import pygame

TILE = 16


@dataclass(order=True)
class Timer:
    due: float
    name: str = field(compare=False)


class TileMap:
    def __init__(self, width: int, height: int, seed: int = 3) -> None:
        rng = np.random.default_rng(seed)
        self.tiles = rng.integers(0, 4, size=(height, width), dtype=np.uint8)
        self.frame = 0
        self.timers: list[Timer] = []
        self.pool: list[pygame.Surface] = []
        self.heap_size = 0

    def schedule(self, when: float, name: str) -> None:
        heapq.heappush(self.timers, Timer(when, name))
        self.heap_size = len(self.timers)

    def due(self, now: float) -> list[str]:
        fired = []
        while self.timers and self.timers[0].due <= now:
            fired.append(heapq.heappop(self.timers).name)
        return fired

    def visible(self, camera: pygame.Rect) -> np.ndarray:
        x0, y0 = camera.x // TILE, camera.y // TILE
        x1, y1 = x0 + camera.w // TILE + 1, y0 + camera.h // TILE + 1
        return self.tiles[y0:y1, x0:x1]

    def draw(self, screen: pygame.Surface, camera: pygame.Rect, palette: list[tuple]) -> None:
        view = self.visible(camera)
        for row, line in enumerate(view):
            for col, kind in enumerate(line):
                rect = pygame.Rect(col * TILE, row * TILE, TILE, TILE)
                screen.fill(palette[int(kind)], rect)
        self.frame += 1


def main() -> None:
    pygame.init()
    screen = pygame.display.set_mode((640, 360))
    clock = pygame.time.Clock()
    world = TileMap(400, 200)
    camera = pygame.Rect(0, 0, 640, 360)
    palette = [(30, 90, 30), (40, 120, 40), (90, 70, 40), (40, 40, 160)]
    world.schedule(2.0, "rain")
    elapsed = 0.0
    while True:
        dt = clock.tick(60) / 1000
        elapsed += dt
        if pygame.event.peek(pygame.QUIT):
            break
        for name in world.due(elapsed):
            print("event", name, "at frame", world.frame)
        camera.x = (camera.x + 2) % (world.tiles.shape[1] * TILE - camera.w)
        world.draw(screen, camera, palette)
        pygame.display.flip()


if __name__ == "__main__":
    main()
