"""The streaming demo's camera: a deterministic figure-eight orbit, or arrow keys."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

from framealloc_engine.app import Res, ResMut, Time
from framealloc_pygame import Input

from .world import CHUNK_PX

__all__ = ["ORBIT_PERIOD", "PAN_SPEED", "Camera", "move_camera"]

#: Seconds per lap of the orbit (a figure eight across the world).
ORBIT_PERIOD = 90.0
#: Pixels per second when panning with the arrow keys.
PAN_SPEED = 420.0


@dataclass
class Camera:
    """Where the view is, in world pixels (a resource).

    Attributes:
        x: View centre, world pixels.
        y: View centre, world pixels.
        view_w: View width in pixels (the window's).
        view_h: View height in pixels.
        world_w: World width in pixels.
        world_h: World height in pixels.
        orbit_time: Seconds along the orbit.
        manual: The arrow keys took over (space resumes the orbit).
    """

    x: float
    y: float
    view_w: int
    view_h: int
    world_w: int
    world_h: int
    orbit_time: float = 0.0
    manual: bool = False

    @classmethod
    def centred(cls, view: tuple[int, int], world_chunks: tuple[int, int]) -> Camera:
        """A camera at the world's centre."""
        w, h = world_chunks[0] * CHUNK_PX, world_chunks[1] * CHUNK_PX
        camera = cls(w / 2, h / 2, view[0], view[1], w, h)
        camera.follow_orbit()
        return camera

    def follow_orbit(self) -> None:
        """Place the camera on the orbit at :attr:`orbit_time`."""
        phase = 2.0 * math.pi * self.orbit_time / ORBIT_PERIOD
        self.x = self.world_w * (0.5 + 0.33 * math.sin(phase))
        self.y = self.world_h * (0.5 + 0.30 * math.sin(2.0 * phase))
        self.clamp()

    def clamp(self) -> None:
        """Keep the view inside the world."""
        half_w, half_h = self.view_w / 2, self.view_h / 2
        self.x = min(max(self.x, half_w), self.world_w - half_w)
        self.y = min(max(self.y, half_h), self.world_h - half_h)

    @property
    def left(self) -> int:
        """World x of the view's left pixel column."""
        return int(self.x - self.view_w / 2)

    @property
    def top(self) -> int:
        """World y of the view's top pixel row."""
        return int(self.y - self.view_h / 2)

    def view_in_chunks(self) -> tuple[float, float, float, float]:
        """The view rectangle ``(left, top, right, bottom)`` in chunk units."""
        left, top = self.left / CHUNK_PX, self.top / CHUNK_PX
        return left, top, left + self.view_w / CHUNK_PX, top + self.view_h / CHUNK_PX


def move_camera(camera: ResMut[Camera], keys: Res[Input], time: Time) -> None:
    """Advance the orbit, or pan with the arrow keys (space goes back to the orbit)."""
    cam = camera.value
    state = keys.value
    dx = state.is_pressed(pygame.K_RIGHT) - state.is_pressed(pygame.K_LEFT)
    dy = state.is_pressed(pygame.K_DOWN) - state.is_pressed(pygame.K_UP)
    if dx or dy:
        cam.manual = True
        cam.x += dx * PAN_SPEED * time.delta
        cam.y += dy * PAN_SPEED * time.delta
        cam.clamp()
    elif pygame.K_SPACE in state.just_pressed:
        cam.manual = False
    if not cam.manual:
        cam.orbit_time += time.delta
        cam.follow_orbit()
