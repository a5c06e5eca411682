"""Diagnostics fed by other features: real promotions (FA520) and budget events (hooks)."""

from __future__ import annotations

import numpy as np
import pytest

from framealloc_engine import AllocConfig, RetentionPolicy, SmartAlloc, TagBudgetExceededError
from framealloc_engine.monitoring import BudgetExceeded, BudgetWarning


def _run(every: int, frames: int = 120) -> list[str]:
    alloc = SmartAlloc()
    alloc.enable_behavior_filter()
    for frame in range(frames):
        alloc.begin_frame()
        with alloc.with_tag("meshes"):
            scratch = alloc.frame_alloc(np.float32, 16)
            scratch[:] = 0
            if frame % every == 0:
                data = alloc.frame_retained(np.float32, 16, RetentionPolicy.PROMOTE_TO_POOL)
                data[:] = frame
        result = alloc.end_frame_with_promotions()
        for item in result.promoted:
            assert float(item.box.get()[0]) == frame  # the bytes were copied
        result.close()
    report = alloc.behavior_report()
    return [issue.code for issue in report.issues if issue.tag == "meshes"]


def test_promoting_every_frame_is_promotion_churn() -> None:
    assert "FA520" in _run(every=1)


def test_rare_promotions_are_not_churn() -> None:
    assert "FA520" not in _run(every=10)


def test_budget_events_reach_the_diagnostics_hooks() -> None:
    alloc = SmartAlloc(AllocConfig().with_budgets(True))
    alloc.budgets().register_tag("ai", soft_limit=1024, hard_limit=4096)
    hooks = alloc.attach_diagnostics_hooks()
    events: list[object] = []
    hooks.add_listener(events.append)
    with alloc.frame_scope(), alloc.with_tag("ai"):
        alloc.frame_alloc(np.uint8, 2048)
        with pytest.raises(TagBudgetExceededError):
            alloc.frame_alloc(np.uint8, 4096)
    warnings = [e for e in events if isinstance(e, BudgetWarning)]
    refusals = [e for e in events if isinstance(e, BudgetExceeded)]
    assert [(w.tag, w.limit) for w in warnings] == [("ai", 1024)]
    assert [(r.tag, r.limit) for r in refusals] == [("ai", 4096)]
    alloc.detach_diagnostics_hooks()
    assert not alloc.budgets()._callbacks
