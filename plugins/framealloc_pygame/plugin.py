"""``PygamePlugin``: a pygame-ce window, its event pump and a ``Clock``-paced runner.

Example::

    App().add_plugins(SmartAllocPlugin.default(), PygamePlugin(size=(640, 360))) \\
        .add_systems(Update, draw).run()

* ``finish``: initialises pygame's display and font modules (not the mixer: audio is left
  to games that play sound, so a machine without a sound card stays quiet), opens the
  window, inserts :class:`Screen`.
* ``First`` (main thread): pumps pygame events into ``PygameEvent`` app events and
  :class:`Input`; a window close (``QUIT``) sends ``AppExit``; clears the screen if
  ``clear_color`` is set.
* ``PresentFrame`` (a schedule inserted after ``Last``, main thread): flips the display.
* The runner: ``app.update()`` then ``Clock.tick(fps)`` until ``AppExit``; the measured
  float delta and fps are in :class:`FrameClock`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pygame

from framealloc_engine.app import (
    AppExit,
    EventWriter,
    First,
    Last,
    Plugin,
    Res,
    ResMut,
    ScheduleLabel,
    chain,
    system,
)
from framealloc_pygame.resources import FrameClock, Input, PygameEvent, Screen

if TYPE_CHECKING:
    from framealloc_engine.app import App

__all__ = ["ClearColor", "PresentFrame", "PygamePlugin", "init_display"]

PresentFrame = ScheduleLabel("PresentFrame")
"""Runs after ``Last``: presents the frame (``pygame.display.flip``)."""


class ClearColor:
    """The color the screen is filled with at the start of each frame (a resource)."""

    def __init__(self, rgb: tuple[int, int, int]) -> None:
        self.rgb = rgb


def pump_events(
    events: EventWriter[PygameEvent], exits: EventWriter[AppExit], state: ResMut[Input]
) -> None:
    """Move pygame's queued events into app events and the ``Input`` resource."""
    current = state.value
    current.begin_frame()
    for event in pygame.event.get():
        current.apply(event)
        events.send(PygameEvent.from_pygame(event))
        if event.type == pygame.QUIT:
            exits.send(AppExit.success())


def clear_screen(screen: Res[Screen], color: Res[ClearColor]) -> None:
    """Fill the screen with the clear color."""
    screen.value.surface.fill(color.value.rgb)


def present(screen: Res[Screen]) -> None:
    """Show the frame."""
    pygame.display.flip()


def init_display() -> None:
    """Initialise what a window needs: pygame's display and font modules.

    Not ``pygame.init()``: that also opens the audio device, and on a machine without a
    sound card SDL's ALSA backend prints a screenful of errors. A game that plays sound
    calls ``pygame.mixer.init()`` itself.
    """
    pygame.display.init()
    pygame.font.init()


class PygamePlugin(Plugin):
    """Window, input, and the pygame-ce runner.

    Args:
        size: Window size in pixels.
        title: Window caption.
        fps: Target frames per second for the runner's ``Clock`` (0 = unpaced).
        flags: ``pygame.display.set_mode`` flags.
        vsync: Ask for vsync.
        clear_color: Fill the screen with this color at the start of each frame (None
            keeps last frame's pixels).
    """

    def __init__(
        self,
        size: tuple[int, int] = (640, 480),
        title: str = "framealloc-engine",
        fps: float = 60.0,
        *,
        flags: int = 0,
        vsync: bool = False,
        clear_color: tuple[int, int, int] | None = (0, 0, 0),
    ) -> None:
        if fps < 0:
            raise ValueError(f"fps must be >= 0, got {fps!r}")
        self.size = size
        self.title = title
        self.fps = fps
        self.flags = flags
        self.vsync = vsync
        self.clear_color = clear_color

    def build(self, app: App) -> None:
        """Register events, resources, the pump/present systems and the runner."""
        app.add_event(PygameEvent)
        app.init_resource(Input)
        app.insert_resource(FrameClock(target_fps=self.fps))
        app.add_schedule(PresentFrame, after=Last)
        first = [system(pump_events).on_main_thread()]
        if self.clear_color is not None:
            app.insert_resource(ClearColor(self.clear_color))
            first.append(system(clear_screen))
        app.add_systems(First, chain(*first))
        app.add_systems(PresentFrame, present)
        app.set_runner(self.run)

    def finish(self, app: App) -> None:
        """Open the window (on the calling, main, thread)."""
        init_display()
        surface = pygame.display.set_mode(self.size, self.flags, vsync=int(self.vsync))
        pygame.display.set_caption(self.title)
        app.insert_resource(Screen(surface))

    def run(self, app: App) -> int:
        """The runner: frames until ``AppExit``, paced by ``pygame.time.Clock``."""
        clock = pygame.time.Clock()
        frame_clock = app.resource(FrameClock)
        last = time.perf_counter()
        try:
            while True:
                app.update()
                frame_clock.frames += 1
                exit_event = app.should_exit()
                if exit_event is not None:
                    return exit_event.code
                clock.tick(self.fps)
                now = time.perf_counter()
                frame_clock.delta = now - last
                frame_clock.fps = float(clock.get_fps())
                last = now
        finally:
            self.close()

    @staticmethod
    def close() -> None:
        """Close the window and shut pygame down."""
        pygame.display.quit()
        pygame.quit()
