"""``StackedGraph``: stacked bars of a few series over the last frames, drawn with numpy.

Each frame the graph rasterises its series into a frame-arena pixel array and blits it to a
surface made once: for every pixel row, the series index under it is the count of stacked
tops at or below the row's level (``np.less_equal`` then ``np.add.reduce``), and a palette
lookup turns indices into colours. Every temporary is a frame allocation and every constant a
preallocated array, so drawing allocates no numpy memory of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pygame

from framealloc_engine import SmartAlloc
from framealloc_engine.bridge import AllocResource

__all__ = ["StackedGraph"]

RGB = tuple[int, int, int]


class StackedGraph:
    """Stacked bars, one column per frame, scaled to the highest stack in view.

    Args:
        size: Width and height in pixels.
        frames: Frames in view (columns of the series ring buffer).
        colors: One colour per series row, bottom row first.
        background: Colour above the stacks.
        min_top: The top edge's value is at least this (a frame-time graph keeps its scale
            when every frame is fast).
    """

    def __init__(
        self,
        size: tuple[int, int],
        frames: int,
        colors: Sequence[RGB],
        background: RGB,
        min_top: int = 0,
    ) -> None:
        width, height = size
        if width < 1 or height < 1 or frames < 1:
            raise ValueError(f"graph size and frames must be positive, got {size}, {frames}")
        self.size = size
        self.rows = len(colors)
        self.surface = pygame.Surface(size, 0, 32)
        self.palette = np.array(
            [self.surface.map_rgb(c) for c in (*colors, background)], np.uint32
        )
        self._columns = (np.arange(width) * frames // width).astype(np.intp)
        self._levels = (height - 0.5 - np.arange(height)).astype(np.float64)
        self._start = np.zeros((), np.intp)
        self._scale = np.zeros((), np.float64)
        self.min_top = min_top
        self.top = 0

    def draw(self, alloc: SmartAlloc | AllocResource, values: np.ndarray, start: int) -> int:
        """Redraw :attr:`surface` from a ring buffer.

        Args:
            alloc: Where the temporaries come from (a frame must be active).
            values: ``(rows, frames)`` int64 ring buffer, one row per series.
            start: Column of the oldest frame.

        Returns:
            The highest stack in view (the value of the graph's top edge).
        """
        width, height = self.size
        rows = self.rows
        if values.shape[0] != rows:
            raise ValueError(f"graph has {rows} series rows, got {values.shape[0]}")
        columns = alloc.frame_alloc(np.intp, width)
        self._start.fill(start)
        np.add(self._columns, self._start, out=columns)
        picked = alloc.frame_alloc(np.int64, (rows, width))
        np.take(values, columns, axis=1, out=picked, mode="wrap")
        np.cumsum(picked, axis=0, out=picked)  # int64 in place: a cast would need a buffer
        top = alloc.frame_alloc(np.int64, ())
        np.maximum.reduce(picked[-1], out=top)
        self.top = max(int(top), self.min_top)
        self._scale.fill(height / self.top if self.top > 0 else 0.0)
        stacked = alloc.frame_alloc(np.float64, (rows, width))
        np.multiply(picked, self._scale, out=stacked)
        below = alloc.frame_alloc(np.bool_, (rows, width, height))
        np.less_equal(stacked[:, :, None], self._levels, out=below)
        index = alloc.frame_alloc(np.intp, (width, height))
        np.add.reduce(below, axis=0, out=index)
        pixels = alloc.frame_alloc(np.uint32, (width, height))
        np.take(self.palette, index, out=pixels, mode="clip")
        pygame.surfarray.blit_array(self.surface, pixels)
        return self.top
