"""Streaming allocation for large assets under one byte budget, with LRU + priority eviction
(``allocator``), and the allocator's part (``feature``: ``alloc.streaming()``)."""

from __future__ import annotations

from framealloc_engine.streaming.allocator import (
    StreamEntryInfo,
    StreamEviction,
    StreamingAllocator,
    StreamPriority,
    StreamState,
    StreamStateError,
    StreamStats,
)

__all__ = [
    "StreamEntryInfo",
    "StreamEviction",
    "StreamPriority",
    "StreamState",
    "StreamStateError",
    "StreamStats",
    "StreamingAllocator",
]
