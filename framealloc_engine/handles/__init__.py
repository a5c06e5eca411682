"""Handle-based allocation: stable handles to relocatable blocks (``allocator``), and the
allocator's part (``feature``: ``alloc.handles()``)."""

from __future__ import annotations

from framealloc_engine.handles.allocator import (
    Handle,
    HandleAllocator,
    HandlePinError,
    HandleSpaceError,
    HandleStats,
    Relocation,
)

__all__ = [
    "Handle",
    "HandleAllocator",
    "HandlePinError",
    "HandleSpaceError",
    "HandleStats",
    "Relocation",
]
