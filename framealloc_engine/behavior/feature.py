"""The allocator's part of the behaviour filter: enabling it and reading its report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from framealloc_engine.behavior.filter import BehaviorFilter
from framealloc_engine.behavior.model import BehaviorReport, BehaviorThresholds, analyze

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore

__all__ = ["BehaviorFeature"]


class BehaviorFeature:
    """``enable_behavior_filter``, ``behavior_report`` (FA501-FA530).

    Args:
        core: The allocator whose allocations the filter observes.
    """

    def __init__(self, core: AllocatorCore) -> None:
        self._core = core
        self._filter: BehaviorFilter | None = None

    def enable_behavior_filter(
        self, thresholds: BehaviorThresholds | None = None
    ) -> BehaviorFilter:
        """Start recording allocation behaviour (FA501-FA530); returns the filter.

        Enabling again keeps what was recorded (and replaces the thresholds when given).
        """
        flt = self._filter
        if flt is None:
            flt = self._filter = BehaviorFilter(thresholds)
        elif thresholds is not None:
            flt.thresholds = thresholds
        if not flt.enabled:
            flt.enabled = True
            self._core.add_observer(flt)
        return flt

    def disable_behavior_filter(self) -> None:
        """Stop recording; :meth:`behavior_report` still reports what was recorded."""
        flt = self._filter
        if flt is not None and flt.enabled:
            flt.enabled = False
            self._core.remove_observer(flt)

    @property
    def behavior_filter(self) -> BehaviorFilter | None:
        """The behaviour filter, once enabled (``None`` before)."""
        return self._filter

    def behavior_report(self) -> BehaviorReport:
        """Analyse the behaviour recorded so far (empty if the filter was never enabled)."""
        flt = self._filter
        if flt is None:
            return analyze([], BehaviorThresholds(), 0, enabled=False)
        return flt.report()

    def recorded_report(self) -> BehaviorReport | None:
        """The report if the filter was ever enabled, else ``None`` (snapshots use it)."""
        return None if self._filter is None else self._filter.report()
