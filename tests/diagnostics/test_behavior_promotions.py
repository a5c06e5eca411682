"""FA520 from real promotions: end_frame_with_promotions reports to the behaviour filter."""

from __future__ import annotations

import numpy as np

from framealloc_engine import RetentionPolicy, SmartAlloc


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
