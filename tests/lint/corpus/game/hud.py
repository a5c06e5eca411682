"""The HUD: text and bars drawn every frame with scratch from the shared allocator."""

from __future__ import annotations

import numpy as np
import pygame

from .memory import alloc


class Hud:
    def __init__(self, font: pygame.font.Font) -> None:
        self.font = font
        self.health_bar = np.zeros((8, 100, 3), np.uint8)
        self.lines: list[pygame.Surface] = []
        self.cached_bar: np.ndarray | None = None

    def bar(self, value: float) -> np.ndarray:
        cells = alloc.frame_alloc(np.uint8, self.health_bar.shape)
        cells.fill(40)
        cells[:, : int(value * 100)] = (200, 40, 40)
        self.health_bar[:] = cells
        self.cached_bar = cells  # expect: FA601
        return self.health_bar

    def text(self, labels: list[str]) -> None:
        self.lines = []
        for label in labels:
            glyphs = alloc.frame_alloc(np.int32, len(label))  # expect: FA602
            glyphs[:] = [ord(c) for c in label]
            self.lines.append(self.font.render(label, True, (255, 255, 255)))


def fps_text(clock: pygame.time.Clock) -> str:
    samples = alloc.frame_alloc(np.float32, 1)
    samples[0] = clock.get_fps()
    return f"{samples[0]:5.1f} fps"
