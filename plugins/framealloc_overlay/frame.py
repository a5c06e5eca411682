"""One overlay frame, shared by every front end: the App plugin, the arcade overlay and the
standalone :class:`Overlay` for loops without an App.

Example::

    overlay = Overlay(alloc)                     # a loop of your own, no App
    while running:
        with alloc.frame_scope():
            ...                                  # the game draws on screen
            overlay.draw(screen, toggle=f3_pressed)
        pygame.display.flip()
"""

from __future__ import annotations

import time

import numpy as np
import pygame

from framealloc_engine import DiagnosticsHooks, SmartAlloc, tags
from framealloc_engine.bridge import AllocResource
from framealloc_overlay.history import MemoryHistory
from framealloc_overlay.panel import OverlayState, draw_panel, refresh_text

__all__ = ["Overlay", "new_overlay_state", "overlay_frame"]


def new_overlay_state(
    *,
    visible: bool = True,
    key: int = pygame.K_F3,
    history: int = 120,
    refresh: int = 10,
    behaviour_every: int = 60,
    max_series: int = 6,
    hooks: DiagnosticsHooks | None = None,
) -> OverlayState:
    """A fresh :class:`OverlayState` (what ``OverlayPlugin`` inserts as its resource).

    Raises:
        ValueError: ``refresh`` or ``behaviour_every`` is below 1.
    """
    if refresh < 1 or behaviour_every < 1:
        raise ValueError("refresh and behaviour_every must be at least 1 frame")
    return OverlayState(
        visible=visible,
        key=key,
        history=MemoryHistory(history, max_series),
        refresh=refresh,
        behaviour_every=behaviour_every,
        frame_us=np.zeros((1, history), np.int64),
        shared_hooks=hooks,
    )


def overlay_frame(
    state: OverlayState,
    alloc: SmartAlloc | AllocResource,
    surface: pygame.Surface,
    frame_seconds: float,
    *,
    toggle: bool = False,
    fps: float | None = None,
) -> bool:
    """Record one frame and, when visible, draw the panel on ``surface``.

    Call it once per frame, inside the frame (graph temporaries are frame allocations, tag
    ``ui``, phase ``overlay``).

    Args:
        state: The overlay's state.
        alloc: The allocator whose memory is shown.
        surface: Where the panel goes (its top-right corner).
        frame_seconds: The last frame's duration (the frame-time graph).
        toggle: The toggle key was pressed this frame.
        fps: Frames per second to show (None: leave as is).

    Returns:
        Whether the panel was drawn.
    """
    if toggle:
        state.visible = not state.visible
        state.countdown = 0
    state.record_frame_time(frame_seconds)
    if not state.visible:
        state.history.consume()
        return False
    if state.hooks is None:
        state.attach(alloc.alloc if isinstance(alloc, AllocResource) else alloc)
    state.history.consume()
    if fps is not None:
        state.fps = fps
    with alloc.phase_scope("overlay"), alloc.with_tag(tags.UI):
        if state.countdown <= 0:
            state.countdown = state.refresh
            refresh_text(state, alloc)
        state.countdown -= 1
        draw_panel(surface, state, alloc)
    return True


class Overlay:
    """The diagnostics panel for a loop without an App (pygame's ``while running:``).

    Args:
        alloc: The allocator to show (its behaviour filter and budgets, when enabled).
        visible: Show the panel from the start.
        key: The key toggling it (``pygame.K_F3``); see :meth:`draw`.
        history: Frames shown in the graphs.

    Example::

        overlay = Overlay(alloc)
        with alloc.frame_scope():
            overlay.draw(screen)
    """

    def __init__(
        self,
        alloc: SmartAlloc,
        *,
        visible: bool = True,
        key: int = pygame.K_F3,
        history: int = 120,
    ) -> None:
        self.alloc = alloc
        self.state = new_overlay_state(visible=visible, key=key, history=history)
        if visible:
            self.state.attach(alloc)  # the history starts with the first frame
        self._last: float | None = None
        self._key_down = False

    @property
    def visible(self) -> bool:
        """Whether the panel is drawn."""
        return self.state.visible

    def key_toggled(self) -> bool:
        """True once per press of the toggle key, polled from ``pygame.key.get_pressed()``
        (the game's own event loop keeps that state current)."""
        if not pygame.display.get_init():
            return False
        down = bool(pygame.key.get_pressed()[self.state.key])
        pressed, self._key_down = down and not self._key_down, down
        return pressed

    def draw(
        self, surface: pygame.Surface, *, toggle: bool | None = None, fps: float | None = None
    ) -> bool:
        """Record this frame and draw the panel when visible (inside a frame).

        Args:
            surface: The screen.
            toggle: Whether to toggle visibility now; None polls the toggle key.
            fps: Frames per second to show.

        Returns:
            Whether the panel was drawn.
        """
        now = time.perf_counter()
        seconds = 0.0 if self._last is None else now - self._last
        self._last = now
        if toggle is None:
            toggle = self.key_toggled()
        return overlay_frame(self.state, self.alloc, surface, seconds, toggle=toggle, fps=fps)
