"""The main loop: begins and ends the shared allocator's frame around every tick."""

from __future__ import annotations

import pygame

from .hud import Hud, fps_text
from .memory import alloc


def run(frames: int) -> None:
    pygame.init()
    screen = pygame.display.set_mode((320, 240))
    clock = pygame.time.Clock()
    hud = Hud(pygame.font.Font(None, 18))
    for _ in range(frames):
        alloc.begin_frame()
        hud.bar(0.7)
        hud.text(["HP", fps_text(clock)])
        screen.blit(hud.lines[0], (4, 4))
        pygame.display.flip()
        alloc.end_frame()
        clock.tick(60)
