"""Frame lifecycle events (v0.6): opt-in observability of frames, allocations and transfers.

``events`` holds the event classes, ``manager`` the :class:`LifecycleManager` that counts and
delivers them, ``feature`` the allocator's part (``alloc.enable_lifecycle_tracking()``).
"""

from __future__ import annotations

from framealloc_engine.lifecycle.events import (
    Alloc,
    BudgetExceeded,
    CrossThreadFreeQueued,
    DeferredOverflow,
    DeferredProcessed,
    FrameBegin,
    FrameEnd,
    FrameEvent,
    FrameEventCallback,
    Free,
    MemoryPressure,
    TransferCompleted,
    TransferInitiated,
)
from framealloc_engine.lifecycle.manager import LifecycleManager, ThreadFrameStats

__all__ = [
    "Alloc",
    "BudgetExceeded",
    "CrossThreadFreeQueued",
    "DeferredOverflow",
    "DeferredProcessed",
    "Free",
    "FrameBegin",
    "FrameEnd",
    "FrameEvent",
    "FrameEventCallback",
    "LifecycleManager",
    "MemoryPressure",
    "ThreadFrameStats",
    "TransferCompleted",
    "TransferInitiated",
]
