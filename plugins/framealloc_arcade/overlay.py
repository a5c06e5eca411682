"""The diagnostics overlay in an arcade window.

The panel is :mod:`framealloc_overlay`'s, drawn into an offscreen pygame surface (pygame
needs no display for that), uploaded into one OpenGL texture and drawn over the top-right
corner of the window each frame it is visible. F3 toggles it.

Example::

    App().add_plugins(SmartAllocPlugin.default(), ArcadePlugin((800, 450)),
                      ArcadeOverlayPlugin())
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, ClassVar

import arcade
import pygame
from arcade.gl import BufferDescription

from framealloc_arcade.plugin import ArcadeDrawSet
from framealloc_arcade.resources import ArcadeClock, ArcadeInput, ArcadeWindow
from framealloc_engine import PluginMissingError
from framealloc_engine.app import Last, Plugin, Res, ResMut, SystemSet, Time, system
from framealloc_engine.bridge import AllocResource
from framealloc_overlay import OverlayState, new_overlay_state, overlay_frame
from framealloc_overlay.panel import MARGIN, PANEL_WIDTH

if TYPE_CHECKING:
    from arcade.gl import Geometry, Texture2D

    from framealloc_engine.app import App

__all__ = ["ArcadeOverlayPlugin", "ArcadeOverlaySet", "PanelTexture", "update_arcade_overlay"]

#: The set :func:`update_arcade_overlay` runs in (``Last``, after :data:`ArcadeDrawSet`).
ArcadeOverlaySet = SystemSet("framealloc_arcade_overlay")


class PanelTexture:
    """A pygame surface shown over the top-right corner of an arcade window.

    Draw on :attr:`surface` (cleared to transparent by :meth:`clear`), then :meth:`draw`
    uploads it into its texture and draws it. A resource; systems using it run on the main
    thread.

    Args:
        width: Surface width in pixels (the height follows the window).
    """

    main_thread_only: ClassVar[bool] = True

    def __init__(self, width: int = PANEL_WIDTH + MARGIN) -> None:
        self.width = width
        self.surface: pygame.Surface | None = None
        self._texture: Texture2D | None = None
        self._geometry: Geometry | None = None
        self._placed: tuple[int, int, int] | None = None

    def clear(self, window: arcade.Window) -> pygame.Surface:
        """The surface, sized to the window and cleared to transparent."""
        height = int(window.get_size()[1])
        if self.surface is None or self.surface.get_height() != height:
            self.surface = pygame.Surface((self.width, height), pygame.SRCALPHA, 32)
            self._texture = None
        self.surface.fill((0, 0, 0, 0))
        return self.surface

    def draw(self, window: arcade.Window) -> None:
        """Upload the surface and draw it over the window's top-right corner."""
        surface = self.surface
        if surface is None:
            return
        ctx = window.ctx
        width, height = surface.get_size()
        if self._texture is None:
            self._texture = ctx.texture((width, height), components=4)
        win_w, win_h = (int(v) for v in window.get_size())
        if self._placed != (win_w, win_h, height) or self._geometry is None:
            self._geometry = _corner_quad(ctx, width / win_w, height / win_h)
            self._placed = (win_w, win_h, height)
        # Rows go up top row first; the quad maps the texture's first row to its top edge.
        self._texture.write(pygame.image.tobytes(surface, "RGBA"))
        self._texture.use(0)
        with ctx.enabled(ctx.BLEND):
            ctx.blend_func = ctx.BLEND_DEFAULT
            self._geometry.render(ctx.utility_textured_quad_program)


def _corner_quad(ctx: arcade.ArcadeContext, share_w: float, share_h: float) -> Geometry:
    """A quad in normalised device coordinates over the top-right ``share_w`` × ``share_h``
    of the viewport, its texture's first row at the top."""
    left, bottom = 1.0 - 2.0 * share_w, 1.0 - 2.0 * share_h
    data = array("f", [
        left, 1.0, 0.0, 0.0,
        left, bottom, 0.0, 1.0,
        1.0, 1.0, 1.0, 0.0,
        1.0, bottom, 1.0, 1.0,
    ])  # fmt: skip
    return ctx.geometry(
        [BufferDescription(ctx.buffer(data=data), "2f 2f", ["in_vert", "in_uv"])],
        mode=ctx.TRIANGLE_STRIP,
    )


def update_arcade_overlay(
    state: ResMut[OverlayState],
    panel: ResMut[PanelTexture],
    keys: Res[ArcadeInput],
    clock: Res[ArcadeClock],
    window: Res[ArcadeWindow],
    alloc: AllocResource,
    time: Time,
) -> None:
    """Toggle on the key, record this frame, and draw the panel when visible."""
    overlay = state.value
    toggle = overlay.key in keys.value.just_pressed
    target = window.value.window
    showing = overlay.visible != toggle  # visible once this frame's toggle applies
    surface = panel.value.clear(target) if showing else _NO_SURFACE
    delta = clock.value.draw_delta
    fps = 1.0 / delta if delta > 0 else None
    if overlay_frame(overlay, alloc, surface, time.real.delta, toggle=toggle, fps=fps):
        panel.value.draw(target)


# overlay_frame draws only when visible; a hidden frame never touches its surface.
_NO_SURFACE = pygame.Surface((1, 1))


class ArcadeOverlayPlugin(Plugin):
    """The diagnostics panel over an arcade window (needs ``SmartAllocPlugin`` and
    ``ArcadePlugin``).

    Args:
        visible: Show the panel from the first frame.
        key: The key toggling it (``arcade.key.F3``).
        history: Frames shown in the graphs.
    """

    def __init__(self, visible: bool = True, key: int = arcade.key.F3, history: int = 120) -> None:
        self.visible = visible
        self.key = key
        self.history = history

    def build(self, app: App) -> None:
        """Insert the overlay state and the panel texture; draw in ``Last``."""
        app.insert_resource(new_overlay_state(visible=self.visible, key=self.key,
                                              history=self.history))  # fmt: skip
        app.insert_resource(PanelTexture())
        app.add_systems(
            Last,
            system(update_arcade_overlay).in_set(ArcadeOverlaySet).after(ArcadeDrawSet)
            .on_main_thread(),
        )  # fmt: skip

    def finish(self, app: App) -> None:
        """Start the memory history when the panel starts visible.

        Raises:
            PluginMissingError: the app has no ``AllocResource`` (no ``SmartAllocPlugin``).
        """
        resource = app.world.get_resource(AllocResource)
        if resource is None:
            raise PluginMissingError(
                "ArcadeOverlayPlugin needs the allocator: the app has no AllocResource",
                help="add SmartAllocPlugin to the App before running it",
            )
        if self.visible:
            app.resource(OverlayState).attach(resource.alloc)
