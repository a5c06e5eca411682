"""Thread coordination at frame boundaries."""

from __future__ import annotations

from framealloc_engine.sync.barrier import BarrierStats, FrameBarrier, FrameBarrierBuilder
from framealloc_engine.sync.transfer import (
    TransferError,
    TransferHandle,
    TransferRegistry,
    TransferState,
    TransferStats,
)

__all__ = [
    "BarrierStats",
    "FrameBarrier",
    "FrameBarrierBuilder",
    "TransferError",
    "TransferHandle",
    "TransferRegistry",
    "TransferState",
    "TransferStats",
]
