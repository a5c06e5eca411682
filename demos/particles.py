"""Particles: 100,000 particles swirling around two attractors; every temporary in frame arenas.

Run ``python -m demos.particles`` (hold the left mouse button to drag an attractor; F3 toggles
the diagnostics overlay) or ``python -m demos.particles --headless --frames 300`` for the
frame summary.

The particle state (x, y, vx, vy for every particle) is one heap block allocated at startup.
Each frame, ``physics`` integrates it with numpy ufuncs writing into frame-arena arrays
(``out=`` everywhere, constants as 0-d arrays, so numpy allocates nothing itself) and
``render`` counts particles per pixel with ``np.add.at`` into a frame-arena density buffer,
maps the counts through the palette in ``assets/particles/palette.png`` and writes the colours
straight into the window through ``pygame.surfarray.pixels2d``. Frame memory is reset when the
frame ends; a steady-state frame makes no numpy allocation and triggers no GC collection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame

from framealloc_engine import SmartAlloc, tags
from framealloc_engine.app import App, Res, ResMut, Startup, Time, Update, chain
from framealloc_engine.bridge import AllocResource
from framealloc_pygame import FrameClock, Input, Screen

from ._harness import DemoOptions, demo_main
from .assets import load_image, load_json

__all__ = [
    "HEIGHT",
    "WIDTH",
    "Hud",
    "Look",
    "ParticleSim",
    "Settings",
    "build",
    "details",
    "main",
]

WIDTH, HEIGHT = 800, 450
MIB = 1 << 20


@dataclass(frozen=True)
class Settings:
    """Simulation constants (``assets/particles/settings.json``).

    Attributes:
        count: Particles.
        attractors: Moving attractors pulling the particles.
        strength: Attraction: acceleration ``strength * d / (|d|^2 + softening)``.
        softening: Keeps the pull finite near an attractor (pixels squared).
        damping_per_second: Share of its speed a particle keeps after one second.
        max_speed_spawn: Spawn speed scale (pixels per second).
        restitution: Share of its speed a particle keeps when it bounces off an edge.
        hud_every_frames: Frames between updates of the HUD text.
    """

    count: int = 100_000
    attractors: int = 2
    strength: float = 90_000.0
    softening: float = 400.0
    damping_per_second: float = 0.55
    max_speed_spawn: float = 140.0
    restitution: float = 0.6
    hud_every_frames: int = 20

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """The settings asset, with ``overrides`` applied."""
        values = {**load_json("particles", "settings.json"), **overrides}
        return cls(**values)


class ParticleSim:
    """Particle state and the per-frame math.

    The state is one heap block: rows x, y, vx, vy. Constants are 0-d arrays, because a
    Python scalar passed to a ufunc becomes a fresh 0-d array on every call.

    Args:
        alloc: The allocator (the heap block is freed by :meth:`close`).
        settings: Simulation constants.
        seed: Seed of the spawn positions and velocities.
        size: Playfield (width, height) in pixels.
    """

    def __init__(
        self,
        alloc: SmartAlloc | AllocResource,
        settings: Settings,
        seed: int = 1,
        size: tuple[int, int] = (WIDTH, HEIGHT),
    ) -> None:
        self.settings = settings
        self.count = n = settings.count
        self.width, self.height = size
        self._alloc = alloc
        with alloc.with_tag(tags.PHYSICS):
            self.state = alloc.heap_alloc(np.float32, (4, n))
        self.x, self.y, self.vx, self.vy = self.state
        self._spawn(np.random.default_rng(seed))
        f32 = np.float32
        self._zero = np.zeros((), f32)
        self._xmax = np.array(self.width - 1, f32)
        self._ymax = np.array(self.height - 1, f32)
        self._soft = np.array(settings.softening, f32)
        self._bounce = np.array(-settings.restitution, f32)
        self._dt = np.zeros((), f32)
        self._pull = np.zeros((), f32)
        self._damp = np.zeros((), f32)
        self._ax = np.zeros((), f32)
        self._ay = np.zeros((), f32)
        self._row = np.array(self.width, np.intp)
        self._one = np.ones((), np.intp)
        self.elapsed = 0.0
        self.physics_bytes = 0
        self.render_bytes = 0
        self._axes = ((self.x, self.vx, self._xmax), (self.y, self.vy, self._ymax))
        self.attractor_xy: list[list[float]] = [[0.0, 0.0] for _ in range(settings.attractors)]
        self.place_attractors(0.0)

    def _spawn(self, rng: np.random.Generator) -> None:
        """A disc of particles orbiting the centre (startup: numpy may allocate here)."""
        n, cx, cy = self.count, self.width / 2, self.height / 2
        radius = np.sqrt(rng.random(n)) * self.height * 0.45
        angle = rng.random(n) * 2 * np.pi
        self.x[:] = cx + radius * np.cos(angle)
        self.y[:] = cy + radius * np.sin(angle)
        speed = self.settings.max_speed_spawn * (0.5 + rng.random(n))
        self.vx[:] = -np.sin(angle) * speed
        self.vy[:] = np.cos(angle) * speed

    def close(self) -> None:
        """Give the particle state back to the heap."""
        self._alloc.heap_free(self.state)

    def place_attractors(self, t: float, pointer: tuple[int, int] | None = None) -> None:
        """Move the attractors along Lissajous curves (the first one to ``pointer``)."""
        w, h = self.width, self.height
        for i, xy in enumerate(self.attractor_xy):
            phase = i * math.pi
            xy[0] = w / 2 + w * 0.32 * math.sin(0.41 * t + phase)
            xy[1] = h / 2 + h * 0.30 * math.sin(0.67 * t + 0.5 * phase + 0.3)
        if pointer is not None and self.attractor_xy:
            self.attractor_xy[0][0], self.attractor_xy[0][1] = pointer

    def step(self, alloc: SmartAlloc | AllocResource, dt: float) -> None:
        """Integrate one frame of ``dt`` seconds; temporaries come from ``alloc``'s arena."""
        n, f32 = self.count, np.float32
        x, y, vx, vy = self.x, self.y, self.vx, self.vy
        before = alloc.frame_remaining()
        dx = alloc.frame_alloc(f32, n)
        dy = alloc.frame_alloc(f32, n)
        r2 = alloc.frame_alloc(f32, n)
        tmp = alloc.frame_alloc(f32, n)
        hit = alloc.frame_alloc(np.bool_, n)
        out = alloc.frame_alloc(np.bool_, n)
        self._dt.fill(dt)
        self._pull.fill(self.settings.strength * dt)
        self._damp.fill(self.settings.damping_per_second**dt)
        for ax, ay in self.attractor_xy:
            self._ax.fill(ax)
            self._ay.fill(ay)
            np.subtract(self._ax, x, out=dx)
            np.subtract(self._ay, y, out=dy)
            np.multiply(dx, dx, out=r2)
            np.multiply(dy, dy, out=tmp)
            np.add(r2, tmp, out=r2)
            np.add(r2, self._soft, out=r2)
            np.divide(self._pull, r2, out=r2)  # pull * dt / (|d|^2 + softening)
            np.multiply(dx, r2, out=dx)
            np.add(vx, dx, out=vx)
            np.multiply(dy, r2, out=dy)
            np.add(vy, dy, out=vy)
        for pos, vel, top in self._axes:
            np.multiply(vel, self._damp, out=vel)
            np.multiply(vel, self._dt, out=tmp)
            np.add(pos, tmp, out=pos)
            np.less(pos, self._zero, out=hit)
            np.greater(pos, top, out=out)
            np.logical_or(hit, out, out=hit)
            np.multiply(vel, self._bounce, out=vel, where=hit)
            np.maximum(pos, self._zero, out=pos)
            np.minimum(pos, top, out=pos)
        self.elapsed += dt
        self.physics_bytes = before - alloc.frame_remaining()

    def rasterize(
        self, alloc: SmartAlloc | AllocResource, palette: np.ndarray, rows: np.ndarray
    ) -> None:
        """Colour ``rows`` (``(height, width)`` uint32) by particles per pixel.

        Args:
            alloc: Where the index and density temporaries come from.
            palette: Mapped colours; entry k colours a pixel k particles hit (the last
                entry every denser pixel).
            rows: Output pixels, C-contiguous, in the palette's pixel format.
        """
        n = self.count
        before = alloc.frame_remaining()
        xi = alloc.frame_alloc(np.intp, n)
        flat = alloc.frame_alloc(np.intp, n)
        density = alloc.frame_alloc(np.intp, (self.height, self.width))
        np.copyto(xi, self.x, casting="unsafe")
        np.copyto(flat, self.y, casting="unsafe")
        np.multiply(flat, self._row, out=flat)
        np.add(flat, xi, out=flat)
        density.fill(0)
        np.add.at(density.reshape(-1), flat, self._one)
        palette.take(density, out=rows, mode="clip")  # "clip": counts past 255 saturate
        self.render_bytes = before - alloc.frame_remaining()


    def step_plain(self, dt: float) -> None:
        """:meth:`step` written the ordinary numpy way: every expression makes fresh arrays
        (what ``--plain-numpy`` runs; with ``--capture-numpy`` they come from frame memory).
        """
        s = self.settings
        x, y, vx, vy = self.x, self.y, self.vx, self.vy
        for ax, ay in self.attractor_xy:
            dx = ax - x
            dy = ay - y
            pull = (s.strength * dt) / (dx * dx + dy * dy + s.softening)
            vx += dx * pull
            vy += dy * pull
        damp = s.damping_per_second**dt
        for pos, vel, top in ((x, vx, self.width - 1), (y, vy, self.height - 1)):
            vel *= damp
            pos += vel * dt
            hit = (pos < 0) | (pos > top)
            vel[hit] *= -s.restitution
            pos[:] = np.minimum(np.maximum(pos, 0), top)
        self.elapsed += dt

    def rasterize_plain(self, palette: np.ndarray, rows: np.ndarray) -> None:
        """:meth:`rasterize` written the ordinary numpy way (fresh arrays)."""
        flat = self.y.astype(np.intp) * self.width + self.x.astype(np.intp)
        density = np.zeros(self.height * self.width, np.intp)
        np.add.at(density, flat, 1)
        rows[...] = palette[np.minimum(density, 255)].reshape(self.height, self.width)


