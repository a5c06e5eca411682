"""Tests of frame retention and promotion."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from framealloc_engine import (
    MIB,
    AllocConfig,
    FrameNotActiveError,
    FrameStateError,
    HeapBox,
    PoolBox,
    SmartAlloc,
    TagBudgetExceededError,
)
from framealloc_engine.app import App, Last, ResMut, Update
from framealloc_engine.bridge import AllocResource, SmartAllocPlugin
from framealloc_engine.retention import (
    FailureReason,
    FailuresByReason,
    FrameSummary,
    Importance,
    PromotedAllocation,
    PromotedHeap,
    PromotedPool,
    PromotedScratch,
    PromotionFailed,
    RetentionKind,
    RetentionPolicy,
)

NavCell = np.dtype([("cost", "f4"), ("next", "i4")])


@pytest.fixture
def alloc() -> SmartAlloc:
    a = SmartAlloc(AllocConfig.minimal())
    a.begin_frame()
    return a


# -- policies ------------------------------------------------------------------------------


def test_policies_and_importance_levels() -> None:
    assert RetentionPolicy.DISCARD.kind is RetentionKind.DISCARD
    assert RetentionPolicy.PROMOTE_TO_POOL.kind is RetentionKind.POOL
    assert RetentionPolicy.PROMOTE_TO_HEAP.kind is RetentionKind.HEAP
    scratch = RetentionPolicy.PROMOTE_TO_SCRATCH("nav")
    assert scratch == RetentionPolicy(RetentionKind.SCRATCH, "nav")
    assert repr(scratch) == "RetentionPolicy.PROMOTE_TO_SCRATCH('nav')"
    assert repr(RetentionPolicy.PROMOTE_TO_POOL) == "RetentionPolicy.PROMOTE_TO_POOL"
    assert Importance.EPHEMERAL.policy == RetentionPolicy.DISCARD
    assert Importance.REUSABLE.policy == RetentionPolicy.PROMOTE_TO_POOL
    assert Importance.PERSISTENT.policy == RetentionPolicy.PROMOTE_TO_HEAP
    assert Importance.SCRATCH("nav").policy == scratch
    assert repr(Importance.REUSABLE) == "Importance.REUSABLE"
    with pytest.raises(ValueError, match="name"):
        RetentionPolicy.PROMOTE_TO_SCRATCH("")
    with pytest.raises(ValueError, match="scratch"):
        RetentionPolicy(RetentionKind.POOL, "x")
    assert str(FailureReason.BUDGET_EXCEEDED) == "budget exceeded"
    assert PromotedAllocation.Pool is PromotedPool
    assert PromotedAllocation.Failed is PromotionFailed


# -- promotion -----------------------------------------------------------------------------


def test_promotions_copy_the_bytes_into_live_allocations(alloc: SmartAlloc) -> None:
    alloc.scratch_pool("nav", 4096)
    pool_src = alloc.frame_retained(NavCell, 16, RetentionPolicy.PROMOTE_TO_POOL)
    pool_src["cost"] = np.arange(16)
    heap_src = alloc.frame_with_importance(np.float64, (4, 4), Importance.PERSISTENT)
    heap_src[:] = 2.5
    scratch_src = alloc.frame_retained(np.int16, 10, Importance.SCRATCH("nav"))
    scratch_src[:] = 7
    alloc.frame_retained(np.int64, 8)  # DISCARD by default
    assert alloc.retained_count() == 4
    result = alloc.end_frame_with_promotions()
    assert alloc.retained_count() == 0
    pool_item, heap_item, scratch_item = result.promoted
    assert isinstance(pool_item, PromotedPool)
    assert isinstance(pool_item.box, PoolBox)
    np.testing.assert_array_equal(pool_item.array["cost"], np.arange(16))
    assert pool_item.size == 16 * NavCell.itemsize
    assert pool_item.meta.type_name == f"{NavCell}[16]"
    assert isinstance(heap_item, PromotedHeap)
    assert isinstance(heap_item.box, HeapBox)
    assert heap_item.array.shape == (4, 4)
    assert (heap_item.array == 2.5).all()
    assert isinstance(scratch_item, PromotedScratch)
    assert scratch_item.pool_name == "nav"
    assert (scratch_item.array == 7).all()
    assert alloc.scratch_pool("nav").allocated == 20
    # the frame memory is gone and reused; the promoted copies are not
    alloc.begin_frame()
    alloc.frame_alloc(np.uint8, 4096).fill(0)
    np.testing.assert_array_equal(pool_item.array["cost"], np.arange(16))
    alloc.end_frame()
    s = result.summary
    assert (s.promoted_pool_count, s.promoted_pool_bytes) == (1, 128)
    assert (s.promoted_heap_count, s.promoted_heap_bytes) == (1, 128)
    assert (s.promoted_scratch_count, s.promoted_scratch_bytes) == (1, 20)
    assert (s.discarded_count, s.discarded_bytes) == (1, 64)
    assert s.failed_count == 0
    assert s.promoted_count == 3
    assert s.promoted_bytes == 276
    assert s.frame_allocations == 4
    stats = alloc.stats()
    assert stats.pool_allocated == 128
    assert stats.heap_allocated == 128
    result.close()
    assert pool_item.box.closed
    assert alloc.stats().pool_allocated == 0
    assert alloc.stats().heap_allocated == 0


def test_failures_keep_their_reason(alloc: SmartAlloc) -> None:
    alloc.scratch_pool("small", 64)
    alloc.frame_retained(np.uint8, 48, Importance.SCRATCH("small"))
    alloc.frame_retained(np.uint8, 48, Importance.SCRATCH("small"))  # does not fit any more
    alloc.frame_retained(np.uint8, 100, Importance.SCRATCH("small"))  # never fits
    alloc.frame_retained(np.uint8, 8, Importance.SCRATCH("missing"))
    alloc.frame_retained(np.uint8, 5000, Importance.REUSABLE)  # > largest class 2048
    result = alloc.end_frame_with_promotions()
    outcomes = result.promoted
    assert isinstance(outcomes[0], PromotedScratch)
    assert [o.reason for o in result.failed] == [
        FailureReason.SCRATCH_POOL_FULL,
        FailureReason.TOO_LARGE,
        FailureReason.SCRATCH_POOL_NOT_FOUND,
        FailureReason.TOO_LARGE,
    ]
    assert "alloc.scratch_pool('missing')" in result.failed[2].detail
    assert "PROMOTE_TO_HEAP" in result.failed[3].detail
    s = result.summary
    assert s.failed_count == 4
    assert s.failed_bytes == 48 + 100 + 8 + 5000
    assert s.failures_by_reason == FailuresByReason(
        budget_exceeded=0, scratch_pool_not_found=1, scratch_pool_full=1, too_large=2
    )
    assert s.failures_by_reason.total == 4


def test_budget_exceeded_is_a_failure_not_an_error() -> None:
    cfg = AllocConfig.minimal()
    base = SmartAlloc(cfg).stats().reserved_bytes
    alloc = SmartAlloc(cfg.with_memory_limit(base + 1))  # no room for a heap region
    alloc.begin_frame()
    alloc.frame_retained(np.float32, 4, Importance.PERSISTENT)
    result = alloc.end_frame_with_promotions()
    (failed,) = result.promoted
    assert isinstance(failed, PromotionFailed)
    assert failed.reason is FailureReason.BUDGET_EXCEEDED
    assert "limit" in failed.detail
    assert result.summary.failures_by_reason.budget_exceeded == 1


class _RefuseTag:
    """An observer refusing pool allocations under one tag path (a tag budget)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.seen: list[tuple[str, str]] = []

    def before_alloc(self, state: Any, kind: str, nbytes: int) -> None:
        self.seen.append((kind, state.tag_path))
        if kind == "pool" and state.tag_path == self.tag:
            raise TagBudgetExceededError(f"tag {self.tag!r} is over budget")

    def after_alloc(self, state: Any, kind: str, array: np.ndarray, nbytes: int) -> None:
        pass

    def after_free(self, state: Any, kind: str, array: np.ndarray, nbytes: int) -> None:
        pass

    def on_frame_begin(self, state: Any) -> None:
        pass

    def on_frame_end(self, state: Any, count: int, nbytes: int) -> None:
        pass


