"""Drawing the streaming demo: READY chunks, placeholders, the minimap and the HUD.

The world is drawn into a canvas whose pixels are a heap block of the demo's allocator
(``pygame.image.frombuffer`` shares it with a Surface), so copying a chunk texture is one
numpy slice assignment and the canvas reaches the window with a single blit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pygame

from framealloc_engine import SmartAlloc
from framealloc_engine.app import Res, ResMut
from framealloc_pygame import Screen

from .camera import Camera
from .streamer import LOADING, QUEUED, READY, ChunkStreamer
from .world import CHUNK_PX, ENTRY_BYTES, MAP_BYTES, WorldAssets

__all__ = [
    "MINIMAP_SCALE",
    "TIER_COLORS",
    "Canvas",
    "Hud",
    "draw_hud",
    "draw_world",
]

MINIMAP_SCALE = 4
#: Minimap colour of a resident chunk by tier (LOW, NORMAL, HIGH, CRITICAL).
TIER_COLORS = ((90, 130, 255), (210, 90, 220), (255, 150, 40), (255, 224, 70))
LOADING_COLOR = (70, 235, 235)
EVICTED_COLOR = (255, 40, 40)
TEXT_COLOR = (235, 235, 240)
_MARGIN = 8


def _packed(rgb: tuple[int, int, int]) -> int:
    return 0xFF000000 | (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]


TIER_PACKED = tuple(_packed(c) for c in TIER_COLORS)
LOADING_PACKED = _packed(LOADING_COLOR)
EVICTED_PACKED = _packed(EVICTED_COLOR)


@dataclass
class Canvas:
    """The window-sized pixel buffer the world is drawn into (a resource).

    Attributes:
        pixels: ``(h, w)`` uint32 ``0xAARRGGBB``, a heap block of the demo's allocator.
        surface: A pygame Surface sharing ``pixels`` (``frombuffer``, BGRA byte order).
        minimap_base: ``(world_h * s, world_w * s)`` packed, dimmed biome colours.
        placeholder: ``(n_biomes,)`` packed colours of a chunk that is not loaded yet.
        minimap_origin: Top-left pixel of the minimap.
    """

    pixels: np.ndarray
    surface: pygame.Surface
    minimap_base: np.ndarray
    placeholder: np.ndarray
    minimap_origin: tuple[int, int]

    @classmethod
    def create(cls, alloc: SmartAlloc, size: tuple[int, int], world: WorldAssets) -> Canvas:
        """Allocate the canvas and the minimap background (startup)."""
        w, h = size
        pixels = alloc.heap_alloc(np.uint32, (h, w))
        pixels[...] = 0xFF000000
        surface = pygame.image.frombuffer(pixels.data, (w, h), "BGRA")
        s = MINIMAP_SCALE
        base = world.biome_colors[world.biomes].reshape(world.height, world.width)
        dim = _dim(base, 0.55)
        mini = alloc.heap_alloc(np.uint32, (world.height * s, world.width * s))
        mini[...] = np.repeat(np.repeat(dim, s, axis=0), s, axis=1)
        mini[::s, :] = 0xFF101018  # chunk grid
        mini[:, ::s] = 0xFF101018
        placeholder = alloc.heap_alloc(np.uint32, world.biome_colors.shape)
        placeholder[...] = _dim(world.biome_colors, 0.3)
        # bottom-left: the overlay (F3) draws in the top-right corner
        origin = (_MARGIN, h - world.height * s - _MARGIN)
        return cls(pixels, surface, mini, placeholder, origin)


def _dim(packed: np.ndarray, factor: float) -> np.ndarray:
    """Packed colours scaled by ``factor`` (startup)."""
    out = np.full(packed.shape, 0xFF000000, np.uint32)
    for shift in (16, 8, 0):
        channel = ((packed >> shift) & 0xFF).astype(np.float64) * factor
        out |= channel.astype(np.uint32) << np.uint32(shift)
    return out


@dataclass
class Hud:
    """Per-frame drawing figures (a resource; tests read it too).

    Attributes:
        visible: Chunks in view this frame.
        visible_ready: Of those, READY (drawn from stream memory).
        drawn_bytes: Stream bytes of the chunks drawn this frame.
        biome: Biome under the view's centre.
        font: The HUD font (created on the first frame, once pygame is initialised).
        placeholders: ``(chunk, x, y)`` of the chunks in view that are not READY.
    """

    visible: int = 0
    visible_ready: int = 0
    drawn_bytes: int = 0
    biome: str = ""
    font: pygame.font.Font | None = None
    placeholders: list[tuple[int, int, int]] = field(default_factory=list)


def draw_world(
    screen: Res[Screen],
    canvas: Res[Canvas],
    streamer: Res[ChunkStreamer],
    camera: Res[Camera],
    world: Res[WorldAssets],
    hud: ResMut[Hud],
) -> None:
    """Copy the READY chunks in view into the canvas (``access()`` per chunk, per frame),
    fill the others with placeholders, draw the minimap, and blit the canvas."""
    st = streamer.value
    cam = camera.value
    cv = canvas.value
    info = hud.value
    pixels = cv.pixels
    h, w = pixels.shape
    streaming = st.streaming
    left, top = cam.left, cam.top
    i0, j0 = left // CHUNK_PX, top // CHUNK_PX
    i1, j1 = (left + w - 1) // CHUNK_PX, (top + h - 1) // CHUNK_PX
    visible = ready = drawn = 0
    placeholders = info.placeholders
    placeholders.clear()
    biomes = world.value.biomes
    for j in range(j0, j1 + 1):
        sy = j * CHUNK_PX - top
        y0, y1 = max(sy, 0), min(sy + CHUNK_PX, h)
        for i in range(i0, i1 + 1):
            c = j * st.width + i
            sx = i * CHUNK_PX - left
            x0, x1 = max(sx, 0), min(sx + CHUNK_PX, w)
            visible += 1
            # access() every frame: a view must not outlive the next reserve/free
            data = streaming.access(st.sid[c]) if st.state[c] == READY else None
            if data is None:
                pixels[y0:y1, x0:x1].fill(int(cv.placeholder[biomes[c]]))
                placeholders.append((c, sx, sy))
                continue
            texture = data[MAP_BYTES:].view(np.uint32).reshape(CHUNK_PX, CHUNK_PX)
            pixels[y0:y1, x0:x1] = texture[y0 - sy : y1 - sy, x0 - sx : x1 - sx]
            ready += 1
            drawn += ENTRY_BYTES
    info.visible, info.visible_ready, info.drawn_bytes = visible, ready, drawn
    centre = int(cam.y // CHUNK_PX) * st.width + int(cam.x // CHUNK_PX)
    info.biome = world.value.biome_names[int(biomes[centre])]
    _draw_minimap(cv, st)
    surface = screen.value.surface
    surface.blit(cv.surface, (0, 0))
    _draw_placeholders(surface, st, placeholders)
    _draw_flashes(surface, st, left, top)
    _draw_minimap_view(surface, cv, cam)


def _draw_minimap(cv: Canvas, st: ChunkStreamer) -> None:
    s = MINIMAP_SCALE
    ox, oy = cv.minimap_origin
    base = cv.minimap_base
    region = cv.pixels[oy : oy + base.shape[0], ox : ox + base.shape[1]]
    region[...] = base
    width = st.width
    state, prio = st.state, st.prio
    for c in st.resident:
        x = (c % width) * s + 1
        y = (c // width) * s + 1
        color = TIER_PACKED[prio[c]] if state[c] == READY else LOADING_PACKED
        region[y : y + s - 1, x : x + s - 1].fill(color)
    frame = st.frame
    span = st.settings.flash_frames
    for k, c in enumerate(st.flash_chunk):
        if c >= 0 and frame - st.flash_frame[k] < span:
            x = (c % width) * s
            y = (c // width) * s
            region[y : y + s + 1, x : x + s + 1].fill(EVICTED_PACKED)


def _draw_placeholders(
    surface: pygame.Surface, st: ChunkStreamer, placeholders: list[tuple[int, int, int]]
) -> None:
    """Outline chunks that are not READY and show their loading progress."""
    for c, sx, sy in placeholders:
        rect = (sx + 2, sy + 2, CHUNK_PX - 4, CHUNK_PX - 4)
        state = st.state[c]
        color = LOADING_COLOR if state in (LOADING, QUEUED) else (90, 90, 100)
        pygame.draw.rect(surface, color, rect, 1)
        if state == LOADING:
            done = st.progress[c] * (CHUNK_PX - 24) // ENTRY_BYTES
            pygame.draw.rect(surface, (40, 40, 48), (sx + 12, sy + 58, CHUNK_PX - 24, 12))
            pygame.draw.rect(surface, LOADING_COLOR, (sx + 12, sy + 58, done, 12))


def _draw_flashes(surface: pygame.Surface, st: ChunkStreamer, left: int, top: int) -> None:
    """A fading red outline where a chunk was evicted (when it is in view)."""
    span = st.settings.flash_frames
    w, h = surface.get_size()
    for k, c in enumerate(st.flash_chunk):
        age = st.frame - st.flash_frame[k]
        if c < 0 or age >= span:
            continue
        sx = (c % st.width) * CHUNK_PX - left
        sy = (c // st.width) * CHUNK_PX - top
        if -CHUNK_PX < sx < w and -CHUNK_PX < sy < h:
            fade = 255 - 200 * age // span
            rect = (sx + 1, sy + 1, CHUNK_PX - 2, CHUNK_PX - 2)
            pygame.draw.rect(surface, (fade, 30, 30), rect, 3)


def _draw_minimap_view(surface: pygame.Surface, cv: Canvas, cam: Camera) -> None:
    s = MINIMAP_SCALE
    ox, oy = cv.minimap_origin
    rect = (
        ox + cam.left * s // CHUNK_PX,
        oy + cam.top * s // CHUNK_PX,
        cam.view_w * s // CHUNK_PX + 1,
        cam.view_h * s // CHUNK_PX + 1,
    )
    pygame.draw.rect(surface, (255, 255, 255), rect, 1)
    mh, mw = cv.minimap_base.shape
    pygame.draw.rect(surface, (20, 20, 28), (ox - 1, oy - 1, mw + 2, mh + 2), 1)


def _bar(
    surface: pygame.Surface,
    x: int,
    y: int,
    w: int,
    parts: tuple[tuple[float, tuple[int, int, int]], ...],
) -> None:
    """A 10-pixel bar filled left to right by ``(fraction, colour)`` parts."""
    pygame.draw.rect(surface, (36, 36, 44), (x, y, w, 10))
    cursor = x
    for fraction, color in parts:
        width = int(round(fraction * w))
        if width > 0:
            pygame.draw.rect(surface, color, (cursor, y, width, 10))
            cursor += width
    pygame.draw.rect(surface, (150, 150, 160), (x, y, w, 10), 1)


def draw_hud(screen: Res[Screen], streamer: Res[ChunkStreamer], hud: ResMut[Hud]) -> None:
    """Budget bar (by tier), loading progress, visible readiness and the counters.

    The figures come from the demo's own bookkeeping (every entry has the same size), not
    from ``StreamingAllocator.stats()``, which walks every entry.
    """
    info = hud.value
    if info.font is None:
        info.font = pygame.font.Font(None, 20)
    font = info.font
    surface = screen.value.surface
    st = streamer.value
    budget = st.settings.budget_bytes
    panel_w = 330
    pygame.draw.rect(surface, (12, 12, 20), (_MARGIN, _MARGIN, panel_w, 150))
    pygame.draw.rect(surface, (90, 90, 110), (_MARGIN, _MARGIN, panel_w, 150), 1)
    x = _MARGIN + 8
    y = _MARGIN + 6
    world_mib = st.width * st.height * ENTRY_BYTES / 2**20
    used = len(st.resident) * ENTRY_BYTES
    counts = st.tier_counts()
    lines = (
        (
            f"world {st.width}x{st.height} chunks ({world_mib:.0f} MiB), budget "
            f"{budget / 2**20:.1f} MiB",
            0,
            TEXT_COLOR,
        ),
        (f"used {used / 2**20:.2f} MiB: {len(st.resident)}/{st.slots} chunks", 18, TEXT_COLOR),
        (
            f"crit {counts[3]}  high {counts[2]}  normal {counts[1]}  low {counts[0]}  "
            f"queued {len(st.queue)}",
            52,
            TEXT_COLOR,
        ),
        (f"in view: {info.visible_ready}/{info.visible} ready  ({info.biome})", 88, TEXT_COLOR),
        (
            f"evicted {st.evictions}  unloaded {st.unloads}  re-prioritised "
            f"{st.promotions + st.demotions}",
            120,
            EVICTED_COLOR if st.evictions else TEXT_COLOR,
        ),
    )
    for line, dy, color in lines:
        surface.blit(font.render(line, True, color), (x, y + dy))
    share = ENTRY_BYTES / budget
    tiers = (
        (counts[3] * share, TIER_COLORS[3]),
        (counts[2] * share, TIER_COLORS[2]),
        (counts[1] * share, TIER_COLORS[1]),
        (counts[0] * share, TIER_COLORS[0]),
    )
    _bar(surface, x, y + 38, panel_w - 16, tiers)
    c = st.loading
    if c >= 0:
        pct = 100 * st.progress[c] // ENTRY_BYTES
        label = f"loading ({c % st.width},{c // st.width}) {pct}%"
        surface.blit(font.render(label, True, LOADING_COLOR), (x, y + 70))
        _bar(
            surface,
            x + 170,
            y + 74,
            panel_w - 186,
            ((st.progress[c] / ENTRY_BYTES, LOADING_COLOR),),
        )
    else:
        surface.blit(font.render("loader idle", True, (150, 150, 160)), (x, y + 70))
    _bar(
        surface,
        x,
        y + 106,
        panel_w - 16,
        ((info.visible_ready / max(info.visible, 1), (120, 220, 120)),),
    )
