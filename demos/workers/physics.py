"""Physics: integrate the AI's steering, bounce off walls and obstacles, separate
overlapping agents (all pairs, ``BLOCK`` rows at a time), count contacts, respawn caught prey.

Every temporary is a frame allocation of the calling thread and every numpy call writes
through ``out=`` with 0-d constants, so a step makes no numpy allocation; the all-pairs
ufunc loops are large enough to release the GIL, which lets physics run in parallel with AI.
"""

from __future__ import annotations

import numpy as np

from framealloc_engine import SmartAlloc

from .state import BLOCK, ArenaConfig, Bodies, diagonal

__all__ = ["physics_step"]

_add_reduce = np.add.reduce


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
        diagonal(d2, i0, n, rows).fill(1e12)  # not oneself
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