def test_promotions_keep_their_tag_for_budgets_and_stats(alloc: SmartAlloc) -> None:
    observer = _RefuseTag("ai::pathfinding")
    alloc.add_observer(observer)
    with alloc.with_tag("ai"):  # type: ignore[union-attr]
        kept = alloc.frame_retained(np.float32, 4, Importance.REUSABLE)
        kept[:] = 1
        with alloc.with_tag("pathfinding"), alloc.phase_scope("plan"):  # type: ignore[union-attr]
            alloc.frame_retained(np.float32, 4, Importance.REUSABLE)
    with alloc.with_tag("render"), alloc.phase_scope("draw"):  # type: ignore[union-attr]
        result = alloc.end_frame_with_promotions()
        assert alloc.tag_path() == "render"  # restored after promoting
        assert alloc.current_phase() == "draw"
    ok, refused = result.promoted
    assert isinstance(ok, PromotedPool)
    assert ok.meta.tag == "ai"
    assert isinstance(refused, PromotionFailed)
    assert refused.reason is FailureReason.BUDGET_EXCEEDED
    assert refused.meta.tag == "ai::pathfinding"
    assert refused.meta.phase == "plan"
    assert ("pool", "ai") in observer.seen
    assert ("pool", "ai::pathfinding") in observer.seen
    by_tag = result.summary.by_tag
    assert by_tag["ai"].pool_count == 1
    assert "render" not in by_tag
    assert result.summary.by_phase[""].pool_count == 1
    alloc.remove_observer(observer)
    ok.close()


