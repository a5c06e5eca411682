"""Thread coordination at frame boundaries."""

from __future__ import annotations

from framealloc_engine.sync.barrier import BarrierStats, FrameBarrier, FrameBarrierBuilder

__all__ = ["BarrierStats", "FrameBarrier", "FrameBarrierBuilder"]
