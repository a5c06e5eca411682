"""The memory behaviour filter (v0.4, FA501-FA530): thresholds and reports (``model``), the
allocation observer that records behaviour per tag (``filter``), and the allocator's part
(``feature``: ``alloc.enable_behavior_filter()``)."""

from __future__ import annotations

from framealloc_engine.behavior.filter import BehaviorFilter
from framealloc_engine.behavior.model import (
    BehaviorIssue,
    BehaviorReport,
    BehaviorThresholds,
    TagBehaviorStats,
    analyze,
)

__all__ = [
    "BehaviorFilter",
    "BehaviorIssue",
    "BehaviorReport",
    "BehaviorThresholds",
    "TagBehaviorStats",
    "analyze",
]