class Look:
    """What ``render`` draws with: the palette mapped to the window's pixel format and the
    attractor sprite (a resource filled by the ``load_look`` startup system)."""

    def __init__(self) -> None:
        self.palette = np.zeros(256, np.uint32)
        self.sprite: pygame.Surface | None = None


class Hud:
    """The HUD text (rendered only when it changes) and the numbers it shows.

    Attributes:
        lines: Rendered text surfaces, top to bottom.
        frame_bytes: Frame-arena bytes in use (every thread) at the last HUD update.
    """

    def __init__(self, every: int = 20) -> None:
        self.every = max(1, every)
        self.font: pygame.font.Font | None = None
        self.lines: list[pygame.Surface] = []
        self.frame_bytes = 0
        self.countdown = 0


def load_look(screen: Res[Screen], look: ResMut[Look], hud: ResMut[Hud]) -> None:
    """Startup: map the palette asset to the window's format, load the sprite and font."""
    surface = screen.value.surface
    image = load_image("particles", "palette.png", alpha=False)
    rgb = pygame.surfarray.array3d(image)[:, 0, :]
    palette = look.value.palette
    for k in range(min(len(palette), rgb.shape[0])):
        palette[k] = surface.map_rgb(tuple(int(c) for c in rgb[k]))
    look.value.sprite = load_image("particles", "attractor.png")
    hud.value.font = pygame.font.Font(None, 22)


