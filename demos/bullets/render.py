"""Drawing thousands of bullets without a Python object per bullet.

Ships and enemies are few and are blitted as sprites. Bullets are *stamped*: each bullet
sprite becomes a list of pixel offsets and colours (:class:`Stamp`), and a chunk of bullets
is drawn by two ``np.put`` calls into the canvas' pixels: one compacts the chunk's live
bullets (a running count gives each its row, dead ones go to a spare slot), the second writes
every pixel of every live bullet. All temporaries come from the frame arena.

Example::

    stamp = Stamp.from_surface(load_image("bullets", "bullet_pink.png"), canvas)
    temps = RenderTemps.alloc(alloc, stamp.size)
    draw_bullets(canvas, [(pool, (stamp,))], temps)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pygame

from framealloc_engine import SmartAlloc

from .pools import CHUNK, BulletPool, const

__all__ = ["RenderTemps", "Stamp", "draw_bullets", "draw_pool"]

_ZERO_U2 = const(0, np.uint16)
_ONE_IP = const(1, np.intp)
_SPARE = const(CHUNK, np.intp)


@dataclass(frozen=True)
class Stamp:
    """A sprite as pixel offsets from its centre and the canvas colours of those pixels.

    Attributes:
        offsets: ``dy * width + dx`` of every opaque pixel (``intp``).
        colors: The mapped canvas colour of each (``uint32``).
        radius: Largest ``|dx|``/``|dy|``: bullets are clamped this far from the edges.
    """

    offsets: np.ndarray
    colors: np.ndarray
    radius: int

    @property
    def size(self) -> int:
        """Pixels per bullet."""
        return len(self.offsets)

    @classmethod
    def from_surface(cls, sprite: pygame.Surface, canvas: pygame.Surface) -> Stamp:
        """The opaque pixels (alpha >= 128) of ``sprite`` for drawing on ``canvas``."""
        width = canvas.get_width()
        w, h = sprite.get_size()
        cx, cy = w // 2, h // 2
        offsets: list[int] = []
        colors: list[int] = []
        for y in range(h):
            for x in range(w):
                r, g, b, a = sprite.get_at((x, y))
                if a >= 128:
                    offsets.append((y - cy) * width + (x - cx))
                    colors.append(canvas.map_rgb((r, g, b)))
        radius = max(cx, cy, w - 1 - cx, h - 1 - cy)
        return cls(
            np.asarray(offsets, np.intp), np.asarray(colors, np.uint32), radius
        )


class RenderTemps(NamedTuple):
    """Frame-arena temporaries of :func:`draw_pool`, sized for one chunk."""

    fx: np.ndarray
    fy: np.ndarray
    ix: np.ndarray
    base: np.ndarray
    alive: np.ndarray
    sel: np.ndarray
    unsel: np.ndarray
    rank: np.ndarray
    rank_src: np.ndarray
    compact: np.ndarray
    pixels: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    row: np.ndarray
    sprite: np.ndarray

    @classmethod
    def alloc(cls, alloc: SmartAlloc, max_stamp: int) -> RenderTemps:
        """Take this frame's temporaries from the calling thread's arena."""
        return cls(
            fx=alloc.frame_alloc(np.float32, CHUNK),
            fy=alloc.frame_alloc(np.float32, CHUNK),
            ix=alloc.frame_alloc(np.intp, CHUNK),
            base=alloc.frame_alloc(np.intp, CHUNK),
            alive=alloc.frame_alloc(np.bool_, CHUNK),
            sel=alloc.frame_alloc(np.bool_, CHUNK),
            unsel=alloc.frame_alloc(np.bool_, CHUNK),
            rank=alloc.frame_alloc(np.intp, CHUNK),
            rank_src=alloc.frame_alloc(np.intp, CHUNK),
            compact=alloc.frame_alloc(np.intp, CHUNK + 1),
            pixels=alloc.frame_alloc(np.intp, CHUNK * max_stamp),
            lo=alloc.frame_alloc(np.float32, ()),
            hi=alloc.frame_alloc(np.float32, ()),
            row=alloc.frame_alloc(np.intp, ()),
            sprite=alloc.frame_alloc(np.uint8, ()),
        )


def draw_bullets(
    canvas: pygame.Surface,
    layers: Sequence[tuple[BulletPool, Sequence[Stamp]]],
    temps: RenderTemps,
) -> int:
    """Stamp the bullets of every ``(pool, stamps)`` layer, in order, onto ``canvas``.

    The canvas is locked only inside this call (blit nothing meanwhile).

    Returns:
        Bullets drawn.

    Raises:
        ValueError: the canvas is not a 32-bit surface without row padding.
    """
    if canvas.get_bitsize() != 32 or canvas.get_pitch() != 4 * canvas.get_width():
        raise ValueError("the bullet canvas must be a 32-bit surface without row padding")
    size = canvas.get_size()
    columns = pygame.surfarray.pixels2d(canvas)
    flat = columns.T.reshape(-1)  # a view: rows are contiguous with no padding
    drawn = 0
    try:
        for pool, stamps in layers:
            drawn += draw_pool(flat, pool, stamps, temps, size)
    finally:
        del flat, columns  # unlocks the canvas
    return drawn


def draw_pool(
    flat: np.ndarray,
    pool: BulletPool,
    stamps: Sequence[Stamp],
    temps: RenderTemps,
    size: tuple[int, int],
) -> int:
    """Stamp every live bullet of ``pool``; ``stamps[b.sprite]`` is its look.

    Returns:
        Bullets drawn.
    """
    width, height = size
    t = temps
    drawn = 0
    t.row.fill(width)
    by_sprite = len(stamps) > 1
    margin = max(s.radius for s in stamps)
    for index in range(len(pool.chunks)):
        if not pool.live[index]:
            continue
        chunk = pool.fields(index)
        t.lo.fill(margin)
        t.hi.fill(width - 1 - margin)
        np.clip(chunk.pos[:, 0], t.lo, t.hi, out=t.fx)
        t.hi.fill(height - 1 - margin)
        np.clip(chunk.pos[:, 1], t.lo, t.hi, out=t.fy)
        np.copyto(t.ix, t.fx, casting="unsafe")
        np.copyto(t.base, t.fy, casting="unsafe")
        np.multiply(t.base, t.row, out=t.base)
        np.add(t.base, t.ix, out=t.base)
        np.greater(chunk.ttl, _ZERO_U2, out=t.alive)
        for sprite, stamp in enumerate(stamps):
            if by_sprite:
                t.sprite.fill(sprite)
                np.equal(chunk.sprite, t.sprite, out=t.sel)
                np.logical_and(t.sel, t.alive, out=t.sel)
                sel = t.sel
            else:
                sel = t.alive
            n = int(np.count_nonzero(sel))
            if not n:
                continue
            _compact(sel, t)
            pixels = t.pixels[: n * stamp.size].reshape(n, stamp.size)
            np.add(t.compact[:n, None], stamp.offsets, out=pixels)
            np.put(flat, pixels, stamp.colors)  # colours repeat bullet after bullet
            drawn += n
    return drawn


def _compact(sel: np.ndarray, t: RenderTemps) -> None:
    """``t.compact[:n]`` = ``t.base`` of the selected slots, in order, without nonzero()."""
    np.copyto(t.rank_src, sel, casting="unsafe")
    np.cumsum(t.rank_src, out=t.rank)
    np.subtract(t.rank, _ONE_IP, out=t.rank)
    np.logical_not(sel, out=t.unsel)
    np.copyto(t.rank, _SPARE, where=t.unsel)
    np.put(t.compact, t.rank, t.base)
