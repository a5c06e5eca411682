"""framealloc_overlay: a diagnostics overlay for any App (F3 toggles it).

The panel shows the frame time, memory per tag and per phase as stacked bars over the last
frames (from ``DiagnosticsHooks.get_memory_graph_data``), frame/pool/heap bytes, budgets with
their limits (tag budgets, the global limit, per-thread budgets) and the behaviour filter's
live issues. Drawing allocates no numpy memory of its own: graph temporaries are frame
allocations (tag ``ui``, phase ``overlay``), text surfaces are cached.

Example::

    from framealloc_overlay import OverlayPlugin

    App().add_plugins(SmartAllocPlugin.default(), PygamePlugin((800, 450)), OverlayPlugin())

Without an App, :class:`Overlay` draws the same panel from a loop of your own.
"""

from __future__ import annotations

from framealloc_overlay.frame import Overlay, new_overlay_state, overlay_frame
from framealloc_overlay.graph import StackedGraph
from framealloc_overlay.history import KINDS, MemoryHistory, SeriesRing
from framealloc_overlay.panel import OverlayState, draw_panel, refresh_text
from framealloc_overlay.plugin import OverlayPlugin, OverlaySet, update_overlay
from framealloc_overlay.text import TextCache, format_bytes

__all__ = [
    "KINDS",
    "MemoryHistory",
    "Overlay",
    "OverlayPlugin",
    "OverlaySet",
    "OverlayState",
    "SeriesRing",
    "StackedGraph",
    "TextCache",
    "draw_panel",
    "format_bytes",
    "new_overlay_state",
    "overlay_frame",
    "refresh_text",
    "update_overlay",
]
