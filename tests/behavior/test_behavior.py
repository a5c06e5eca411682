"""The behaviour filter: each rule triggers on a crafted workload and stays quiet on its
well-behaved twin; thresholds; determinism; memory bounds; zero cost when off."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from framealloc_engine import AllocConfig, SmartAlloc
from framealloc_engine.behavior import BehaviorReport, BehaviorThresholds
from framealloc_engine.diagnostics import (
    DiagnosticKind,
    StrictMode,
    StrictModeViolation,
    set_strict_mode,
)

Workload = Callable[[SmartAlloc, int], None]
F4 = np.dtype(np.float32)


def run(workload: Workload, frames: int = 100, *, debug: bool = False,
        thresholds: BehaviorThresholds | None = None) -> BehaviorReport:
    alloc = SmartAlloc(AllocConfig(debug=debug))
    alloc.enable_behavior_filter(thresholds)
    for i in range(frames):
        alloc.begin_frame()
        workload(alloc, i)
        alloc.end_frame()
    return alloc.behavior_report()


# --- FA501: frame data kept for many frames ---------------------------------------------------


class Pathfinder:
    def __init__(self, interval: int = 100) -> None:
        self.interval = interval
        self.path: np.ndarray | None = None

    def __call__(self, alloc: SmartAlloc, i: int) -> None:
        with alloc.with_tag("ai"), alloc.with_tag("pathfinding"):
            scratch = alloc.frame_alloc(F4, 8)
            if i % self.interval == 0:
                self.path = scratch  # kept until the next interval
            scratch[:] = 1


def well_behaved(alloc: SmartAlloc, i: int) -> None:
    with alloc.with_tag("ai"), alloc.with_tag("pathfinding"):
        scratch = alloc.frame_alloc(F4, 8)
        scratch[:] = i


@pytest.mark.parametrize("debug", [False, True])
def test_fa501_fires_when_frame_data_lives_long(debug: bool) -> None:
    report = run(Pathfinder(100), 200, debug=debug)
    (issue,) = [i for i in report.issues if i.code == "FA501"]
    assert issue.tag == "ai::pathfinding"
    assert issue.kind == "frame"
    # kept at frames 1 and 101, each still referenced at the 99 frame ends that follow
    assert issue.observed == "avg lifetime: 99.0 frames"
    assert issue.threshold == "expected < 60 frames"
    assert issue.observed_value == 99.0
    assert issue.threshold_value == 60
    stats = report.stats_for("ai::pathfinding", "frame")
    assert stats is not None
    assert stats.survived_frame_count == 2
    assert stats.total_lifetime_frames == 198
    assert stats.total_allocs == 200
    assert "FA502" not in report.codes()


def test_fa501_custom_threshold_and_quiet_twins() -> None:
    report = run(Pathfinder(50), 200, thresholds=BehaviorThresholds(frame_survival_frames=40))
    (issue,) = [i for i in report.issues if i.code == "FA501"]
    assert issue.observed == "avg lifetime: 49.0 frames"
    assert issue.threshold == "expected < 40 frames"
    assert issue.level is DiagnosticKind.WARNING
    assert run(Pathfinder(50), 200).codes() == []  # default 60: 49 frames is fine
    assert run(well_behaved, 200, thresholds=BehaviorThresholds.strict()).codes() == []


def test_loop_variable_rebound_each_frame_is_not_survival() -> None:
    alloc = SmartAlloc()
    alloc.enable_behavior_filter(BehaviorThresholds.strict())
    for _ in range(50):
        alloc.begin_frame()
        with alloc.with_tag("physics"):
            scratch = alloc.frame_alloc(F4, 16)  # still bound when end_frame() runs
            scratch[:] = 0
        alloc.end_frame()
    report = alloc.behavior_report()
    assert report.codes() == []
    stats = report.stats_for("physics", "frame")
    assert stats is not None
    assert stats.total_allocs == 50
    assert stats.survived_frame_count == 0


# --- FA502: many frame allocations survive ---------------------------------------------------


def cache_everything(alloc: SmartAlloc, i: int) -> None:
    with alloc.with_tag("particles"):
        CACHE.append(alloc.frame_alloc(F4, 4))
        del CACHE[:-3]  # each array is kept for three frames


CACHE: list[np.ndarray] = []


@pytest.mark.parametrize("debug", [False, True])
def test_fa502_fires_when_most_frame_allocations_survive(debug: bool) -> None:
    CACHE.clear()
    report = run(cache_everything, 100, debug=debug)
    CACHE.clear()
    (issue,) = [i for i in report.issues if i.code == "FA502"]
    assert issue.tag == "particles"
    assert issue.observed == "99% survive beyond frame"
    assert issue.threshold == "expected < 50%"
    assert "FA501" not in report.codes()


def test_fa502_quiet_when_a_minority_survives() -> None:
    keep: list[np.ndarray] = []

    def some(alloc: SmartAlloc, i: int) -> None:
        with alloc.with_tag("particles"):
            for k in range(4):
                arr = alloc.frame_alloc(F4, 4)
                if k == 0:
                    keep.append(arr)  # 1 in 4 survives: 25 % < 50 %
            del keep[:-2]

    report = run(some, 60)
    assert "FA502" not in report.codes()
    stats = report.stats_for("particles", "frame")
    assert stats is not None
    assert stats.survival_rate() == pytest.approx(0.25, abs=0.01)
    assert "FA502" in run(some, 60, thresholds=BehaviorThresholds.strict()).codes()


def test_arrays_held_inside_user_objects_count_as_survivors() -> None:
    held: dict[int, list[np.ndarray]] = {}

    def keep_in_dict(alloc: SmartAlloc, i: int) -> None:
        with alloc.with_tag("ui"):
            held[i] = [alloc.frame_alloc(F4, 8)]
            held.pop(i - 5, None)

    report = run(keep_in_dict, 40)
    assert "FA502" in report.codes()
    stats = report.stats_for("ui", "frame")
    assert stats is not None
    assert stats.survived_frame_count == 39
    # released 4 frames after their own (35 arrays); the last ones are still held
    assert stats.total_lifetime_frames == 35 * 4 + 4 + 3 + 2 + 1


# --- FA510: pool used as scratch ---------------------------------------------------------------


def pool_scratch(alloc: SmartAlloc, i: int) -> None:
    with alloc.with_tag("net"):
        a = alloc.pool_alloc(F4, 4)
        alloc.pool_free(a)


def test_fa510_fires_for_same_frame_pool_frees() -> None:
    report = run(pool_scratch, 30)
    (issue,) = report.issues
    assert (issue.code, issue.level, issue.tag, issue.kind) == (
        "FA510", DiagnosticKind.HINT, "net", "pool",
    )
    assert issue.observed == "100% freed same frame"
    assert issue.threshold == "expected < 80%"
    assert not report.has_warnings()  # a hint is not a warning


def test_fa510_quiet_for_long_lived_pool_blocks() -> None:
    live: list[np.ndarray] = []

    def pooled(alloc: SmartAlloc, i: int) -> None:
        with alloc.with_tag("net"):
            live.append(alloc.pool_alloc(F4, 4))
            if len(live) > 5:
                alloc.pool_free(live.pop(0))  # freed five frames later

    report = run(pooled, 30)
    assert report.codes() == []
    stats = report.stats_for("net", "pool")
    assert stats is not None
    assert stats.same_frame_frees == 0
    assert stats.total_allocs == 30


# --- FA520: promotion churn -----------------------------------------------------------------


def test_fa520_fires_on_promotion_churn_and_not_when_rare() -> None:
    def churn(every: int) -> BehaviorReport:
        alloc = SmartAlloc()
        flt = alloc.enable_behavior_filter()
        for i in range(40):
            alloc.begin_frame()
            with alloc.with_tag("rendering"), alloc.with_tag("meshes"):
                alloc.frame_alloc(F4, 4)
                if i % every == 0:
                    flt.on_promotion(alloc._tls.state, alloc.tag_path(), "frame", "pool", 16)
            alloc.end_frame()
        return alloc.behavior_report()

    report = churn(every=1)
    (issue,) = [i for i in report.issues if i.code == "FA520"]
    assert issue.tag == "rendering::meshes"
    assert issue.observed == "1.00 promotions/frame"
    assert issue.threshold == "expected < 0.50/frame"
    assert "FA520" not in churn(every=4).codes()


# --- FA530: heap in the hot path ------------------------------------------------------------


def heap_hot(n: int) -> Workload:
    def workload(alloc: SmartAlloc, i: int) -> None:
        with alloc.with_tag("loader"):
            for _ in range(n):
                alloc.heap_free(alloc.heap_alloc(np.uint8, 1 << 14))

    return workload


def test_fa530_fires_for_frequent_in_frame_heap_allocations() -> None:
    report = run(heap_hot(3), 30)
    (issue,) = [i for i in report.issues if i.code == "FA530"]
    assert issue.tag == "loader"
    assert issue.kind == "heap"
    assert issue.observed == "3.0 heap allocs/frame"
    assert issue.threshold == "expected < 1.7/frame"


def test_fa530_quiet_for_rare_or_out_of_frame_heap_allocations() -> None:
    assert run(heap_hot(1), 30).codes() == []
    alloc = SmartAlloc()
    alloc.enable_behavior_filter(BehaviorThresholds.strict())
    with alloc.with_tag("loader"):
        blocks = [alloc.heap_alloc(np.uint8, 1 << 14) for _ in range(100)]  # loading screen
    for _ in range(20):
        with alloc.frame_scope():
            pass
    for block in blocks:
        alloc.heap_free(block)
    report = alloc.behavior_report()
    assert report.codes() == []
    stats = report.stats_for("loader", "heap")
    assert stats is not None
    assert stats.total_allocs == 100
    assert stats.in_frame_allocs == 0


# --- thresholds, report, determinism, costs ----------------------------------------------------


def test_threshold_presets_are_the_crates() -> None:
    d = BehaviorThresholds.default()
    s = BehaviorThresholds.strict()
    r = BehaviorThresholds.relaxed()
    assert (d.frame_survival_frames, s.frame_survival_frames, r.frame_survival_frames) == (
        60, 10, 300)
    assert (d.frame_survival_rate, s.frame_survival_rate, r.frame_survival_rate) == (0.5, 0.2, 0.8)
    assert (d.pool_same_frame_free_rate, s.pool_same_frame_free_rate,
            r.pool_same_frame_free_rate) == (0.8, 0.5, 0.95)
    assert (d.promotion_churn_rate, s.promotion_churn_rate, r.promotion_churn_rate) == (
        0.5, 0.2, 0.8)
    assert (d.heap_in_hot_path_count, s.heap_in_hot_path_count,
            r.heap_in_hot_path_count) == (100, 10, 1000)
    assert (d.min_samples, s.min_samples, r.min_samples) == (10, 5, 50)
    with pytest.raises(ValueError, match="min_samples"):
        BehaviorThresholds(min_samples=-1)


def test_min_samples_gate_and_custom_thresholds() -> None:
    assert run(pool_scratch, 9).codes() == []  # 9 < 10 samples
    assert run(pool_scratch, 9, thresholds=BehaviorThresholds(min_samples=5)).codes() == [
        "FA510"]
    assert run(pool_scratch, 60, thresholds=BehaviorThresholds.relaxed()).codes() == ["FA510"]
    custom = BehaviorThresholds(pool_same_frame_free_rate=1.0)
    assert run(pool_scratch, 30, thresholds=custom).codes() == []


def everything(alloc: SmartAlloc, i: int) -> None:
    Pathfinder.__call__(KEEPER, alloc, i)
    cache_everything(alloc, i)
    pool_scratch(alloc, i)
    heap_hot(3)(alloc, i)


KEEPER = Pathfinder(50)


def test_report_is_deterministic_sorted_and_formatted_like_the_spec() -> None:
    CACHE.clear()
    first = run(everything, 150, thresholds=BehaviorThresholds(frame_survival_frames=40))
    CACHE.clear()
    KEEPER.path = None
    second = run(everything, 150, thresholds=BehaviorThresholds(frame_survival_frames=40))
    CACHE.clear()
    assert first.issues == second.issues
    assert first.stats == second.stats
    assert first.codes() == ["FA501", "FA502", "FA530", "FA510"]
    assert first.summary() == (
        "Behavior analysis: 0 errors, 3 warnings, 1 hints (150 frames, 4 tags)"
    )
    assert first.has_warnings()
    assert not first.has_errors()
    assert str(first.issues[0]) == (
        "[FA501] warning: frame allocation behaves like long-lived data\n"
        "  tag: ai::pathfinding\n"
        "  observed: avg lifetime: 49.0 frames\n"
        "  threshold: expected < 40 frames\n"
        "  suggestion: Consider using pool_alloc() or scratch_pool()"
    )
    assert str(first).startswith(first.summary() + "\n\n[FA501]")
    assert [s.tag for s in first.stats] == sorted(s.tag for s in first.stats)


def test_report_emit_goes_through_strict_mode() -> None:
    report = run(heap_hot(3), 30)
    assert report.emit() == 1
    set_strict_mode(StrictMode.PANIC_ON_WARNING)
    with pytest.raises(StrictModeViolation) as info:
        report.emit()
    assert info.value.code == "FA530"


def test_memory_is_per_tag_and_kind_not_per_allocation() -> None:
    alloc = SmartAlloc()
    flt = alloc.enable_behavior_filter()
    for _ in range(20):
        with alloc.frame_scope():
            for tag in ("a", "b", "c"):
                with alloc.with_tag(tag):
                    for _ in range(200):
                        alloc.frame_alloc(F4, 2)
                        alloc.pool_free(alloc.pool_alloc(F4, 2))
    trackers = list(flt._trackers.values())
    assert len(trackers) == 1
    tracker = trackers[0]
    assert len(tracker.stats) == 6
    assert tracker.frame_keys == {}
    assert tracker.survivors == []
    assert not tracker.pool_pending
    assert alloc.behavior_report().stats_for("a", "frame").total_allocs == 4000  # type: ignore[union-attr]


def test_survivor_tracking_is_capped() -> None:
    alloc = SmartAlloc()
    flt = alloc.enable_behavior_filter()
    flt.max_tracked = 10
    kept = []
    for _ in range(5):
        with alloc.frame_scope():
            kept.extend(alloc.frame_alloc(F4, 1) for _ in range(8))
    assert len(flt._trackers[alloc._tls.state].survivors) == 10


def test_disabled_filter_installs_nothing_and_keeps_its_data() -> None:
    alloc = SmartAlloc()
    assert alloc.behavior_report().filter_enabled is False
    assert alloc.behavior_report().issues == ()
    alloc.enable_behavior_filter()
    assert len(alloc.observers) == 1
    alloc.enable_behavior_filter()
    assert len(alloc.observers) == 1
    for i in range(20):
        with alloc.frame_scope():
            pool_scratch(alloc, i)
    alloc.disable_behavior_filter()
    assert alloc.observers == ()
    with alloc.frame_scope():
        pool_scratch(alloc, 0)
    report = alloc.behavior_report()
    assert report.filter_enabled is False
    assert report.codes() == ["FA510"]
    assert report.stats_for("net", "pool").total_allocs == 20  # type: ignore[union-attr]


def test_views_stay_reused_for_well_behaved_frames() -> None:
    alloc = SmartAlloc()
    alloc.enable_behavior_filter()
    ids = set()
    for _ in range(5):
        with alloc.frame_scope():
            ids.add(id(alloc.frame_alloc(F4, 4)))
    assert len(ids) == 1  # the filter leaves the arena's view reuse alone
