"""Resources and events the pygame-ce runner exposes to systems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pygame

__all__ = ["FrameClock", "Input", "PygameEvent", "Screen"]


class Screen:
    """The window's display surface. Systems using it run on the main thread.

    Attributes:
        surface: The ``pygame.Surface`` returned by ``pygame.display.set_mode``.
    """

    main_thread_only: ClassVar[bool] = True

    def __init__(self, surface: pygame.Surface) -> None:
        self.surface = surface

    @property
    def size(self) -> tuple[int, int]:
        """Width and height in pixels."""
        return self.surface.get_size()


@dataclass(frozen=True, slots=True)
class PygameEvent:
    """One pygame event, forwarded as an app event (``EventReader[PygameEvent]``).

    Attributes:
        type: The pygame event type (``pygame.KEYDOWN``...).
        attrs: The event's attributes (``key``, ``pos``, ``button``...).
    """

    type: int
    attrs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_pygame(cls, event: pygame.event.Event) -> PygameEvent:
        """Copy a pygame event."""
        return cls(event.type, dict(event.dict))

    @property
    def name(self) -> str:
        """``pygame.event.event_name`` of the type."""
        return str(pygame.event.event_name(self.type))


@dataclass(slots=True)
class Input:
    """Keyboard and mouse state, updated from the events pumped each frame.

    Attributes:
        pressed: Keys held down (``pygame.K_*``).
        just_pressed: Keys pressed this frame.
        just_released: Keys released this frame.
        mouse_pos: Last known pointer position.
        mouse_pressed: Mouse buttons held down.
        mouse_just_pressed: Mouse buttons pressed this frame.
    """

    pressed: set[int] = field(default_factory=set)
    just_pressed: set[int] = field(default_factory=set)
    just_released: set[int] = field(default_factory=set)
    mouse_pos: tuple[int, int] = (0, 0)
    mouse_pressed: set[int] = field(default_factory=set)
    mouse_just_pressed: set[int] = field(default_factory=set)

    def begin_frame(self) -> None:
        """Forget the per-frame sets (engine use)."""
        self.just_pressed.clear()
        self.just_released.clear()
        self.mouse_just_pressed.clear()

    def apply(self, event: pygame.event.Event) -> None:
        """Update the state from one pygame event (engine use)."""
        kind = event.type
        if kind == pygame.KEYDOWN:
            self.pressed.add(event.key)
            self.just_pressed.add(event.key)
        elif kind == pygame.KEYUP:
            self.pressed.discard(event.key)
            self.just_released.add(event.key)
        elif kind == pygame.MOUSEMOTION:
            self.mouse_pos = tuple(event.pos)
        elif kind == pygame.MOUSEBUTTONDOWN:
            self.mouse_pressed.add(event.button)
            self.mouse_just_pressed.add(event.button)
            self.mouse_pos = tuple(event.pos)
        elif kind == pygame.MOUSEBUTTONUP:
            self.mouse_pressed.discard(event.button)

    def is_pressed(self, key: int) -> bool:
        """True while ``key`` is held."""
        return key in self.pressed


@dataclass(slots=True)
class FrameClock:
    """The runner's ``pygame.time.Clock`` pacing, with a float delta.

    Attributes:
        target_fps: Frames per second the runner aims for (0 = unpaced).
        delta: Seconds between the last two frames (float, measured).
        fps: pygame's running average of frames per second.
        frames: Frames presented.
    """

    target_fps: float = 60.0
    delta: float = 0.0
    fps: float = 0.0
    frames: int = 0