def test_plain_end_frame_discards_pending_and_counts_them(alloc: SmartAlloc) -> None:
    alloc.frame_retained(np.int32, 10, Importance.REUSABLE)
    alloc.frame_retained(np.int32, 6, Importance.PERSISTENT)
    alloc.end_frame()
    s = alloc.last_frame_summary()
    assert (s.discarded_count, s.discarded_bytes) == (2, 64)
    assert s.promoted_count == 0
    assert alloc.stats().pool_allocated == 0
    alloc.begin_frame()
    assert alloc.retained_count() == 0
    assert alloc.end_frame_with_promotions().promoted == []
    assert alloc.last_frame_summary().discarded_count == 0


def test_end_frame_with_summary_returns_the_summary_and_frees(alloc: SmartAlloc) -> None:
    alloc.frame_retained(np.int32, 10, Importance.REUSABLE)
    summary = alloc.end_frame_with_summary()
    assert isinstance(summary, FrameSummary)
    assert summary.promoted_pool_count == 1
    assert alloc.stats().pool_allocated == 0
    assert alloc.last_frame_summary() == summary


def test_clear_retained_forgets_pending(alloc: SmartAlloc) -> None:
    alloc.frame_retained(np.int32, 10, Importance.REUSABLE)
    alloc.frame_retained(np.int32, 10, Importance.REUSABLE)
    assert alloc.clear_retained() == 2
    assert alloc.retained_count() == 0
    result = alloc.end_frame_with_promotions()
    assert result.promoted == []
    assert result.summary.discarded_count == 0
    assert alloc.clear_retained() == 0


def test_rolled_back_retained_allocations_are_dropped(alloc: SmartAlloc) -> None:
    keep = alloc.frame_retained(np.int32, 4, Importance.REUSABLE)
    keep[:] = 5
    cp = alloc.frame_checkpoint()
    alloc.frame_retained(np.int32, 4, Importance.REUSABLE)
    assert alloc.retained_count() == 2
    alloc.rollback_to(cp)
    assert alloc.retained_count() == 1
    result = alloc.end_frame_with_promotions()
    (item,) = result.promoted
    assert isinstance(item, PromotedPool)
    assert (item.array == 5).all()
    item.close()


def test_promotion_happens_before_debug_poisoning() -> None:
    alloc = SmartAlloc(AllocConfig.minimal().with_debug())
    alloc.begin_frame()
    src = alloc.frame_retained(np.uint8, 32, Importance.PERSISTENT)
    src[:] = 9
    result = alloc.end_frame_with_promotions()
    (item,) = result.promoted
    assert isinstance(item, PromotedHeap)
    assert (item.array == 9).all()
    assert (src == 0xCD).all()  # the frame copy was poisoned after the promotion
    item.close()


