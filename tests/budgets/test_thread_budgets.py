"""Per-thread frame and pool budgets with FAIL/WARN/ALLOW/PROMOTE policies."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from framealloc_engine import AllocConfig, BudgetExceededError, SmartAlloc
from framealloc_engine.budgets.thread_budgets import (
    BudgetExceededPolicy,
    ThreadBudgetConfig,
)
from framealloc_engine.lifecycle import BudgetExceeded, FrameEvent, MemoryPressure

P = BudgetExceededPolicy


def _alloc() -> SmartAlloc:
    return SmartAlloc(AllocConfig.minimal())


def _cfg(
    frame: int = 0, pool: int = 0, fp: P = P.FAIL, pp: P = P.FAIL, warn: int = 100
) -> ThreadBudgetConfig:
    return ThreadBudgetConfig(frame, pool, fp, pp, warn)


def test_config_presets_and_validation() -> None:
    strict = ThreadBudgetConfig.strict(1, 2)
    assert (strict.frame_budget, strict.pool_budget) == (1 << 20, 2 << 20)
    assert strict.frame_exceeded_policy is P.FAIL
    assert strict.warning_threshold == 90
    relaxed = ThreadBudgetConfig.relaxed(0.5, 1)
    assert relaxed.frame_budget == 1 << 19
    assert relaxed.pool_exceeded_policy is P.ALLOW
    default = ThreadBudgetConfig()
    assert default.frame_exceeded_policy is P.WARN
    with pytest.raises(ValueError, match="frame_budget"):
        ThreadBudgetConfig(frame_budget=-1)
    with pytest.raises(ValueError, match="warning_threshold"):
        ThreadBudgetConfig(warning_threshold=0)
    with pytest.raises(ValueError, match="policy"):
        ThreadBudgetConfig(frame_exceeded_policy="fail")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="MiB"):
        ThreadBudgetConfig.strict(-1, 1)


def test_fail_policy_refuses_frame_request_and_frame_remaining_is_capped() -> None:
    alloc = _alloc()
    alloc.set_thread_budget_config(threading.get_ident(), _cfg(frame=1024))
    assert alloc.thread_budget_config() == _cfg(frame=1024)
    with alloc.frame_scope():
        assert alloc.frame_remaining() == 1024
        alloc.frame_alloc(np.uint8, 1000)
        assert alloc.frame_remaining() == 16  # the next allocation starts 16-aligned
        with pytest.raises(BudgetExceededError) as info:
            alloc.frame_alloc(np.uint8, 100)
        err = info.value
        assert err.code == "FA301"
        assert "100 bytes requested" in err.message
        assert "1024-byte frame budget" in (err.note or "")
        assert threading.current_thread().name in (err.note or "")
        assert alloc.thread_stats().frame_in_use == 1000  # nothing allocated
        assert alloc.try_frame_alloc(np.uint8, 16) is not None
    stats = alloc.thread_budget_stats()
    assert stats is not None
    assert stats.exceeded_count == 1
    assert stats.frame_peak == 1024
    assert stats.frame_usage_percent == 0.0


def test_pool_budget_fail_and_release_by_other_thread() -> None:
    alloc = _alloc()
    alloc.set_thread_budget_config(None, _cfg(pool=256))
    a = alloc.pool_alloc(np.uint8, 200)
    with pytest.raises(BudgetExceededError, match="pool budget"):
        alloc.pool_alloc(np.uint8, 100)
    worker = threading.Thread(target=alloc.pool_free, args=(a,))
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    b = alloc.pool_alloc(np.uint8, 100)
    stats = alloc.thread_budget_stats()
    assert stats is not None
    assert (stats.pool_used, stats.pool_peak) == (100, 200)
    assert stats.pool_usage_percent == pytest.approx(100 * 100 / 256)
    alloc.pool_free(b)


def test_warn_policy_logs_once_per_frame_and_allows(caplog: pytest.LogCaptureFixture) -> None:
    alloc = _alloc()
    alloc.set_thread_budget_config(None, _cfg(frame=100, fp=P.WARN))
    with caplog.at_level(logging.WARNING, logger="framealloc"):
        for _ in range(2):
            with alloc.frame_scope():
                alloc.frame_alloc(np.uint8, 200)
                alloc.frame_alloc(np.uint8, 200)
    exceeded = [r for r in caplog.records if "budget exceeded" in r.getMessage()]
    assert len(exceeded) == 2
    stats = alloc.thread_budget_stats()
    assert stats is not None
    assert stats.exceeded_count == 4


def test_allow_policy_is_silent_but_counted(caplog: pytest.LogCaptureFixture) -> None:
    alloc = _alloc()
    alloc.set_thread_budget_config(None, _cfg(frame=100, fp=P.ALLOW))
    events: list[FrameEvent] = []
    alloc.on_frame_event(events.append)
    alloc.enable_lifecycle_tracking()
    with caplog.at_level(logging.WARNING, logger="framealloc"), alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 200)
    assert not [r for r in caplog.records if "budget exceeded" in r.getMessage()]
    assert not [e for e in events if isinstance(e, BudgetExceeded)]
    stats = alloc.thread_budget_stats()
    assert stats is not None
    assert stats.exceeded_count == 1


def test_promote_frame_request_goes_to_heap_and_is_freed_at_end_frame() -> None:
    alloc = _alloc()
    alloc.set_thread_budget_config(None, _cfg(frame=1024, fp=P.PROMOTE))
    events: list[FrameEvent] = []
    alloc.on_frame_event(events.append)
    alloc.enable_lifecycle_tracking()
    with alloc.frame_scope():
        small = alloc.frame_alloc(np.uint8, 512)
        big = alloc.frame_alloc(np.float64, 1000)
        big[:] = 1.5
        assert alloc._heap.owns(big)
        assert not alloc._heap.owns(small)
        other = alloc.try_frame_alloc(np.float64, 1000)
        assert other is not None
        assert alloc._heap.owns(other)
        assert alloc.stats().heap_allocated >= 16000
        assert alloc.frame_remaining() == 512
    assert alloc.stats().heap_allocated == 0
    stats = alloc.thread_budget_stats()
    assert stats is not None
    assert (stats.promoted_count, stats.promoted_bytes) == (2, 16000)
    exceeded = [e for e in events if isinstance(e, BudgetExceeded)]
    assert [e.policy for e in exceeded] == ["PROMOTE", "PROMOTE"]
    assert exceeded[0].available == 512


def test_promote_pool_request_is_freed_by_pool_free() -> None:
    alloc = _alloc()
    alloc.set_thread_budget_config(None, _cfg(pool=64, pp=P.PROMOTE))
    a = alloc.pool_alloc(np.uint8, 64)
    b = alloc.pool_alloc(np.uint8, 64)
    assert alloc._heap.owns(b)
    box = alloc.pool_box(np.zeros(32, np.uint8))
    assert alloc._heap.owns(box.array)
    # config removed while a promoted array lives: the manager stays installed
    alloc.set_thread_budget_config(None, None)
    assert alloc.observers != ()
    alloc.pool_free(b)
    box.close()
    alloc.pool_free(a)
    assert alloc.stats().heap_allocated == 0
    alloc.set_thread_budget_config(None, None)
    assert alloc.observers == ()


def test_promote_without_frame_still_raises_fa001() -> None:
    from framealloc_engine import FrameNotActiveError

    alloc = _alloc()
    alloc.set_thread_budget_config(None, _cfg(frame=16, fp=P.PROMOTE))
    with pytest.raises(FrameNotActiveError):
        alloc.frame_alloc(np.uint8, 64)


def test_warning_threshold_emits_memory_pressure_once_per_frame(
    caplog: pytest.LogCaptureFixture,
) -> None:
    alloc = _alloc()
    alloc.set_thread_budget_config(None, _cfg(frame=1000, pool=100, warn=50))
    events: list[FrameEvent] = []
    alloc.on_frame_event(events.append)
    alloc.enable_lifecycle_tracking()
    with caplog.at_level(logging.WARNING, logger="framealloc"):
        for _ in range(2):
            with alloc.frame_scope():
                for _ in range(4):
                    alloc.frame_alloc(np.uint8, 200)
        alloc.pool_alloc(np.uint8, 64)
    pressure = [e for e in events if isinstance(e, MemoryPressure)]
    assert [(p.kind, p.budget) for p in pressure] == [("frame", 1000)] * 2 + [("pool", 100)]
    assert pressure[0].used > 500
    stats = alloc.thread_budget_stats()
    assert stats is not None
    assert stats.warning_count == 3
    assert "warning threshold" in caplog.text


def test_budgets_apply_per_thread_only() -> None:
    alloc = _alloc()
    results: dict[str, object] = {}
    ready = threading.Event()

    def worker() -> None:
        ready.wait(timeout=10)
        with alloc.frame_scope():
            try:
                alloc.frame_alloc(np.uint8, 500)
                results["worker"] = "ok"
            except BudgetExceededError:
                results["worker"] = "refused"
            results["remaining"] = alloc.frame_remaining()

    t = threading.Thread(target=worker)
    t.start()
    alloc.set_thread_budget_config(t, _cfg(frame=100))
    ready.set()
    t.join(timeout=10)
    assert not t.is_alive()
    assert results["worker"] == "refused"
    assert results["remaining"] == 100
    with alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 500)  # the main thread has no budget
        assert alloc.thread_budget_stats() is None


def test_argument_errors() -> None:
    alloc = _alloc()
    with pytest.raises(TypeError, match="ThreadBudgetConfig"):
        alloc.set_thread_budget_config(None, "8MB")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="thread_id"):
        alloc.set_thread_budget_config("main", ThreadBudgetConfig())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no live thread has id"):
        alloc.set_thread_budget_config(2**62, ThreadBudgetConfig())
    alloc.set_thread_budget_config(None, None)  # removing with no manager: no-op
    assert alloc.thread_budget_config() is None
    assert alloc.thread_budget_stats() is None


def test_budgets_belong_to_a_thread_not_to_its_os_id() -> None:
    """A strict budget given to a thread (even before it starts) applies to it alone: a
    later thread that the OS gives the same id allocates freely."""
    alloc = _alloc()
    strict = ThreadBudgetConfig(frame_budget=1024, frame_exceeded_policy=BudgetExceededPolicy.FAIL)
    outcomes: list[str] = []

    def work() -> None:
        try:
            with alloc.frame_scope():
                alloc.frame_alloc(np.uint8, 4096)
            outcomes.append("allocated")
        except BudgetExceededError:
            outcomes.append("refused")

    for _ in range(50):
        limited = threading.Thread(target=work)
        alloc.set_thread_budget_config(limited, strict)  # before it starts
        limited.start()
        limited.join(timeout=20)
        free = threading.Thread(target=work)
        free.start()
        free.join(timeout=20)
        if limited.ident == free.ident:
            break
    else:
        pytest.skip("the OS never reused a thread id in 50 tries")
    assert outcomes[-2:] == ["refused", "allocated"]
    assert alloc.thread_budget_config(limited.ident) is None  # the id names no live thread
