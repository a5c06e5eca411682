"""Per-tag and global memory budgets wired into SmartAlloc."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from framealloc_engine import (
    AllocConfig,
    GlobalBudgetExceededError,
    SmartAlloc,
    TagBudgetExceededError,
)
from framealloc_engine.budgets import BudgetEvent, BudgetEventKind, BudgetManager

KIB = 1024


def _alloc() -> SmartAlloc:
    return SmartAlloc(AllocConfig.minimal().with_budgets(True))


def test_budgets_installed_from_config_track_every_kind() -> None:
    alloc = _alloc()
    manager = alloc.budgets()
    assert alloc.budget_manager is manager
    assert manager in alloc.observers
    with alloc.frame_scope():
        alloc.frame_alloc(np.float32, 256)  # 1024 bytes
        pool = alloc.pool_alloc(np.float64, 8)  # 64 bytes
        heap = alloc.heap_alloc(np.uint8, 4096)
        assert manager.current_usage == 1024 + 64 + 4096
    assert manager.current_usage == 64 + 4096  # frame bytes released at end_frame
    alloc.pool_free(pool)
    alloc.heap_free(heap)
    assert manager.current_usage == 0
    assert manager.peak_usage == 1024 + 64 + 4096


def test_budgets_off_by_default_and_lazily_installed() -> None:
    alloc = SmartAlloc(AllocConfig.minimal())
    assert alloc.budget_manager is None
    assert alloc.observers == ()
    manager = alloc.budgets()
    assert alloc.budgets() is manager
    assert alloc.observers == (manager,)


def test_nested_tags_are_charged_to_every_prefix() -> None:
    alloc = _alloc()
    manager = alloc.budgets()
    manager.register_tag("ai", soft_limit=0, hard_limit=10 * KIB)
    with alloc.frame_scope():
        with alloc.with_tag("ai"), alloc.with_tag("pathfinding"):
            alloc.frame_alloc(np.uint8, 1000)
        with alloc.with_tag("ai"):
            alloc.frame_alloc(np.uint8, 500)
        assert manager.usage("ai") == 1500
        assert manager.usage("ai::pathfinding") == 1000
        budget = manager.tag_budget("ai")
        assert budget is not None
        assert budget.allocations == 2
        assert budget.usage_percent == pytest.approx(100 * 1500 / (10 * KIB))
    assert manager.usage("ai") == 0
    assert manager.peak("ai") == 1500
    assert manager.peak("nothing") == 0
    assert manager.tag_budget("nothing") is None
    assert set(manager.tag_budgets()) == {"ai", "ai::pathfinding"}


def test_hard_limit_refuses_with_fa302_and_nothing_is_allocated() -> None:
    alloc = _alloc()
    manager = alloc.budgets()
    events: list[BudgetEvent] = []
    manager.on_event(events.append)
    manager.register_tag("ai", hard_limit=1000)
    with alloc.frame_scope(), alloc.with_tag("ai"), alloc.with_tag("deep"):
        alloc.pool_alloc(np.uint8, 800)
        used_before = alloc.thread_stats().pool_allocations
        with pytest.raises(TagBudgetExceededError) as info:
            alloc.pool_alloc(np.uint8, 300)
        assert info.value.code == "FA302"
        assert "'ai'" in info.value.message
        assert "nested" in (info.value.note or "")
        assert alloc.thread_stats().pool_allocations == used_before
        assert manager.usage("ai") == 800
    hard = [e for e in events if e.kind is BudgetEventKind.HARD_LIMIT_EXCEEDED]
    assert len(hard) == 1
    first = hard[0]
    assert (first.tag, first.current, first.limit, first.requested) == ("ai", 800, 1000, 300)


def test_soft_limit_fires_once_and_rearms() -> None:
    alloc = _alloc()
    manager = alloc.budgets()
    kinds: list[tuple[BudgetEventKind, str]] = []
    manager.on_event(lambda e: kinds.append((e.kind, e.tag)))
    manager.register_tag("fx", soft_limit=100, hard_limit=1000)
    with alloc.with_tag("fx"):
        a = alloc.heap_alloc(np.uint8, 150)
        b = alloc.heap_alloc(np.uint8, 10)
        soft = [k for k in kinds if k[0] is BudgetEventKind.SOFT_LIMIT_EXCEEDED]
        assert soft == [(BudgetEventKind.SOFT_LIMIT_EXCEEDED, "fx")]
        alloc.heap_free(a)
        alloc.heap_free(b)
        alloc.heap_alloc(np.uint8, 150)
    soft = [k for k in kinds if k[0] is BudgetEventKind.SOFT_LIMIT_EXCEEDED]
    assert len(soft) == 2
    assert (BudgetEventKind.NEW_PEAK, "fx") in kinds
    assert (BudgetEventKind.NEW_PEAK, "") in kinds


def test_global_allocation_cap_fa301_with_event() -> None:
    alloc = _alloc()
    manager = alloc.budgets()
    events: list[BudgetEvent] = []
    manager.on_event(events.append)
    manager.set_global_limit(2000)
    assert manager.global_limit == 2000
    alloc.heap_alloc(np.uint8, 1500)
    with pytest.raises(GlobalBudgetExceededError) as info:
        alloc.heap_alloc(np.uint8, 1000)
    assert info.value.code == "FA301"
    glob = [e for e in events if e.kind is BudgetEventKind.GLOBAL_LIMIT_EXCEEDED]
    assert len(glob) == 1
    assert (glob[0].current, glob[0].limit, glob[0].requested) == (1500, 2000, 1000)
    assert manager.current_usage == 1500


def test_reservation_limit_refusal_is_reported_once() -> None:
    cfg = AllocConfig.minimal().with_budgets(True)
    alloc = SmartAlloc(cfg.with_memory_limit(4 * 1024 * 1024))
    manager = alloc.budgets()
    events: list[BudgetEvent] = []
    manager.on_event(events.append)
    with pytest.raises(GlobalBudgetExceededError):
        alloc.heap_alloc(np.uint8, 8 * 1024 * 1024)
    glob = [e for e in events if e.kind is BudgetEventKind.GLOBAL_LIMIT_EXCEEDED]
    assert len(glob) == 1
    assert glob[0].requested == 8 * 1024 * 1024
    assert manager.current_usage == 0


def test_cross_thread_free_releases_the_allocating_tag() -> None:
    alloc = _alloc()
    manager = alloc.budgets()
    with alloc.with_tag("net"):
        arr = alloc.pool_alloc(np.uint8, 100)
    assert manager.usage("net") == 100
    worker = threading.Thread(target=alloc.pool_free, args=(arr,))
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert manager.usage("net") == 0


def test_raising_callback_is_logged_not_propagated(caplog: pytest.LogCaptureFixture) -> None:
    alloc = _alloc()
    manager = alloc.budgets()

    def bad(event: BudgetEvent) -> None:
        raise RuntimeError("boom")

    manager.on_event(bad)
    alloc.heap_alloc(np.uint8, 16)
    assert manager.callback_errors >= 1
    assert "budget callback" in caplog.text
    assert manager.remove_callback(bad)
    assert not manager.remove_callback(bad)


def test_register_and_unregister_validation() -> None:
    manager = BudgetManager()
    with pytest.raises(ValueError, match="soft_limit"):
        manager.register_tag("a", soft_limit=10, hard_limit=5)
    with pytest.raises(ValueError, match="hard_limit"):
        manager.register_tag("a", hard_limit=-1)
    with pytest.raises(ValueError, match="tag name"):
        manager.register_tag("a::")
    with pytest.raises(ValueError, match="global limit"):
        manager.set_global_limit(-5)
    with pytest.raises(TypeError):
        manager.on_event(42)  # type: ignore[arg-type]
    manager.register_tag("a::b", 1, 2)
    manager.unregister_tag("a::b")
    manager.unregister_tag("missing")
    budget = manager.tag_budget("a::b")
    assert budget is not None
    assert (budget.soft_limit, budget.hard_limit) == (0, 0)
    assert budget.usage_percent == 0.0


def test_hard_limit_holds_under_racing_threads() -> None:
    """Check and charge are one step: racing threads never pass a hard limit together."""
    import threading

    from framealloc_engine import AllocConfig, SmartAlloc, TagBudgetExceededError

    alloc = SmartAlloc(AllocConfig().with_budgets(True))
    budgets = alloc.budgets()
    budgets.register_tag("race", soft_limit=0, hard_limit=64 * 100)
    start = threading.Barrier(4, timeout=30)
    done = threading.Barrier(4, timeout=30)
    granted: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        start.wait()
        mine = []
        with alloc.with_tag("race"):
            for _ in range(60):
                try:
                    mine.append(alloc.pool_alloc(np.uint8, 64))
                except TagBudgetExceededError:
                    with lock:
                        refused.append(1)
        with lock:
            granted.append(len(mine))
        assert budgets.usage("race") <= 64 * 100
        done.wait()  # hold every block until all threads stopped allocating
        for block in mine:
            alloc.pool_free(block)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()
    assert sum(granted) == 100
    assert len(refused) == 4 * 60 - 100
    assert budgets.usage("race") == 0
    assert budgets.peak("race") == 64 * 100


def test_a_failed_allocation_gives_its_reservation_back() -> None:
    from framealloc_engine import AllocConfig, SmartAlloc

    alloc = SmartAlloc(AllocConfig().with_budgets(True).with_frame_arena_size(8 * 1024))
    budgets = alloc.budgets()
    with alloc.frame_scope(), alloc.with_tag("big"):
        assert alloc.try_frame_alloc(np.uint8, 64 * 1024) is None  # no room: nothing kept
        assert budgets.usage("big") == 0
        alloc.frame_alloc(np.uint8, 100)
        assert budgets.usage("big") == 100


def test_a_thread_that_dies_mid_frame_releases_its_frame_bytes() -> None:
    import threading

    from framealloc_engine import AllocConfig, SmartAlloc

    alloc = SmartAlloc(AllocConfig().with_budgets(True).with_frame_arena_size(64 * 1024))
    budgets = alloc.budgets()

    def abandon() -> None:
        alloc.begin_frame()
        with alloc.with_tag("worker"):
            alloc.frame_alloc(np.uint8, 1000)
        # exits without end_frame()

    thread = threading.Thread(target=abandon)
    thread.start()
    thread.join(timeout=30)
    assert budgets.usage("worker") == 1000
    assert alloc.reclaim_dead_threads() == 1
    assert budgets.usage("worker") == 0
    assert alloc.stats().frame_allocated == 0