def physics(
    alloc: AllocResource,
    sim: ResMut[ParticleSim],
    time: Time,
    state: Res[Input],
    options: Res[DemoOptions],
) -> None:
    """Move the attractors and integrate the particles (may run on a worker thread)."""
    particles = sim.value
    dt = min(time.delta, 1 / 30)
    pointer = state.value.mouse_pos if 1 in state.value.mouse_pressed else None
    with alloc.phase_scope("physics"), alloc.with_tag(tags.PHYSICS):
        particles.place_attractors(particles.elapsed + dt, pointer)
        if options.value.plain_numpy:
            particles.step_plain(dt)
        else:
            particles.step(alloc, dt)


def render(
    alloc: AllocResource,
    sim: Res[ParticleSim],
    look: Res[Look],
    screen: ResMut[Screen],
    options: Res[DemoOptions],
) -> None:
    """Write the particle colours into the window, then draw the attractors."""
    surface = screen.value.surface
    particles, palette = sim.value, look.value.palette
    with alloc.phase_scope("render"), alloc.with_tag(tags.RENDERING):
        if surface.get_bytesize() == 4 and surface.get_pitch() == 4 * surface.get_width():
            view = pygame.surfarray.pixels2d(surface)  # locks the surface until deleted
            if options.value.plain_numpy:
                particles.rasterize_plain(palette, view.T)
            else:
                particles.rasterize(alloc, palette, view.T)
            del view
        else:  # an unusual display format: go through a frame-arena copy
            rows = alloc.frame_alloc(np.uint32, (particles.height, particles.width))
            particles.rasterize(alloc, palette, rows)
            pygame.surfarray.blit_array(surface, rows.T)
    sprite = look.value.sprite
    if sprite is not None:
        half_w, half_h = sprite.get_width() // 2, sprite.get_height() // 2
        for ax, ay in particles.attractor_xy:
            surface.blit(sprite, (int(ax) - half_w, int(ay) - half_h))


