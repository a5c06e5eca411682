"""framealloc_arcade: drive an App from an ``arcade.Window`` (an optional extra:
``pip install framealloc-engine[arcade]``).

One frame is one ``on_draw``; arcade's ``on_update`` calls since the previous draw run as
that frame's ``FixedUpdate`` steps. The window, input, clock and sprite lists are resources.

Example::

    from framealloc_arcade import ArcadePlugin, SpriteLists

    def move(alloc: AllocResource, lists: ResMut[SpriteLists], time: Time) -> None:
        xs = alloc.frame_alloc(np.float32, len(lists.value["dots"]))
        ...

    App().add_plugins(SmartAllocPlugin.default(), ArcadePlugin((640, 360), "dots")) \\
        .add_systems(Update, move).run()

Without an App, :class:`FrameLoop` adds frame memory and the overlay to an
``arcade.Window`` subclass of your own.
"""

from __future__ import annotations

import os

# The overlay renders its panel with pygame offscreen; pygame's import banner is noise here.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from framealloc_arcade.loop import FrameLoop  # noqa: E402
from framealloc_arcade.overlay import (  # noqa: E402
    ArcadeOverlayPlugin,
    ArcadeOverlaySet,
    PanelTexture,
    update_arcade_overlay,
)
from framealloc_arcade.plugin import (  # noqa: E402
    ArcadeDrawSet,
    ArcadePlugin,
    ClearColor,
    FrameWindow,
    clear_window,
    draw_sprite_lists,
    stop_ticking,
)
from framealloc_arcade.resources import (  # noqa: E402
    ArcadeClock,
    ArcadeInput,
    ArcadeWindow,
    SpriteLists,
)
from framealloc_arcade.steps import prime_fixed_steps  # noqa: E402

__all__ = [
    "ArcadeClock",
    "ArcadeDrawSet",
    "ArcadeInput",
    "ArcadeOverlayPlugin",
    "ArcadeOverlaySet",
    "ArcadePlugin",
    "ArcadeWindow",
    "ClearColor",
    "FrameLoop",
    "FrameWindow",
    "PanelTexture",
    "SpriteLists",
    "clear_window",
    "draw_sprite_lists",
    "prime_fixed_steps",
    "stop_ticking",
    "update_arcade_overlay",
]
