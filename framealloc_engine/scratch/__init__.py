"""Scratch pools: named bump regions whose memory outlives frames (``pools``), and the
allocator's part (``feature``: ``alloc.scratch_pool(name)``, ``alloc.scratch()``)."""

from __future__ import annotations

from framealloc_engine.scratch.pools import (
    DEFAULT_SCRATCH_CAPACITY,
    ScratchPool,
    ScratchRegistry,
    ScratchStats,
)

__all__ = ["DEFAULT_SCRATCH_CAPACITY", "ScratchPool", "ScratchRegistry", "ScratchStats"]
