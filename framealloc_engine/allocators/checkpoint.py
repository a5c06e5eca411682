"""``ArenaCheckpoint``: a frame arena position, shared by the pure and the native arena."""

from __future__ import annotations

__all__ = ["ArenaCheckpoint"]


class ArenaCheckpoint:
    """An arena position: request index and bump offset. Opaque to users."""

    __slots__ = ("index", "offset")

    def __init__(self, index: int, offset: int) -> None:
        self.index = index
        self.offset = offset
