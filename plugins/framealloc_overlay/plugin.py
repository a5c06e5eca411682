"""``OverlayPlugin``: the diagnostics overlay as a plugin, and the system that draws it.

* ``build``: inserts :class:`~framealloc_overlay.panel.OverlayState` and adds
  :func:`update_overlay` to ``Last`` (main thread, in :data:`OverlaySet`).
* ``finish``: attaches ``DiagnosticsHooks`` to the ``AllocResource``'s allocator (or uses the
  hooks given) and starts the memory history. An overlay that starts hidden attaches them
  the first time it is shown, so until then it costs nothing (hooks take an allocator
  snapshot at every thread's frame end).
* ``update_overlay`` (every frame): F3 toggles; the history takes this frame's column; when
  visible, the panel is drawn on the screen.

The system writes ``Screen``, so it runs after every system that draws in ``Update``, and in
``Last`` after the drawing systems added before the plugin (conflicting systems keep the order
they were added in). Order a late drawing system explicitly with ``.before(OverlaySet)``, and
anything that reads the finished frame (a screenshot) with ``.after(OverlaySet)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pygame

from framealloc_engine import PluginMissingError
from framealloc_engine.app import Last, Plugin, Res, ResMut, SystemSet, Time, system
from framealloc_engine.bridge import AllocResource
from framealloc_engine.monitoring import DiagnosticsHooks
from framealloc_overlay.frame import new_overlay_state, overlay_frame
from framealloc_overlay.panel import OverlayState
from framealloc_pygame import FrameClock, Input, Screen

if TYPE_CHECKING:
    from framealloc_engine.app import App

__all__ = ["OverlayPlugin", "OverlaySet", "update_overlay"]

#: The set :func:`update_overlay` runs in (in ``Last``): order against it.
OverlaySet = SystemSet("framealloc_overlay")


def update_overlay(
    state: ResMut[OverlayState],
    keys: Res[Input],
    screen: ResMut[Screen],
    alloc: AllocResource,
    time: Time,
) -> None:
    """Toggle on the key, record this frame, and draw the panel when visible."""
    overlay = state.value
    clock = overlay.clock
    overlay_frame(
        overlay,
        alloc,
        screen.value.surface,
        time.real.delta,
        toggle=overlay.key in keys.value.just_pressed,
        fps=clock.fps if clock is not None else None,
    )


class OverlayPlugin(Plugin):
    """A diagnostics panel: memory per tag and per phase, budgets, frame time, behaviour.

    Args:
        visible: Show the panel from the first frame.
        key: The key toggling it.
        history: Frames shown in the graphs.
        hooks: Diagnostics hooks to read (default: new ones attached to the allocator
            when the panel is first shown, replacing any attached before; pass yours to
            share them).
        refresh: Frames between text updates.
        behaviour_every: Frames between behaviour-report updates.
        max_series: Tags (and phases) with their own colour; the rest are "other".

    Example::

        App().add_plugins(SmartAllocPlugin.default(), PygamePlugin(), OverlayPlugin())
    """

    def __init__(
        self,
        visible: bool = True,
        key: int = pygame.K_F3,
        history: int = 120,
        *,
        hooks: DiagnosticsHooks | None = None,
        refresh: int = 10,
        behaviour_every: int = 60,
        max_series: int = 6,
    ) -> None:
        new_overlay_state(refresh=refresh, behaviour_every=behaviour_every)  # validates
        self.visible = visible
        self.key = key
        self.history = history
        self.hooks = hooks
        self.refresh = refresh
        self.behaviour_every = behaviour_every
        self.max_series = max_series

    def build(self, app: App) -> None:
        """Insert the overlay state and add the overlay system to ``Last``."""
        app.insert_resource(
            new_overlay_state(
                visible=self.visible,
                key=self.key,
                history=self.history,
                refresh=self.refresh,
                behaviour_every=self.behaviour_every,
                max_series=self.max_series,
            )
        )
        app.add_systems(Last, system(update_overlay).in_set(OverlaySet).on_main_thread())

    def finish(self, app: App) -> None:
        """Attach the diagnostics hooks and find the frame clock.

        Raises:
            PluginMissingError: the app has no ``AllocResource`` (no ``SmartAllocPlugin``).
        """
        resource = app.world.get_resource(AllocResource)
        if resource is None:
            raise PluginMissingError(
                "OverlayPlugin needs the allocator: the app has no AllocResource",
                help="add SmartAllocPlugin to the App before running it",
            )
        state = app.resource(OverlayState)
        state.shared_hooks = self.hooks
        state.clock = app.world.get_resource(FrameClock)
        if self.visible or self.hooks is not None:
            state.attach(resource.alloc)
