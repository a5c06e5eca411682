"""The swarm's state and math: numpy only (no arcade), so it is testable anywhere."""

from __future__ import annotations

import math

import numpy as np

from framealloc_engine import SmartAlloc, tags
from framealloc_engine.bridge import AllocResource

__all__ = ["COUNT", "HEIGHT", "LIGHTS", "WIDTH", "Swarm"]

WIDTH, HEIGHT = 800, 450
COUNT = 384
LIGHTS = 3  # two drifting lights and the pointer (while the left button is held)


class Swarm:
    """The fireflies' state (two pool blocks) and one fixed step (frame temporaries).

    Args:
        alloc: The allocator.
        seed: Seed of the spawn positions and of the noise.
        pull: Acceleration towards the nearest light (pixels per second squared).
        jitter: Noise acceleration scale.
        drag: Share of its speed a firefly keeps after one second.
    """

    def __init__(
        self,
        alloc: SmartAlloc | AllocResource,
        seed: int = 1,
        *,
        pull: float = 2600.0,
        jitter: float = 900.0,
        drag: float = 0.35,
    ) -> None:
        self.alloc = alloc
        with alloc.with_tag(tags.PHYSICS):
            self.pos = alloc.pool_alloc(np.float32, (COUNT, 2))  # 3 KiB each: a pool class
            self.vel = alloc.pool_alloc(np.float32, (COUNT, 2))
        self.rng = np.random.default_rng(seed)
        self.pos[:, 0] = self.rng.uniform(0, WIDTH, COUNT)
        self.pos[:, 1] = self.rng.uniform(0, HEIGHT, COUNT)
        self.vel[...] = self.rng.normal(0, 40, (COUNT, 2))
        self.lights = np.zeros((LIGHTS, 2), np.float32)
        self.active = [True, True, False]
        self.pull, self.jitter, self.drag = pull, jitter, drag
        self.steps = 0
        self.step_bytes = 0
        # Constants as 0-d arrays: a Python scalar given to a ufunc becomes a new array.
        self._limits = np.array([WIDTH - 1, HEIGHT - 1], np.float32)
        self._zero = np.zeros((), np.float32)
        self._half = np.array(0.5, np.float32)
        self._big = np.array(np.inf, np.float32)
        self._one = np.ones((), np.float32)
        self._dt = np.zeros((), np.float32)
        self._scale = np.zeros((), np.float32)

    def move_lights(self, seconds: float, pointer: tuple[float, float] | None) -> None:
        """Two lights on slow Lissajous paths; the pointer is the third while held."""
        t = seconds * 0.35
        self.lights[0] = (WIDTH * (0.5 + 0.36 * math.sin(t)),
                          HEIGHT * (0.5 + 0.3 * math.sin(2 * t)))  # fmt: skip
        self.lights[1] = (WIDTH * (0.5 + 0.36 * math.cos(1.3 * t + 2.5)),
                          HEIGHT * (0.5 + 0.3 * math.sin(0.7 * t + 1)))  # fmt: skip
        self.active[2] = pointer is not None
        if pointer is not None:
            self.lights[2] = pointer

    def step(self, dt: float) -> None:
        """One fixed step: pull towards the nearest active light, noise, drag, bounce."""
        alloc = self.alloc
        pos, vel = self.pos, self.vel
        with alloc.phase_scope("physics"), alloc.with_tag(tags.PHYSICS):
            start = alloc.frame_remaining()
            diff = alloc.frame_alloc(np.float32, (LIGHTS, COUNT, 2))
            np.subtract(self.lights[:, None, :], pos[None, :, :], out=diff)
            dist2 = alloc.frame_alloc(np.float32, (LIGHTS, COUNT))
            np.einsum("lnk,lnk->ln", diff, diff, out=dist2)
            for light, on in enumerate(self.active):
                if not on:
                    dist2[light] = self._big
            nearest = alloc.frame_alloc(np.float32, COUNT)
            np.minimum.reduce(dist2, axis=0, out=nearest)
            weight = alloc.frame_alloc(np.float32, (LIGHTS, COUNT))
            np.equal(dist2, nearest, out=weight, casting="unsafe")  # 1.0 for the nearest
            toward = alloc.frame_alloc(np.float32, (COUNT, 2))
            np.einsum("lnk,ln->nk", diff, weight, out=toward)
            np.sqrt(nearest, out=nearest)
            np.maximum(nearest, self._one, out=nearest)
            np.divide(toward, nearest[:, None], out=toward)  # unit vectors
            self._dt[...] = dt
            self._scale[...] = self.pull * dt
            np.multiply(toward, self._scale, out=toward)
            np.add(vel, toward, out=vel)
            noise = alloc.frame_alloc(np.float32, (COUNT, 2))
            self.rng.random(dtype=np.float32, out=noise)
            np.subtract(noise, self._half, out=noise)
            self._scale[...] = self.jitter * dt
            np.multiply(noise, self._scale, out=noise)
            np.add(vel, noise, out=vel)
            self._scale[...] = self.drag**dt
            np.multiply(vel, self._scale, out=vel)
            np.multiply(vel, self._dt, out=toward)
            np.add(pos, toward, out=pos)
            low = alloc.frame_alloc(np.bool_, (COUNT, 2))
            high = alloc.frame_alloc(np.bool_, (COUNT, 2))
            np.less(pos, self._zero, out=low)
            np.greater(pos, self._limits, out=high)
            np.logical_or(low, high, out=low)
            np.negative(vel, out=vel, where=low)
            np.clip(pos, self._zero, self._limits, out=pos)
            self.step_bytes = start - alloc.frame_remaining()
        self.steps += 1

    def close(self) -> None:
        """Give the pool blocks back."""
        self.alloc.pool_free(self.pos)
        self.alloc.pool_free(self.vel)
