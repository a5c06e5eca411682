"""The workers demo's state: the arena (from its asset), the constants, bodies and brains.

Agents are prey (indices ``[0, prey)``) and hunters (``[prey, n)``); positions and
velocities are the rows of one ``(4, n)`` float32 array (``x, y, vx, vy``) in heap memory.
Every constant the kernels use is a 0-d array (:class:`SimConstants`): a ufunc turns a scalar
operand into a new 0-d array on every call, so scalars would be numpy allocations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from framealloc_engine import SmartAlloc

from .consts import ConstantPool

__all__ = ["BLOCK", "ArenaConfig", "Bodies", "Brains", "SimConstants", "diagonal"]

#: Rows per block of the all-pairs loops (bounds the frame temporaries).
BLOCK = 128


@dataclass(frozen=True)
class ArenaConfig:
    """The arena and the agents' tuning (from ``assets/workers/arena.json``).

    Attributes:
        width: Arena width, pixels.
        height: Arena height, pixels.
        prey: Number of prey.
        hunters: Number of hunters.
        radius: Agent radius, pixels.
        prey_speed: Prey top speed, pixels per second.
        hunter_speed: Hunter top speed.
        view_radius: Prey flock with prey this close.
        separation_radius: Agents steer apart closer than this.
        flee_radius: Prey flee hunters this close.
        max_accel: Steering is clamped to this, pixels per second squared.
        obstacles: ``(x, y, r)`` circles agents cannot enter.
        colors: Named RGB colours (floor, grid, obstacle, obstacle_rim).
    """

    width: int
    height: int
    prey: int
    hunters: int
    radius: float
    prey_speed: float
    hunter_speed: float
    view_radius: float
    separation_radius: float
    flee_radius: float
    max_accel: float
    obstacles: tuple[tuple[float, float, float], ...]
    colors: dict[str, tuple[int, int, int]]

    @property
    def n(self) -> int:
        """Number of agents."""
        return self.prey + self.hunters

    @classmethod
    def from_json(cls, meta: dict[str, Any], **overrides: Any) -> ArenaConfig:
        """Build from the arena asset; ``overrides`` replace fields (``prey=200``)."""
        fields: dict[str, Any] = {
            "width": int(meta["width"]),
            "height": int(meta["height"]),
            "prey": int(meta["prey"]),
            "hunters": int(meta["hunters"]),
            "radius": float(meta["radius"]),
            "prey_speed": float(meta["prey_speed"]),
            "hunter_speed": float(meta["hunter_speed"]),
            "view_radius": float(meta["view_radius"]),
            "separation_radius": float(meta["separation_radius"]),
            "flee_radius": float(meta["flee_radius"]),
            "max_accel": float(meta["max_accel"]),
            "obstacles": tuple((float(x), float(y), float(r)) for x, y, r in meta["obstacles"]),
            "colors": {
                k: (int(meta[k][0]), int(meta[k][1]), int(meta[k][2]))
                for k in ("floor", "grid", "obstacle", "obstacle_rim")
            },
        }
        fields.update(overrides)
        if fields["prey"] < 1 or fields["hunters"] < 1:
            raise ValueError("the arena needs at least one prey and one hunter")
        return cls(**fields)


class SimConstants:
    """Every constant the kernels use, as 0-d float32 arrays (see :mod:`.consts`).

    Args:
        alloc: Owns the constants' heap block.
        cfg: The arena.
        dt: Seconds per step.
    """

    def __init__(self, alloc: SmartAlloc, cfg: ArenaConfig, dt: float) -> None:
        pool = ConstantPool(alloc, np.float32)
        k = pool.const
        r = cfg.radius
        self.zero, self.one, self.half = k(0.0), k(1.0), k(0.5)
        self.tiny, self.big = k(1e-3), k(1e12)
        self.dt = k(dt)
        self.contact = k(2 * r)
        self.lo_x, self.hi_x = k(r), k(cfg.width - r)
        self.lo_y, self.hi_y = k(r), k(cfg.height - r)
        self.width, self.height = k(cfg.width), k(cfg.height)
        self.half_width, self.half_height = k(cfg.width / 2), k(cfg.height / 2)
        self.obstacles = [(k(x), k(y), k(rad + r)) for x, y, rad in cfg.obstacles]
        self.inv_view = k(1.0 / cfg.view_radius**2)
        self.inv_sep = k(1.0 / cfg.separation_radius**2)
        self.inv_flee = k(1.0 / cfg.flee_radius**2)
        self.max_accel = k(cfg.max_accel)
        self.wander = k(40.0)
        self.wander_rate = k(0.9)
        self.cohesion = k(1.1)
        self.alignment = k(1.6)
        self.separation = k(-160.0)
        self.flee = k(420.0)
        self.chase = k(320.0)
        self.lead = k(0.25)


class Bodies:
    """Positions and velocities (physics writes them; a resource).

    Args:
        alloc: The demo's allocator (state lives in its heap).
        cfg: The arena.
        seed: Seeds the starting positions and headings.
        dt: Seconds per physics step.
    """

    def __init__(self, alloc: SmartAlloc, cfg: ArenaConfig, seed: int, dt: float) -> None:
        n = cfg.n
        self.consts = SimConstants(alloc, cfg, dt)
        self.state = alloc.heap_alloc(np.float32, (4, n))
        self.x, self.y, self.vx, self.vy = self.state
        self.vmax = alloc.heap_alloc(np.float32, n)
        self.vmax[: cfg.prey] = cfg.prey_speed
        self.vmax[cfg.prey :] = cfg.hunter_speed
        self.contacts = alloc.heap_alloc(np.float32, n)
        self.contacts.fill(0.0)
        self.total = alloc.heap_alloc(np.float32, ())
        rng = np.random.default_rng(seed)
        margin = 4 * cfg.radius
        xs = rng.uniform(margin, cfg.width - margin, n * 4)
        ys = rng.uniform(margin, cfg.height - margin, n * 4)
        free = np.ones(n * 4, bool)
        for ox, oy, r in cfg.obstacles:
            free &= np.hypot(xs - ox, ys - oy) > r + margin
        self.x[...] = xs[free][:n]
        self.y[...] = ys[free][:n]
        heading = rng.uniform(0.0, 2 * np.pi, n)
        self.vx[...] = np.cos(heading) * self.vmax * 0.5
        self.vy[...] = np.sin(heading) * self.vmax * 0.5
        #: Prey caught so far; contacts last step (each pair counted from both sides).
        self.catches = 0
        self.contact_count = 0
        self.steps = 0


class Brains:
    """The AI's own state (a resource).

    Attributes:
        alarm: ``(n,)`` bool, prey that saw a hunter last step.
        target: ``(hunters,)`` intp, the prey each hunter chases.
        phase: ``(n,)`` float32, per-agent wander phase.
        consts: The kernels' constants (the AI's own copy: it runs on another thread).
    """

    def __init__(self, alloc: SmartAlloc, cfg: ArenaConfig, seed: int, dt: float) -> None:
        self.consts = SimConstants(alloc, cfg, dt)
        self.alarm = alloc.heap_alloc(np.bool_, cfg.n)
        self.alarm.fill(False)
        self.target = alloc.heap_alloc(np.intp, cfg.hunters)
        self.target.fill(0)
        self.phase = alloc.heap_alloc(np.float32, cfg.n)
        self.phase[...] = np.random.default_rng(seed + 1).uniform(0, 2 * np.pi, cfg.n)
        self.steps = 0
        self.alarmed = 0


def diagonal(block: np.ndarray, first: int, cols: int, rows: int) -> np.ndarray:
    """The entries ``(k, first + k)`` of a contiguous ``(rows, cols)`` block (a view)."""
    flat = block.reshape(-1)
    return flat[first : rows * cols : cols + 1]
