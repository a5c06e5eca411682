"""Drawing the workers demo: agents stamped into a canvas, and the threads panel.

The panel shows what the issue asks to see: which worker thread ran physics and AI (and
whether they overlapped), the app's ``FrameBarrier`` statistics, each simulation thread's
per-thread budget (``thread_budget_stats()``), and the transfers between the systems.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from framealloc_engine import SmartAlloc
from framealloc_engine.app import Res, ResMut, Time
from framealloc_engine.bridge import AllocResource
from framealloc_pygame import Screen

from ..assets import asset_path
from .consts import ConstantPool
from .links import BarrierProbe, Links, ThreadLedger
from .state import ArenaConfig, Bodies, Brains
from .systems import AI, PHYSICS

__all__ = ["PANEL_W", "ArenaCanvas", "PanelState", "draw_agents", "draw_panel"]

PANEL_W = 260
SPRITE = 7
TEXT = (228, 230, 238)
DIM = (150, 154, 170)
ACCENT = (120, 200, 255)
PHYSICS_COLOR = (255, 170, 80)
AI_COLOR = (140, 220, 140)


def _pack(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.uint32)
    out: np.ndarray = 0xFF000000 | (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    return out.astype(np.uint32)


def _background(cfg: ArenaConfig) -> np.ndarray:
    """Floor, grid and obstacles, packed ``(h, w)`` (startup)."""
    h, w = cfg.height, cfg.width
    rgb = np.empty((h, w, 3), np.uint8)
    rgb[...] = cfg.colors["floor"]
    rgb[::20, :] = cfg.colors["grid"]
    rgb[:, ::20] = cfg.colors["grid"]
    yy, xx = np.mgrid[0:h, 0:w]
    for ox, oy, r in cfg.obstacles:
        d = np.hypot(xx - ox, yy - oy)
        rgb[d <= r] = cfg.colors["obstacle_rim"]
        rgb[d <= r - 3] = cfg.colors["obstacle"]
    return _pack(rgb)


class DrawConstants:
    """The drawing code's constants, as 0-d arrays (see :mod:`demos.workers.consts`)."""

    def __init__(self, alloc: SmartAlloc, cfg: ArenaConfig) -> None:
        f = ConstantPool(alloc, np.float32)
        self.zero = f.const(0.0)
        self.half_sprite = f.const(SPRITE // 2)
        self.max_x = f.const(cfg.width - SPRITE)
        self.max_y = f.const(cfg.height - SPRITE)
        self.stride = ConstantPool(alloc, np.intp, 1).const(cfg.width)


@dataclass
class ArenaCanvas:
    """The arena's pixels (heap memory shared with a Surface) and the sprite tables.

    Attributes:
        pixels: ``(h, w)`` uint32 ``0xAARRGGBB``.
        flat: ``pixels`` as 1-D.
        surface: Shares ``pixels`` (``frombuffer``, BGRA).
        background: Floor, grid and obstacles, copied in each frame.
        offsets: ``(k,)`` intp pixel offsets of the sprite's opaque pixels.
        colors: ``(k, 3)`` uint32: for each offset, its colour per sprite kind (calm prey,
            alarmed prey, hunter).
        consts: 0-d constants of the drawing code.
    """

    pixels: np.ndarray
    flat: np.ndarray
    surface: pygame.Surface
    background: np.ndarray
    offsets: np.ndarray
    colors: np.ndarray
    consts: DrawConstants
    legend: tuple[tuple[int, int, int], ...]

    @classmethod
    def create(cls, alloc: SmartAlloc, cfg: ArenaConfig) -> ArenaCanvas:
        """Allocate the canvas and load the sprites (startup)."""
        h, w = cfg.height, cfg.width
        pixels = alloc.heap_alloc(np.uint32, (h, w))
        background = alloc.heap_alloc(np.uint32, (h, w))
        background[...] = _background(cfg)
        pixels[...] = background
        surface = pygame.image.frombuffer(pixels.data, (w, h), "BGRA")
        sheet = pygame.image.load(str(asset_path("workers", "sprites.png")))
        rgb = pygame.surfarray.array3d(sheet).transpose(1, 0, 2)  # (7, 21, 3)
        alpha = pygame.surfarray.array_alpha(sheet).T
        kinds = rgb.shape[1] // SPRITE
        rgb = rgb.reshape(SPRITE, kinds, SPRITE, 3).transpose(1, 0, 2, 3)
        alpha = alpha.reshape(SPRITE, kinds, SPRITE).transpose(1, 0, 2)
        opaque = (alpha > 0).any(axis=0)
        ys, xs = np.nonzero(opaque)
        offsets = alloc.heap_alloc(np.intp, len(ys))
        offsets[...] = ys * w + xs
        colors = alloc.heap_alloc(np.uint32, (len(ys), kinds))
        floor = _pack(np.array(cfg.colors["floor"]))
        packed = _pack(rgb)  # (kinds, 7, 7)
        packed = np.where(alpha > 0, packed, floor)
        colors[...] = packed[:, ys, xs].T
        centre = rgb[:, SPRITE // 2, SPRITE // 2 + 2]  # each kind's body colour (not its eye)
        legend = tuple((int(r), int(g), int(b)) for r, g, b in centre)
        return cls(
            pixels,
            pixels.reshape(-1),
            surface,
            background,
            offsets,
            colors,
            DrawConstants(alloc, cfg),
            legend,
        )


def draw_agents(
    screen: Res[Screen],
    canvas: Res[ArenaCanvas],
    bodies: Res[Bodies],
    brains: Res[Brains],
    links: Res[Links],
    arena: Res[ArenaConfig],
    alloc: AllocResource,
    time: Time,
) -> None:
    """Stamp every agent's sprite (its kind from the AI's alarm flags and the contacts
    physics sent this frame) into the canvas, and blit it."""
    a = alloc.alloc
    cfg = arena.value
    cv = canvas.value
    b = bodies.value
    n, p = cfg.n, cfg.prey
    handle = links.value.to_render.take(time.frame_count)
    contacts = handle.receive().array if handle is not None else b.contacts
    kind = a.frame_alloc(np.intp, n)
    touched = a.frame_alloc(np.bool_, p)
    k = cv.consts
    np.greater(contacts[:p], k.zero, out=touched)
    np.logical_or(touched, brains.value.alarm[:p], out=touched)
    np.copyto(kind[:p], touched)
    kind[p:].fill(2)
    # top-left pixel of each sprite, as a flat index
    fx = a.frame_alloc(np.float32, n)
    base = a.frame_alloc(np.intp, n)
    col = a.frame_alloc(np.intp, n)
    np.subtract(b.x, k.half_sprite, out=fx)
    np.clip(fx, k.zero, k.max_x, out=fx)
    np.copyto(col, fx, casting="unsafe")
    np.subtract(b.y, k.half_sprite, out=fx)
    np.clip(fx, k.zero, k.max_y, out=fx)
    np.copyto(base, fx, casting="unsafe")
    np.multiply(base, k.stride, out=base)
    np.add(base, col, out=base)
    np.copyto(cv.pixels, cv.background)
    index = a.frame_alloc(np.intp, n)
    color = a.frame_alloc(np.uint32, n)
    flat = cv.flat
    for i in range(len(cv.offsets)):
        np.add(base, cv.offsets[i : i + 1], out=index)
        np.take(cv.colors[i], kind, out=color, mode="clip")
        np.put(flat, index, color)
    screen.value.surface.blit(cv.surface, (PANEL_W, 0))


@dataclass
class PanelState:
    """The panel's font (created on the first frame) and last figures (tests read them)."""

    font: pygame.font.Font | None = None
    small: pygame.font.Font | None = None
    overlapped: bool = False


def _short(thread_name: str) -> str:
    """``framealloc-worker-0`` → ``worker-0``, ``MainThread`` → ``main``."""
    if thread_name == "MainThread":
        return "main"
    return thread_name.removeprefix("framealloc-")


def _bar(
    surface: pygame.Surface, x: int, y: int, w: int, fraction: float, color: tuple[int, int, int]
) -> None:
    pygame.draw.rect(surface, (40, 42, 54), (x, y, w, 8))
    filled = int(round(min(max(fraction, 0.0), 1.0) * w))
    if filled:
        pygame.draw.rect(surface, color, (x, y, filled, 8))
    pygame.draw.rect(surface, (110, 114, 130), (x, y, w, 8), 1)


def draw_panel(
    screen: Res[Screen],
    ledger: Res[ThreadLedger],
    probe: ResMut[BarrierProbe],
    links: Res[Links],
    bodies: Res[Bodies],
    brains: Res[Brains],
    arena: Res[ArenaConfig],
    panel: ResMut[PanelState],
    canvas: Res[ArenaCanvas],
    alloc: AllocResource,
    time: Time,
) -> None:
    """Threads, barrier, budgets and transfers, left of the arena (the overlay, F3, draws
    in the top-right corner)."""
    state = panel.value
    if state.font is None:
        state.font = pygame.font.Font(None, 20)
        state.small = pygame.font.Font(None, 17)
    font, small = state.font, state.small
    assert small is not None
    surface = screen.value.surface
    cfg = arena.value
    led = ledger.value
    frame = time.frame_count
    state.overlapped = led.note_overlap(PHYSICS, AI, frame)
    bar = probe.value
    bar.sample()
    pygame.draw.rect(surface, (14, 15, 22), (0, 0, PANEL_W, cfg.height))
    pygame.draw.line(surface, (70, 74, 96), (PANEL_W - 1, 0), (PANEL_W - 1, cfg.height))
    x = 10
    y = 8

    def text(line: str, color: tuple[int, int, int] = TEXT, f: pygame.font.Font = font) -> None:
        nonlocal y
        surface.blit(f.render(line, True, color), (x, y))
        y += f.get_linesize()

    b = bodies.value
    text(f"{cfg.n} agents: {cfg.prey} prey, {cfg.hunters} hunters", ACCENT)
    text(
        f"caught {b.catches}, contacts {b.contact_count // 2}, alarmed {brains.value.alarmed}",
        DIM,
        small,
    )
    y += 4
    text("systems", ACCENT)
    for name, color in ((PHYSICS, PHYSICS_COLOR), (AI, AI_COLOR)):
        run = led.last.get(name)
        if run is not None:
            ms = (run.end - run.start) * 1e3
            text(f"{name:8} {_short(run.thread):10} {ms:5.2f} ms", color, small)
    text(
        "parallel this frame" if state.overlapped else "sequential this frame",
        (120, 230, 140) if state.overlapped else DIM,
        small,
    )
    text(f"overlapping frames: {led.overlapping_frames}", DIM, small)
    y += 4
    stats = bar.barrier.stats()
    text("FrameBarrier", ACCENT)
    text(f"frames {stats.generations}, threads met {bar.waits_last_frame}", DIM, small)
    text(
        f"waits {stats.waits}, mean {stats.mean_wait_time * 1e6:.0f} us, "
        f"max {stats.max_wait_time * 1e3:.2f} ms",
        DIM,
        small,
    )
    y += 4
    text("per-thread frame budgets", ACCENT)
    for record in sorted(led.threads.values(), key=lambda r: r.name):
        budget = record.budget
        if budget is None:
            continue
        used, total = budget.frame_used, budget.frame_budget
        systems = "+".join(sorted(record.runs))
        if record.last_frame != frame:  # e.g. the main thread while the executor profiled
            text(
                f"{_short(record.name)}  ({systems}): idle since frame {record.last_frame}",
                DIM,
                small,
            )
            continue
        text(f"{_short(record.name)}  ({systems})", TEXT, small)
        _bar(
            surface,
            x,
            y + 1,
            PANEL_W - 20,
            used / total if total else 0.0,
            PHYSICS_COLOR if record.last_system == PHYSICS else AI_COLOR,
        )
        y += 11
        text(
            f"{used / 2**20:.2f} / {total / 2**20:.0f} MiB, peak "
            f"{budget.frame_peak / 2**20:.2f}, over {budget.exceeded_count}",
            DIM,
            small,
        )
    y += 4
    transfers = alloc.alloc.transfer_stats()
    text("TransferHandles", ACCENT)
    text(
        f"sent {transfers.initiated}, received {transfers.received}, "
        f"in flight {transfers.in_flight}",
        DIM,
        small,
    )
    for box in links.value.mailboxes:
        text(f"{box.name}: {box.taken}/{box.posted}", DIM, small)
    y = cfg.height - 64
    labels = ("prey", "prey: fleeing or touching", "hunter")
    for color, label in zip(canvas.value.legend, labels, strict=True):
        pygame.draw.circle(surface, color, (x + 5, y + 7), 4)
        surface.blit(small.render(label, True, DIM), (x + 16, y))
        y += small.get_linesize() + 2
