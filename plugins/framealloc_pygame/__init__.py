"""framealloc_pygame: the pygame-ce runner plugin (window, event pump, input, Clock pacing).

Example::

    from framealloc_pygame import PygamePlugin, Screen

    def draw(screen: Res[Screen]) -> None:
        pygame.draw.circle(screen.value.surface, (255, 200, 0), (160, 120), 20)

    App().add_plugins(PygamePlugin(size=(320, 240))).add_systems(Update, draw).run()

Without an App, :class:`FrameLoop` adds frame memory (and the overlay) to your own loop.
"""

from __future__ import annotations

from framealloc_pygame.loop import FrameLoop
from framealloc_pygame.plugin import (
    ClearColor,
    PresentFrame,
    PygamePlugin,
    clear_screen,
    init_display,
    present,
    pump_events,
)
from framealloc_pygame.resources import FrameClock, Input, PygameEvent, Screen

__all__ = [
    "ClearColor",
    "FrameClock",
    "FrameLoop",
    "Input",
    "PresentFrame",
    "PygameEvent",
    "PygamePlugin",
    "Screen",
    "clear_screen",
    "init_display",
    "present",
    "pump_events",
]
