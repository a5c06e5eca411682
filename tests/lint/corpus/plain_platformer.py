"""A platformer in plain pygame: sprite pools, a particle heap, frame-based animation."""

import pygame

GRAVITY = 1800.0


class SpritePool:
    def __init__(self, image: pygame.Surface, size: int) -> None:
        self.free = [image.copy() for _ in range(size)]
        self.used: list[pygame.Surface] = []

    def take(self) -> pygame.Surface:
        sprite = self.free.pop() if self.free else self.used[0].copy()
        self.used.append(sprite)
        return sprite

    def give_back(self, sprite: pygame.Surface) -> None:
        self.used.remove(sprite)
        self.free.append(sprite)


class Player(pygame.sprite.Sprite):
    def __init__(self, frames: list[pygame.Surface]) -> None:
        super().__init__()
        self.frames = frames
        self.frame = 0
        self.frame_time = 0.0
        self.image = frames[0]
        self.rect = self.image.get_rect(midbottom=(100, 400))
        self.vy = 0.0
        self.on_ground = False

    def update(self, dt: float, platforms: list[pygame.Rect]) -> None:
        keys = pygame.key.get_pressed()
        dx = (keys[pygame.K_RIGHT] - keys[pygame.K_LEFT]) * 260 * dt
        if keys[pygame.K_SPACE] and self.on_ground:
            self.vy = -720
        self.vy += GRAVITY * dt
        self.rect.x += int(dx)
        self.rect.y += int(self.vy * dt)
        self.on_ground = False
        for platform in platforms:
            if self.rect.colliderect(platform) and self.vy > 0:
                self.rect.bottom = platform.top
                self.vy = 0
                self.on_ground = True
        self.frame_time += dt
        if self.frame_time > 0.1:
            self.frame_time = 0.0
            self.frame = (self.frame + 1) % len(self.frames)
            self.image = self.frames[self.frame]


def main() -> None:
    pygame.init()
    screen = pygame.display.set_mode((800, 480))
    clock = pygame.time.Clock()
    frames = [pygame.Surface((24, 32)) for _ in range(4)]
    for i, frame in enumerate(frames):
        frame.fill((60 + i * 40, 120, 200))
    player = Player(frames)
    platforms = [pygame.Rect(0, 440, 800, 40), pygame.Rect(300, 340, 160, 16)]
    dust = SpritePool(pygame.Surface((4, 4)), 64)
    while True:
        dt = clock.tick(60) / 1000
        if any(e.type == pygame.QUIT for e in pygame.event.get()):
            break
        player.update(dt, platforms)
        if player.on_ground and abs(player.vy) < 1:
            puff = dust.take()
            dust.give_back(puff)
        screen.fill((20, 24, 32))
        for platform in platforms:
            pygame.draw.rect(screen, (90, 90, 100), platform)
        screen.blit(player.image, player.rect)
        pygame.display.flip()
    pygame.quit()


if __name__ == "__main__":
    main()
