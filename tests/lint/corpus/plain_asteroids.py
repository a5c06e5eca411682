"""Asteroids in plain pygame: no allocator, lots of words the analyser must not mistake."""

import math
import random

import pygame

WIDTH, HEIGHT = 960, 540
FPS = 60


class Ship:
    def __init__(self) -> None:
        self.pos = pygame.Vector2(WIDTH / 2, HEIGHT / 2)
        self.vel = pygame.Vector2()
        self.angle = 0.0
        self.frame_index = 0
        self.cooldown = 0.0

    def update(self, keys: pygame.key.ScancodeWrapper, dt: float) -> None:
        if keys[pygame.K_LEFT]:
            self.angle -= 180 * dt
        if keys[pygame.K_RIGHT]:
            self.angle += 180 * dt
        if keys[pygame.K_UP]:
            thrust = pygame.Vector2(0, -220).rotate(self.angle)
            self.vel += thrust * dt
        self.pos += self.vel * dt
        self.pos.x %= WIDTH
        self.pos.y %= HEIGHT
        self.cooldown = max(0.0, self.cooldown - dt)
        self.frame_index = (self.frame_index + 1) % 4


class Rock:
    def __init__(self, size: int) -> None:
        self.size = size
        self.pos = pygame.Vector2(random.uniform(0, WIDTH), random.uniform(0, HEIGHT))
        heading = random.uniform(0, math.tau)
        self.vel = pygame.Vector2(math.cos(heading), math.sin(heading)) * (120 / size)
        self.points = [
            pygame.Vector2(size * 10, 0).rotate(i * 45 + random.uniform(-10, 10))
            for i in range(8)
        ]

    def update(self, dt: float) -> None:
        self.pos += self.vel * dt
        self.pos.x %= WIDTH
        self.pos.y %= HEIGHT

    def draw(self, surface: pygame.Surface) -> None:
        outline = [self.pos + p for p in self.points]
        pygame.draw.polygon(surface, (200, 200, 200), outline, width=2)


def split(rock: Rock) -> list[Rock]:
    if rock.size <= 1:
        return []
    children = [Rock(rock.size - 1) for _ in range(2)]
    for child in children:
        child.pos = pygame.Vector2(rock.pos)
    return children


def main() -> None:
    pygame.init()
    screen = pygame.display.set_mode((WIDTH, HEIGHT))
    clock = pygame.time.Clock()
    ship = Ship()
    rocks = [Rock(3) for _ in range(5)]
    bullets: list[tuple[pygame.Vector2, pygame.Vector2, float]] = []
    frame_times: list[float] = []
    running = True
    while running:
        dt = clock.tick(FPS) / 1000
        frame_times.append(dt)
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                running = False
        keys = pygame.key.get_pressed()
        ship.update(keys, dt)
        if keys[pygame.K_SPACE] and ship.cooldown == 0.0:
            direction = pygame.Vector2(0, -1).rotate(ship.angle)
            bullets.append((pygame.Vector2(ship.pos), direction * 480, 1.2))
            ship.cooldown = 0.2
        bullets = [(p + v * dt, v, life - dt) for p, v, life in bullets if life > dt]
        for rock in list(rocks):
            rock.update(dt)
            for bullet in bullets:
                if rock.pos.distance_to(bullet[0]) < rock.size * 10:
                    rocks.remove(rock)
                    rocks.extend(split(rock))
                    break
        screen.fill((8, 8, 16))
        for rock in rocks:
            rock.draw(screen)
        pygame.display.flip()
    pygame.quit()


if __name__ == "__main__":
    main()
