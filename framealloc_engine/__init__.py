"""framealloc-engine: deterministic, frame-based memory allocation for Python games.

The allocator parts import only numpy; pygame is imported by engine and plugin code alone.
"""

from __future__ import annotations

from framealloc_engine import tags
from framealloc_engine.boxes import FrameBox, HeapBox, PoolBox
from framealloc_engine.config import KIB, MIB, AllocConfig
from framealloc_engine.errors import (
    AllocationSizeError,
    AllocationTypeError,
    ArenaExhaustedError,
    BudgetExceededError,
    CapacityError,
    ClosedBoxError,
    CrossThreadError,
    DoubleFreeError,
    FrameAllocError,
    FrameExpiredError,
    FrameHooksNotRunError,
    FrameNotActiveError,
    FrameStateError,
    GlobalBudgetExceededError,
    InternalAllocatorError,
    InvalidFreeError,
    PluginMissingError,
    ScratchPoolFullError,
    StaleHandleError,
    StreamBudgetError,
    TagBudgetExceededError,
    ThreadStateError,
)
from framealloc_engine.smart import SmartAlloc
from framealloc_engine.stats import AllocStats, KindCounts, ThreadStats

__all__ = [
    "KIB",
    "MIB",
    "AllocConfig",
    "AllocStats",
    "AllocationSizeError",
    "AllocationTypeError",
    "ArenaExhaustedError",
    "BudgetExceededError",
    "CapacityError",
    "ClosedBoxError",
    "CrossThreadError",
    "DoubleFreeError",
    "FrameAllocError",
    "FrameBox",
    "FrameExpiredError",
    "FrameHooksNotRunError",
    "FrameNotActiveError",
    "FrameStateError",
    "GlobalBudgetExceededError",
    "HeapBox",
    "InternalAllocatorError",
    "InvalidFreeError",
    "KindCounts",
    "PluginMissingError",
    "PoolBox",
    "ScratchPoolFullError",
    "SmartAlloc",
    "StaleHandleError",
    "StreamBudgetError",
    "TagBudgetExceededError",
    "ThreadStateError",
    "ThreadStats",
    "tags",
]
__version__ = "0.1.0"
