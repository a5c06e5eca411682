"""Threads at frame boundaries: ``FrameBarrier``, ``TransferHandle`` and deferred frees.

``barrier`` and ``transfer`` are standalone; ``deferred`` is the deferred-free
configuration, ``deferred_control`` the bounded queues behind it, and ``feature`` the
allocator's part of both (``alloc.set_deferred_config``, ``alloc.frame_box_for_transfer``).
"""

from __future__ import annotations

from framealloc_engine.sync.barrier import BarrierStats, FrameBarrier, FrameBarrierBuilder
from framealloc_engine.sync.deferred import (
    DeferredConfig,
    DeferredProcessing,
    DeferredQueueFullError,
    DeferredStats,
    QueueFullPolicy,
)
from framealloc_engine.sync.transfer import (
    TransferError,
    TransferHandle,
    TransferRegistry,
    TransferState,
    TransferStats,
)

__all__ = [
    "BarrierStats",
    "DeferredConfig",
    "DeferredProcessing",
    "DeferredQueueFullError",
    "DeferredStats",
    "FrameBarrier",
    "FrameBarrierBuilder",
    "QueueFullPolicy",
    "TransferError",
    "TransferHandle",
    "TransferRegistry",
    "TransferState",
    "TransferStats",
]
