"""``FrameLoop``: frame memory for a pygame loop you already have, without an App.

Two added lines: make the loop before ``while running:`` and call :meth:`FrameLoop.next`
before the flip. A frame then runs from one ``next()`` to the following one::

    frames = FrameLoop(alloc, overlay=True)          # added: begins the first frame
    while running:
        ...                                          # events, update, draw: frame memory
        frames.next(screen)                          # added: overlay, end frame, begin next
        pygame.display.flip()
        clock.tick(60)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pygame

from framealloc_engine import SmartAlloc

if TYPE_CHECKING:
    from types import TracebackType

    from framealloc_overlay import Overlay

__all__ = ["FrameLoop"]


class FrameLoop:
    """Begins a frame now and at every :meth:`next`; draws the overlay when asked.

    Args:
        alloc: The allocator (budgets, tags and the behaviour filter work as usual).
        overlay: Draw the diagnostics panel (F3 toggles it; the game's own event loop keeps
            the key state current).
        key: The overlay's toggle key.
    """

    def __init__(self, alloc: SmartAlloc, *, overlay: bool = False, key: int = pygame.K_F3) -> None:
        self.alloc = alloc
        self.frames = 0
        self.overlay: Overlay | None = None
        if overlay:
            from framealloc_overlay import Overlay  # the overlay package builds on this one

            self.overlay = Overlay(alloc, key=key)
        alloc.begin_frame()

    def next(self, screen: pygame.Surface | None = None) -> None:
        """Draw the overlay (on ``screen``, default the display surface), end this frame
        and begin the next one."""
        if self.overlay is not None:
            surface = screen if screen is not None else pygame.display.get_surface()
            if surface is not None:
                self.overlay.draw(surface)
        self.alloc.end_frame()
        self.frames += 1
        self.alloc.begin_frame()

    def close(self) -> None:
        """End the current frame (when the loop is over)."""
        if self.alloc.frame_active:
            self.alloc.end_frame()

    def __enter__(self) -> FrameLoop:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
