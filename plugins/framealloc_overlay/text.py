"""``TextCache``: rendered text surfaces, reused while the text does not change.

Example::

    cache = TextCache(pygame.font.Font(None, 16))
    screen.blit(cache.render("framealloc overlay", (230, 230, 230)), (8, 8))
    screen.blit(cache.render(f"{ms:.2f} ms", (230, 230, 230), slot="frame time"), (8, 24))

Fixed labels are cached by their text. A line whose text changes passes a ``slot``: the slot
keeps one surface, re-rendered only when its text or colour changes, so a changing value
replaces its surface instead of piling up new ones (nothing accumulates for the GC).
"""

from __future__ import annotations

from collections.abc import Hashable

import pygame

__all__ = ["TextCache", "format_bytes"]

RGB = tuple[int, int, int]


def format_bytes(n: int) -> str:
    """``1536`` → ``"1.5 KiB"``: bytes, KiB, MiB or GiB."""
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if abs(value) < 1024:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.2f} GiB"


class TextCache:
    """Renders text with one font and keeps the surfaces.

    Args:
        font: The font (``pygame.font.Font(None, size)`` is pygame's bundled default).
        capacity: Fixed labels kept before that part of the cache starts over.

    Attributes:
        renders: Texts rendered so far (a cache hit renders nothing).
    """

    def __init__(self, font: pygame.font.Font, capacity: int = 256) -> None:
        self.font = font
        self.capacity = capacity
        self._labels: dict[tuple[str, RGB], pygame.Surface] = {}
        self._slots: dict[Hashable, tuple[str, RGB, pygame.Surface]] = {}
        self.renders = 0

    def _render(self, text: str, color: RGB) -> pygame.Surface:
        self.renders += 1
        return self.font.render(text, True, color)

    def render(self, text: str, color: RGB, slot: Hashable | None = None) -> pygame.Surface:
        """The surface of ``text`` in ``color``.

        Args:
            text: What to show.
            color: Its colour.
            slot: For text that changes: the line's identity (one surface per slot).
        """
        if slot is not None:
            entry = self._slots.get(slot)
            if entry is not None and entry[0] == text and entry[1] == color:
                return entry[2]
            surface = self._render(text, color)
            self._slots[slot] = (text, color, surface)
            return surface
        key = (text, color)
        label = self._labels.get(key)
        if label is None:
            if len(self._labels) >= self.capacity:
                self._labels.clear()
            label = self._labels[key] = self._render(text, color)
        return label

    @property
    def line_height(self) -> int:
        """Pixels from one line of text to the next."""
        return int(self.font.get_linesize())
