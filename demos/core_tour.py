"""Core tour: a particle fountain whose per-frame temporaries all live in the frame arena.

Run ``python -m demos.core_tour --headless --frames 300`` (no window; prints a frame summary)
or without ``--headless`` to watch it in a pygame-ce window.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field

import numpy as np

from framealloc_engine import AllocConfig, SmartAlloc, tags

WIDTH, HEIGHT = 640, 360
GRAVITY = np.float32(240.0)


@dataclass
class Fountain:
    """Particle state that persists across frames (positions and velocities)."""

    count: int
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(7))

    def __post_init__(self) -> None:
        self.pos = np.zeros((self.count, 2), np.float32)
        self.vel = np.zeros((self.count, 2), np.float32)
        self.respawn(np.ones(self.count, bool))

    def respawn(self, mask: np.ndarray) -> None:
        """Put the masked particles back at the nozzle with a fresh random velocity."""
        n = int(mask.sum())
        self.pos[mask] = (WIDTH / 2, HEIGHT - 10)
        self.vel[mask, 0] = self.rng.normal(0.0, 60.0, n)
        self.vel[mask, 1] = -self.rng.uniform(180.0, 320.0, n)


def step(alloc: SmartAlloc, fountain: Fountain, dt: float) -> np.ndarray:
    """Advance one frame; returns frame-arena pixel coordinates of the live particles."""
    n = fountain.count
    with alloc.phase_scope("physics"), alloc.with_tag(tags.PHYSICS):
        delta = alloc.frame_alloc(np.float32, (n, 2))
        np.multiply(fountain.vel, np.float32(dt), out=delta)
        np.add(fountain.pos, delta, out=fountain.pos)
        fountain.vel[:, 1] += GRAVITY * np.float32(dt)
        out_of_bounds = alloc.frame_alloc(np.bool_, n)
        np.greater(fountain.pos[:, 1], HEIGHT, out=out_of_bounds)
        fountain.respawn(out_of_bounds)
    with alloc.phase_scope("render"), alloc.with_tag(tags.RENDERING):
        pixels = alloc.frame_alloc(np.int32, (n, 2))
        np.clip(fountain.pos, 0, (WIDTH - 1, HEIGHT - 1), out=fountain.pos)
        pixels[...] = fountain.pos
    return pixels


def run(frames: int, headless: bool, count: int = 20_000) -> dict[str, float]:
    """Run the fountain for ``frames`` frames; returns the frame summary it prints."""
    alloc = SmartAlloc(AllocConfig().with_frame_arena_size(4 * 1024 * 1024))
    fountain = Fountain(count)
    screen = None
    if not headless:
        import pygame

        from framealloc_pygame import init_display

        init_display()  # display and font only: no audio device, no ALSA noise
        screen = pygame.display.set_mode((WIDTH, HEIGHT))
        pygame.display.set_caption("framealloc-engine: core tour")
    times = []
    frame_bytes = 0
    for _ in range(frames):
        start = time.perf_counter()
        frame_bytes = _frame(alloc, fountain, screen)
        times.append(time.perf_counter() - start)
        if screen is not None and _quit_requested():
            break
    stats = alloc.stats()
    phases = alloc.phase_stats()
    summary = {
        "frames": float(len(times)),
        "particles": float(count),
        "p50_ms": float(np.percentile(times, 50) * 1e3),
        "p99_ms": float(np.percentile(times, 99) * 1e3),
        "frame_bytes": float(frame_bytes),
        "physics_bytes": float(phases["physics"].frame_bytes),
        "render_bytes": float(phases["render"].frame_bytes),
        "allocations": float(stats.allocation_count),
        "live_after": float(stats.active_allocations),
    }
    print(
        f"core tour: {len(times)} frames, {count} particles, frame time p50 "
        f"{summary['p50_ms']:.2f} ms / p99 {summary['p99_ms']:.2f} ms\n"
        f"  frame memory per frame: {frame_bytes} bytes "
        f"(physics {phases['physics'].frame_bytes}, render {phases['render'].frame_bytes})\n"
        f"  allocations: {stats.allocation_count}, still live after the last frame: "
        f"{stats.active_allocations}"
    )
    return summary


def _frame(alloc: SmartAlloc, fountain: Fountain, screen: object | None) -> int:
    """One frame; returns the frame bytes in use before it ends.

    A function, not a loop body: its frame arrays are gone when it returns, so none is
    still referenced at ``end_frame`` (the arena then hands the same views out next frame).
    """
    with alloc.frame_scope():
        pixels = step(alloc, fountain, 1 / 60)
        if screen is not None:
            _draw(screen, pixels)
        del pixels
        return alloc.stats().frame_allocated


def _draw(screen: object, pixels: np.ndarray) -> None:
    import pygame

    surface = screen  # a pygame.Surface
    surface.fill((12, 12, 28))  # type: ignore[attr-defined]
    view = pygame.surfarray.pixels2d(surface)
    view[pixels[:, 0], pixels[:, 1]] = 0x66CCFF
    del view
    pygame.display.flip()


def _quit_requested() -> bool:
    import pygame

    return any(event.type == pygame.QUIT for event in pygame.event.get())


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--headless``, ``--frames N``, ``--particles N``."""
    parser = argparse.ArgumentParser(prog="python -m demos.core_tour", description=__doc__)
    parser.add_argument("--headless", action="store_true", help="no window")
    parser.add_argument("--frames", type=int, default=300, help="frames to run")
    parser.add_argument("--particles", type=int, default=20_000)
    args = parser.parse_args(argv)
    run(args.frames, args.headless, args.particles)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
