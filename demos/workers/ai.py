"""AI: steering from a snapshot of the bodies. Prey flock (cohesion, alignment, separation)
and flee the nearest hunter; hunters chase the nearest prey, a little ahead of it, and keep
apart. Allocation-free like :mod:`demos.workers.physics`.
"""

from __future__ import annotations

import numpy as np

from framealloc_engine import SmartAlloc

from .state import BLOCK, ArenaConfig, Brains, SimConstants, diagonal

__all__ = ["ai_step"]

_add_reduce = np.add.reduce


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
            diagonal(d2, i0, p, rows).fill(1e12)
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
            diagonal(d2, i0 - p, h, rows).fill(1e12)
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