def draw_hud(
    alloc: AllocResource,
    screen: ResMut[Screen],
    hud: ResMut[Hud],
    sim: Res[ParticleSim],
    clock: Res[FrameClock],
) -> None:
    """Particle count, FPS and frame memory; the text is re-rendered every few frames."""
    state = hud.value
    if state.countdown <= 0 and state.font is not None:
        state.countdown = state.every
        particles = sim.value
        state.frame_bytes = alloc.stats().frame_allocated
        fps = clock.value.fps
        texts = (
            f"{particles.count:,} particles   {fps:5.1f} fps",
            f"frame memory {state.frame_bytes / MIB:5.2f} MiB "
            f"(physics {particles.physics_bytes / MIB:.2f}, "
            f"render {particles.render_bytes / MIB:.2f})",
        )
        state.lines = [state.font.render(t, True, (235, 240, 255)) for t in texts]
    state.countdown -= 1
    surface = screen.value.surface
    y = 8
    for line in state.lines:
        surface.blit(line, (10, y))
        y += line.get_height() + 2


def build(app: App, options: DemoOptions) -> None:
    """Add the particle simulation, its look and HUD, and the three systems."""
    settings = Settings.load(**options.extra.get("settings", {}))
    alloc = app.resource(AllocResource)
    app.insert_resource(ParticleSim(alloc, settings, seed=options.seed))
    app.insert_resource(Look())
    app.insert_resource(Hud(settings.hud_every_frames))
    app.add_systems(Startup, load_look)
    app.add_systems(Update, chain(physics, render, draw_hud))


def details(app: App) -> dict[str, Any]:
    """Summary lines: particle count and frame memory."""
    sim = app.resource(ParticleSim)
    return {
        "particles": sim.count,
        "frame memory in use (last HUD update)": f"{app.resource(Hud).frame_bytes} bytes",
        "physics temporaries": f"{sim.physics_bytes} bytes",
        "render temporaries": f"{sim.render_bytes} bytes",
    }


def main(argv: list[str] | None = None) -> int:
    """Command line of every demo (``--headless``, ``--frames N``, ``--screenshot PATH``...)."""
    return demo_main("particles", build, argv, size=(WIDTH, HEIGHT), details=details)


if __name__ == "__main__":
    raise SystemExit(main())
