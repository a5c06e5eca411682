"""The game's one allocator, shared by every module that imports it."""

from __future__ import annotations

from framealloc_engine import AllocConfig, SmartAlloc

alloc = SmartAlloc(AllocConfig().with_frame_arena_size(4 << 20))
FRAME_BUDGET = 4 << 20
