"""Streaming: a scrolling tile world whose chunks stream through a budget smaller than it.

Run ``python -m demos.streaming`` (arrow keys pan, space resumes the orbit) or
``python -m demos.streaming --headless --frames 600 --screenshot streaming.png``.

A 48x32-chunk world (about 96 MiB of chunk textures and tile maps) is decoded from
``assets/streaming/`` into the app allocator's ``StreamingAllocator`` under a ~6 MiB budget:
chunks are reserved with a priority by distance to the camera, loaded a slice per frame
(``begin_load`` → ``report_progress`` → ``finish_load``), drawn from ``access()`` each
frame, re-prioritised as the camera moves, and evicted (least recently used, lowest
priority first) when nearer chunks need the room; evictions flash red on the minimap.
"""

from __future__ import annotations

from typing import Any

from framealloc_engine.app import App, Update, chain, system
from framealloc_engine.bridge import AllocResource

from .._harness import DemoOptions, demo_main
from .camera import Camera, move_camera
from .render import Canvas, Hud, draw_hud, draw_world
from .streamer import (
    ChunkStreamer,
    StreamingSettings,
    load_chunks,
    plan_chunks,
)
from .world import WorldAssets, load_world

__all__ = ["NAME", "SIZE", "build", "details", "main"]

NAME = "streaming"
SIZE = (800, 450)


def build(app: App, options: DemoOptions) -> None:
    """Load the world, create the streaming allocator and add the demo's systems.

    ``options.extra`` may override :class:`StreamingSettings` fields (``budget_slots``,
    ``load_bytes_per_frame`` ...).
    """
    alloc = app.resource(AllocResource).alloc
    fields = StreamingSettings.__dataclass_fields__
    settings = StreamingSettings(**{k: v for k, v in options.extra.items() if k in fields})
    world = load_world(alloc, options.seed)
    if settings.budget_bytes >= world.world_bytes:
        raise ValueError("the streaming budget must be smaller than the world")
    streaming = alloc.streaming(settings.budget_bytes)
    app.insert_resource(settings)
    app.insert_resource(world)
    app.insert_resource(ChunkStreamer(streaming, world, settings))
    app.insert_resource(Camera.centred(SIZE, (world.width, world.height)))
    app.insert_resource(Canvas.create(alloc, SIZE, world))
    app.insert_resource(Hud())
    app.add_systems(
        Update,
        chain(
            move_camera,
            plan_chunks,
            load_chunks,
            system(draw_world).on_main_thread(),
            system(draw_hud).on_main_thread(),
        ),
    )


def details(app: App) -> dict[str, Any]:
    """Summary lines (numbers, so tests can read them): budget use, loads, evictions,
    re-prioritisations."""
    st = app.resource(ChunkStreamer)
    stats = st.streaming.stats()
    hud = app.resource(Hud)
    return {
        "budget bytes": stats.budget_bytes,
        "world bytes": app.resource(WorldAssets).world_bytes,
        "peak used bytes": stats.peak_used_bytes,
        "loaded": st.loads,
        "evicted": stats.evictions_total,
        "unloaded": st.unloads,
        "promoted": st.promotions,
        "demoted": st.demotions,
        "dropped": st.dropped,
        "failed reservations": stats.failed_reservations,
        "in view": hud.visible,
        "in view ready": hud.visible_ready,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: see ``python -m demos.streaming --help``."""
    return demo_main(NAME, build, argv, size=SIZE, details=details)