def test_errors(alloc: SmartAlloc) -> None:
    with pytest.raises(TypeError, match="RetentionPolicy"):
        alloc.frame_retained(np.int32, 4, "pool")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Importance"):
        alloc.frame_with_importance(np.int32, 4, RetentionPolicy.DISCARD)  # type: ignore[arg-type]
    alloc.end_frame()
    with pytest.raises(FrameStateError) as info:
        alloc.end_frame_with_promotions()
    assert info.value.code == "FA001"


def test_retained_allocations_are_per_thread(alloc: SmartAlloc) -> None:
    alloc.frame_retained(np.int32, 4, Importance.REUSABLE)
    counts: dict[str, Any] = {}

    def worker() -> None:
        alloc.begin_frame()
        counts["before"] = alloc.retained_count()
        alloc.frame_retained(np.int32, 4, Importance.PERSISTENT)
        alloc.frame_retained(np.int32, 4, Importance.PERSISTENT)
        counts["during"] = alloc.retained_count()
        result = alloc.end_frame_with_promotions()
        counts["promoted"] = [type(p).__name__ for p in result.promoted]
        result.close()

    t = threading.Thread(target=worker)
    t.start()
    t.join(timeout=10)
    assert not t.is_alive()
    assert counts == {"before": 0, "during": 2, "promoted": ["PromotedHeap", "PromotedHeap"]}
    assert alloc.retained_count() == 1
    result = alloc.end_frame_with_promotions()
    assert [type(p).__name__ for p in result.promoted] == ["PromotedPool"]
    result.close()


def test_large_promotion_to_the_heap_uses_a_dedicated_region() -> None:
    alloc = SmartAlloc(AllocConfig.minimal().with_frame_arena_size(4 * MIB))
    alloc.begin_frame()
    big = alloc.frame_retained(np.float32, 600_000, Importance.PERSISTENT)
    big[:] = 1
    result = alloc.end_frame_with_promotions()
    (item,) = result.promoted
    assert isinstance(item, PromotedHeap)
    assert item.array.sum() == 600_000
    item.close()


class Kept:
    """A resource holding the promoted boxes."""

    def __init__(self) -> None:
        self.boxes: list[Any] = []


def test_promote_retained_inside_an_app() -> None:
    """Inside an App the plugin ends frames; a Last system promotes with promote_retained()."""

    def make(alloc: AllocResource) -> None:
        path = alloc.frame_retained(np.int32, 4, RetentionPolicy.PROMOTE_TO_POOL)
        path[:] = [1, 2, 3, 4]

    def promote(alloc: AllocResource, kept: ResMut[Kept]) -> None:
        result = alloc.promote_retained()
        kept.value.boxes.extend(item.box for item in result.promoted)
        assert result.summary.promoted_pool_count == 1

    app = App().add_plugins(SmartAllocPlugin.default()).init_resource(Kept)
    app.add_systems(Update, make).add_systems(Last, promote)
    app.update()
    app.update()
    kept = app.resource(Kept)
    assert [list(box.get()) for box in kept.boxes] == [[1, 2, 3, 4], [1, 2, 3, 4]]
    alloc = app.resource(AllocResource)
    assert alloc.last_frame_summary().discarded_count == 0
    with pytest.raises(AttributeError, match="SmartAllocPlugin"):
        _ = alloc.end_frame_with_promotions
    for box in kept.boxes:
        box.close()


def test_retained_after_promote_retained_is_discarded_and_counted() -> None:
    alloc = SmartAlloc.with_defaults()
    alloc.begin_frame()
    alloc.frame_retained(np.int32, 4, RetentionPolicy.PROMOTE_TO_POOL)
    first = alloc.promote_retained()
    assert len(first.promoted) == 1
    alloc.frame_retained(np.int32, 8, RetentionPolicy.PROMOTE_TO_POOL)
    alloc.end_frame()
    summary = alloc.last_frame_summary()
    assert (summary.promoted_pool_count, summary.discarded_count) == (1, 1)
    assert summary.discarded_bytes == 32
    first.close()
    with pytest.raises(FrameNotActiveError):
        alloc.promote_retained()
