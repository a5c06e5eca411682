"""``FrameLoop``: frame memory for an ``arcade.Window`` subclass of your own, without an App.

Two added lines: make the loop in ``__init__`` and call :meth:`FrameLoop.next` at the end of
``on_draw``. A frame then runs from one draw to the next, so ``on_update`` (however often
arcade calls it) and ``on_draw`` share it::

    class Game(arcade.Window):
        def __init__(self) -> None:
            super().__init__(640, 360, "game")
            self.alloc = SmartAlloc(AllocConfig().with_budgets(True))
            self.frames = FrameLoop(self.alloc, overlay=True)       # added
        def on_update(self, delta_time: float) -> None:
            temps = self.alloc.frame_alloc(np.float32, 1024)        # this frame's memory
        def on_draw(self) -> None:
            self.clear()
            ...
            self.frames.next()                                      # added
"""

from __future__ import annotations

import time

import arcade

from framealloc_arcade.overlay import PanelTexture
from framealloc_arcade.plugin import stop_ticking
from framealloc_engine import SmartAlloc
from framealloc_overlay import new_overlay_state, overlay_frame

__all__ = ["FrameLoop"]


class FrameLoop:
    """Begins a frame now and at every :meth:`next`; draws the overlay when asked.

    Args:
        alloc: The allocator (budgets, tags and the behaviour filter work as usual).
        overlay: Draw the diagnostics panel (F3 toggles it).
        window: The window (default: arcade's current window).
        key: The overlay's toggle key.
    """

    def __init__(
        self,
        alloc: SmartAlloc,
        *,
        overlay: bool = False,
        window: arcade.Window | None = None,
        key: int = arcade.key.F3,
    ) -> None:
        self.alloc = alloc
        self.window = window if window is not None else arcade.get_window()
        self.frames = 0
        self.overlay = new_overlay_state(visible=True, key=key) if overlay else None
        self._panel = PanelTexture() if overlay else None
        self._toggle = False
        self._last = time.perf_counter()
        if self.overlay is not None:
            self.overlay.attach(alloc)
            self.window.push_handlers(on_key_press=self._on_key_press)
        alloc.begin_frame()

    def _on_key_press(self, symbol: int, modifiers: int) -> None:
        if self.overlay is not None and symbol == self.overlay.key:
            self._toggle = True

    def next(self) -> None:
        """Draw the overlay (when on), end this frame and begin the next one."""
        now = time.perf_counter()
        seconds, self._last = now - self._last, now
        state, panel = self.overlay, self._panel
        if state is not None and panel is not None:
            surface = panel.clear(self.window)
            toggle, self._toggle = self._toggle, False
            fps = 1.0 / seconds if seconds > 0 else None
            if overlay_frame(state, self.alloc, surface, seconds, toggle=toggle, fps=fps):
                panel.draw(self.window)
        self.alloc.end_frame()
        self.frames += 1
        self.alloc.begin_frame()

    def close(self) -> None:
        """End the current frame (when the game is over). After ``window.close()``, also
        stops arcade from calling the closed window's ``on_update`` in later event loops."""
        if self.alloc.frame_active:
            self.alloc.end_frame()
        if self.overlay is not None:
            self.window.remove_handlers(on_key_press=self._on_key_press)
        if self.window.closed:
            stop_ticking(self.window)
