"""Frame retention and promotion (v0.3): policies and results (``model``), and the allocator's
part (``feature``: ``frame_retained``, ``end_frame_with_promotions``, ...)."""

from __future__ import annotations

from framealloc_engine.retention.model import (
    AllocationMeta,
    FailureReason,
    FailuresByReason,
    FrameSummary,
    Importance,
    PromotedAllocation,
    PromotedHeap,
    PromotedPool,
    PromotedScratch,
    PromotionFailed,
    PromotionResult,
    RetentionKind,
    RetentionPolicy,
)

__all__ = [
    "AllocationMeta",
    "FailureReason",
    "FailuresByReason",
    "FrameSummary",
    "Importance",
    "PromotedAllocation",
    "PromotedHeap",
    "PromotedPool",
    "PromotedScratch",
    "PromotionFailed",
    "PromotionResult",
    "RetentionKind",
    "RetentionPolicy",
]
