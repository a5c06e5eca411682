"""The workers demo's simulation: blocked all-pairs physics and AI in numpy, allocation-free.

Agents are prey (indices ``[0, prey)``) and hunters (``[prey, n)``); positions and
velocities are the rows of one ``(4, n)`` float32 array (``x, y, vx, vy``) in heap memory.

* :func:`physics_step` integrates the AI's steering, bounces off walls and obstacles,
  separates overlapping agents (all pairs, ``BLOCK`` rows at a time), counts contacts and
  respawns prey that a hunter touched.
* :func:`ai_step` reads a snapshot of the bodies and computes each agent's steering: prey
  flock (cohesion, alignment, separation) and flee the nearest hunter; hunters chase the
  nearest prey and keep apart.

Every temporary is a frame allocation of the calling thread, every numpy call writes through
``out=``, and every constant is a 0-d array (:class:`SimConstants`), so a step makes no numpy
allocation at all; the heavy calls are large ufunc loops that release the GIL, which is what
lets the two steps run in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from demos.workers.consts import ConstantPool
from framealloc_engine import SmartAlloc

__all__ = [
    "BLOCK",
    "ArenaConfig",
    "Bodies",
    "Brains",
    "SimConstants",
    "ai_step",
    "physics_step",
]

#: Rows per block of the all-pairs loops (bounds the frame temporaries).
BLOCK = 128
_add_reduce = np.add.reduce


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


def _diagonal(block: np.ndarray, first: int, cols: int, rows: int) -> np.ndarray:
    """The entries ``(k, first + k)`` of a contiguous ``(rows, cols)`` block (a view)."""
    flat = block.reshape(-1)
    return flat[first : rows * cols : cols + 1]


def _bounce(
    p: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray, t: np.ndarray, mask: np.ndarray
) -> None:
    """Reflect agents off the walls at ``lo`` and ``hi``."""
    np.less(p, lo, out=mask)
    np.abs(v, out=t)
    np.copyto(v, t, where=mask)
    np.greater(p, hi, out=mask)
    np.negative(t, out=t)
    np.copyto(v, t, where=mask)
    np.clip(p, lo, hi, out=p)


def _obstacle(
    b: Bodies,
    ox: np.ndarray,
    oy: np.ndarray,
    reach: np.ndarray,
    t: list[np.ndarray],
    inside: np.ndarray,
    outside: np.ndarray,
) -> None:
    """Push agents out of a circle and remove their inward velocity."""
    k = b.consts
    nx, ny, d, vn = t
    np.subtract(b.x, ox, out=nx)
    np.subtract(b.y, oy, out=ny)
    np.hypot(nx, ny, out=d)
    np.maximum(d, k.tiny, out=d)
    np.less(d, reach, out=inside)
    np.logical_not(inside, out=outside)
    np.divide(nx, d, out=nx)  # outward normal
    np.divide(ny, d, out=ny)
    # inward speed: min(0, v . n), only inside
    np.multiply(b.vx, nx, out=vn)
    np.multiply(b.vy, ny, out=d)
    np.add(vn, d, out=vn)
    np.minimum(vn, k.zero, out=vn)
    np.copyto(vn, k.zero, where=outside)
    np.multiply(nx, vn, out=d)
    np.subtract(b.vx, d, out=b.vx)
    np.multiply(ny, vn, out=d)
    np.subtract(b.vy, d, out=b.vy)
    np.multiply(nx, reach, out=nx)
    np.add(nx, ox, out=nx)
    np.copyto(b.x, nx, where=inside)
    np.multiply(ny, reach, out=ny)
    np.add(ny, oy, out=ny)
    np.copyto(b.y, ny, where=inside)


def physics_step(
    alloc: SmartAlloc, cfg: ArenaConfig, b: Bodies, steer: np.ndarray | None
) -> np.ndarray:
    """Advance the bodies one step.

    Args:
        alloc: Allocator (frame temporaries come from the calling thread's arena).
        cfg: The arena.
        b: The bodies, updated in place.
        steer: ``(2, n)`` float32 accelerations from the AI, or None.

    Returns:
        ``(n,)`` float32 frame array: each agent's contact count this step.
    """
    n, p = cfg.n, cfg.prey
    k = b.consts
    x, y, vx, vy = b.x, b.y, b.vx, b.vy
    t0 = alloc.frame_alloc(np.float32, n)
    t1 = alloc.frame_alloc(np.float32, n)
    t2 = alloc.frame_alloc(np.float32, n)
    t3 = alloc.frame_alloc(np.float32, n)
    mask = alloc.frame_alloc(np.bool_, n)
    other = alloc.frame_alloc(np.bool_, n)
    if steer is not None:
        np.multiply(steer[0], k.dt, out=t0)
        np.add(vx, t0, out=vx)
        np.multiply(steer[1], k.dt, out=t0)
        np.add(vy, t0, out=vy)
    # speed limit: v *= min(1, vmax / |v|)
    np.hypot(vx, vy, out=t0)
    np.maximum(t0, k.tiny, out=t0)
    np.divide(b.vmax, t0, out=t0)
    np.minimum(t0, k.one, out=t0)
    np.multiply(vx, t0, out=vx)
    np.multiply(vy, t0, out=vy)
    np.multiply(vx, k.dt, out=t0)
    np.add(x, t0, out=x)
    np.multiply(vy, k.dt, out=t0)
    np.add(y, t0, out=y)
    scratch = [t0, t1, t2, t3]
    for ox, oy, reach in k.obstacles:
        _obstacle(b, ox, oy, reach, scratch, mask, other)
    _bounce(x, vx, k.lo_x, k.hi_x, t0, mask)
    _bounce(y, vy, k.lo_y, k.hi_y, t0, mask)

    # all pairs, BLOCK rows at a time: separation push, contacts, catches
    dxb = alloc.frame_alloc(np.float32, (BLOCK, n))
    dyb = alloc.frame_alloc(np.float32, (BLOCK, n))
    d2b = alloc.frame_alloc(np.float32, (BLOCK, n))
    wb = alloc.frame_alloc(np.float32, (BLOCK, n))
    push_x, push_y, contacts = t0, t1, t2
    caught = alloc.frame_alloc(np.float32, p)
    caught_rows = alloc.frame_alloc(np.float32, p)
    caught.fill(0.0)
    for i0 in range(0, n, BLOCK):
        i1 = min(n, i0 + BLOCK)
        rows = i1 - i0
        dx, dy, d2, w = dxb[:rows], dyb[:rows], d2b[:rows], wb[:rows]
        np.subtract(x[i0:i1, None], x[None, :], out=dx)  # x_i - x_j
        np.subtract(y[i0:i1, None], y[None, :], out=dy)
        np.multiply(dx, dx, out=d2)  # (np.hypot is several times slower)
        np.multiply(dy, dy, out=w)
        np.add(d2, w, out=d2)
        np.sqrt(d2, out=d2)
        np.maximum(d2, k.tiny, out=d2)  # two agents on one spot: no division by zero
        _diagonal(d2, i0, n, rows).fill(1e12)  # not oneself
        # w = max(0, contact / d - 1): half of it moves each agent out of the overlap
        np.divide(k.contact, d2, out=w)
        np.subtract(w, k.one, out=w)
        np.maximum(w, k.zero, out=w)
        np.multiply(dx, w, out=dx)
        _add_reduce(dx, axis=1, out=push_x[i0:i1])
        np.multiply(dy, w, out=dy)
        _add_reduce(dy, axis=1, out=push_y[i0:i1])
        np.sign(w, out=w)
        _add_reduce(w, axis=1, out=contacts[i0:i1])
        if i1 > p:  # hunter rows touching prey columns catch them
            h0 = max(0, p - i0)
            np.maximum.reduce(w[h0:rows, :p], axis=0, out=caught_rows)
            np.maximum(caught, caught_rows, out=caught)
    np.multiply(push_x, k.half, out=push_x)
    np.add(x, push_x, out=x)
    np.multiply(push_y, k.half, out=push_y)
    np.add(y, push_y, out=y)
    # caught prey reappear half an arena away, at rest
    got = mask[:p]
    np.greater(caught, k.zero, out=got)
    caught_now = int(np.count_nonzero(got))
    if caught_now:
        shifted = t3[:p]
        np.add(x[:p], k.half_width, out=shifted)
        np.remainder(shifted, k.width, out=shifted)
        np.copyto(x[:p], shifted, where=got)
        np.add(y[:p], k.half_height, out=shifted)
        np.remainder(shifted, k.height, out=shifted)
        np.copyto(y[:p], shifted, where=got)
        np.copyto(vx[:p], k.zero, where=got)
        np.copyto(vy[:p], k.zero, where=got)
    b.catches += caught_now
    _add_reduce(contacts, out=b.total)
    b.contact_count = int(b.total)
    np.copyto(b.contacts, contacts)
    b.steps += 1
    return contacts


def ai_step(
    alloc: SmartAlloc,
    cfg: ArenaConfig,
    snap: np.ndarray,
    brains: Brains,
    time: float,
    steer: np.ndarray,
) -> None:
    """Compute every agent's steering from a snapshot of the bodies.

    Args:
        alloc: Allocator (frame temporaries come from the calling thread's arena).
        cfg: The arena.
        snap: ``(4, n)`` float32 ``x, y, vx, vy`` as physics left them.
        brains: The AI's state, updated in place.
        time: Seconds of simulated time (drives the wander term).
        steer: ``(2, n)`` float32 output accelerations.
    """
    n, p, h = cfg.n, cfg.prey, cfg.hunters
    k = brains.consts
    x, y, vx, vy = snap
    ax, ay = steer
    ta = alloc.frame_alloc(np.float32, n)
    tb = alloc.frame_alloc(np.float32, n)
    tc = alloc.frame_alloc(np.float32, n)
    td = alloc.frame_alloc(np.float32, n)
    idx = alloc.frame_alloc(np.intp, n)
    now = alloc.frame_alloc(np.float32, ())
    now.fill(time)
    # wander: a slowly turning heading per agent
    np.multiply(now, k.wander_rate, out=now)
    np.add(brains.phase, now, out=ta)
    np.cos(ta, out=ax)
    np.sin(ta, out=ay)
    np.multiply(ax, k.wander, out=ax)
    np.multiply(ay, k.wander, out=ay)
    # pair blocks: against prey (BLOCK, p) and against hunters (BLOCK, h)
    pair_p = [alloc.frame_alloc(np.float32, (BLOCK, p)) for _ in range(5)]  # fa: allow FA602 - 5
    pair_h = [alloc.frame_alloc(np.float32, (BLOCK, h)) for _ in range(4)]  # fa: allow FA602 - 4
    px, py, pvx, pvy = x[:p], y[:p], vx[:p], vy[:p]
    hx, hy = x[p:], y[p:]
    i0 = 0
    while i0 < n:
        i1 = min(n, i0 + BLOCK, p if i0 < p else n)  # never straddle prey and hunters
        rows = i1 - i0
        xi, yi = x[i0:i1, None], y[i0:i1, None]
        sx, sy, tmp = ta[i0:i1], tb[i0:i1], tc[i0:i1]
        # offsets to every prey (x_j - x_i) and their squared distances
        dx, dy, d2, w, m = (a[:rows] for a in pair_p)
        np.subtract(px[None, :], xi, out=dx)
        np.subtract(py[None, :], yi, out=dy)
        np.multiply(dx, dx, out=d2)
        np.multiply(dy, dy, out=w)
        np.add(d2, w, out=d2)
        if i0 < p:
            _diagonal(d2, i0, p, rows).fill(1e12)
            _flock(k, i0, i1, dx, dy, d2, w, m, pvx, pvy, ax, ay, (sx, sy, tmp, td[i0:i1]))
        else:
            _chase(
                k,
                i0 - p,
                brains,
                d2,
                px,
                py,
                pvx,
                pvy,
                x[i0:i1],
                y[i0:i1],
                idx[i0:i1],
                (sx, sy, tmp),
                ax[i0:i1],
                ay[i0:i1],
            )
        # against hunters: prey flee the nearest, hunters keep apart
        dx, dy, d2, w = (a[:rows] for a in pair_h)
        np.subtract(hx[None, :], xi, out=dx)
        np.subtract(hy[None, :], yi, out=dy)
        np.multiply(dx, dx, out=d2)
        np.multiply(dy, dy, out=w)
        np.add(d2, w, out=d2)
        if i0 >= p:
            _diagonal(d2, i0 - p, h, rows).fill(1e12)
            _separate(k, d2, dx, dy, w, ax[i0:i1], ay[i0:i1], sx, sy, (dx, dy))
        else:
            _flee(
                k,
                brains.alarm[i0:i1],
                d2,
                hx,
                hy,
                x[i0:i1],
                y[i0:i1],
                idx[i0:i1],
                (sx, sy, tmp, td[i0:i1]),
                ax[i0:i1],
                ay[i0:i1],
            )
        i0 = i1
    _clamp(ax, ay, k.max_accel, k.tiny, k.one, ta)
    brains.alarmed = int(np.count_nonzero(brains.alarm))
    brains.steps += 1


def _flock(
    k: SimConstants,
    i0: int,
    i1: int,
    dx: np.ndarray,
    dy: np.ndarray,
    d2: np.ndarray,
    w: np.ndarray,
    m: np.ndarray,
    pvx: np.ndarray,
    pvy: np.ndarray,
    ax: np.ndarray,
    ay: np.ndarray,
    t: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Prey rows ``[i0, i1)``: separation, cohesion and alignment with nearby prey."""
    sx, sy, cnt, tmp = t
    _separate(k, d2, dx, dy, w, ax[i0:i1], ay[i0:i1], sx, sy, (m, m))
    # view weights: max(0, 1 - d^2 / view^2)
    np.multiply(d2, k.inv_view, out=w)
    np.subtract(k.one, w, out=w)
    np.maximum(w, k.zero, out=w)
    _add_reduce(w, axis=1, out=cnt)
    np.add(cnt, k.one, out=cnt)
    for offsets, vel, acc in ((dx, pvx, ax), (dy, pvy, ay)):
        # cohesion: weighted mean offset to the neighbours
        np.multiply(offsets, w, out=m)
        _add_reduce(m, axis=1, out=tmp)
        np.divide(tmp, cnt, out=tmp)
        np.multiply(tmp, k.cohesion, out=tmp)
        np.add(acc[i0:i1], tmp, out=acc[i0:i1])
        # alignment: weighted mean velocity difference
        np.multiply(w, vel[None, :], out=m)
        _add_reduce(m, axis=1, out=tmp)
        np.divide(tmp, cnt, out=tmp)
        np.subtract(tmp, vel[i0:i1], out=tmp)
        np.multiply(tmp, k.alignment, out=tmp)
        np.add(acc[i0:i1], tmp, out=acc[i0:i1])


def _separate(
    k: SimConstants,
    d2: np.ndarray,
    dx: np.ndarray,
    dy: np.ndarray,
    w: np.ndarray,
    ax: np.ndarray,
    ay: np.ndarray,
    sx: np.ndarray,
    sy: np.ndarray,
    scratch: tuple[np.ndarray, np.ndarray],
) -> None:
    """Steer away from neighbours closer than the separation radius (``scratch`` may be
    ``(dx, dy)`` themselves when they are not needed afterwards)."""
    np.multiply(d2, k.inv_sep, out=w)
    np.subtract(k.one, w, out=w)
    np.maximum(w, k.zero, out=w)
    np.multiply(dx, w, out=scratch[0])
    _add_reduce(scratch[0], axis=1, out=sx)
    np.multiply(dy, w, out=scratch[1])
    _add_reduce(scratch[1], axis=1, out=sy)
    np.multiply(sx, k.separation, out=sx)
    np.multiply(sy, k.separation, out=sy)
    np.add(ax, sx, out=ax)
    np.add(ay, sy, out=ay)


def _chase(
    k: SimConstants,
    first: int,
    brains: Brains,
    d2: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    pvx: np.ndarray,
    pvy: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    target: np.ndarray,
    t: tuple[np.ndarray, np.ndarray, np.ndarray],
    ax: np.ndarray,
    ay: np.ndarray,
) -> None:
    """Hunter rows chase the nearest prey, aiming a little ahead of it."""
    sx, sy, tmp = t
    np.argmin(d2, axis=1, out=target)
    brains.target[first : first + len(target)] = target
    for pos, vel, out, mine in ((px, pvx, sx, x), (py, pvy, sy, y)):
        np.take(pos, target, out=out, mode="clip")
        np.take(vel, target, out=tmp, mode="clip")
        np.multiply(tmp, k.lead, out=tmp)
        np.add(out, tmp, out=out)
        np.subtract(out, mine, out=out)
    _normalize(sx, sy, k.chase, k.tiny, tmp)
    np.add(ax, sx, out=ax)
    np.add(ay, sy, out=ay)


def _flee(
    k: SimConstants,
    alarm: np.ndarray,
    d2: np.ndarray,
    hx: np.ndarray,
    hy: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    nearest: np.ndarray,
    t: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ax: np.ndarray,
    ay: np.ndarray,
) -> None:
    """Prey rows run from their nearest hunter when it is close."""
    fx, fy, weight, tmp = t
    np.argmin(d2, axis=1, out=nearest)
    np.minimum.reduce(d2, axis=1, out=weight)
    np.take(hx, nearest, out=fx, mode="clip")
    np.subtract(x, fx, out=fx)
    np.take(hy, nearest, out=fy, mode="clip")
    np.subtract(y, fy, out=fy)
    # weight: flee * max(0, 1 - d^2 / flee^2)
    np.multiply(weight, k.inv_flee, out=weight)
    np.subtract(k.one, weight, out=weight)
    np.maximum(weight, k.zero, out=weight)
    np.greater(weight, k.zero, out=alarm)
    np.multiply(weight, k.flee, out=weight)
    _normalize(fx, fy, weight, k.tiny, tmp)
    np.add(ax, fx, out=ax)
    np.add(ay, fy, out=ay)


def _normalize(
    ax: np.ndarray, ay: np.ndarray, scale: np.ndarray, tiny: np.ndarray, t: np.ndarray
) -> None:
    """``(ax, ay) *= scale / |(ax, ay)|`` in place."""
    np.hypot(ax, ay, out=t)
    np.maximum(t, tiny, out=t)
    np.divide(scale, t, out=t)
    np.multiply(ax, t, out=ax)
    np.multiply(ay, t, out=ay)


def _clamp(
    ax: np.ndarray,
    ay: np.ndarray,
    limit: np.ndarray,
    tiny: np.ndarray,
    one: np.ndarray,
    t: np.ndarray,
) -> None:
    """Clamp each ``(ax, ay)`` to length ``limit``."""
    np.hypot(ax, ay, out=t)
    np.maximum(t, tiny, out=t)
    np.divide(limit, t, out=t)
    np.minimum(t, one, out=t)
    np.multiply(ax, t, out=ax)
    np.multiply(ay, t, out=ay)
