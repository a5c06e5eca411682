"""Tests of the streaming allocator: lifecycle, eviction order, compaction, errors, threads."""

from __future__ import annotations

import contextlib
import queue
import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from framealloc_engine.errors import AllocationSizeError, StaleHandleError, StreamBudgetError
from framealloc_engine.streaming.allocator import (
    STREAM_ALIGN,
    StreamEviction,
    StreamingAllocator,
    StreamPriority,
    StreamState,
    StreamStateError,
)

LOW, NORMAL, HIGH, CRITICAL = (
    StreamPriority.LOW,
    StreamPriority.NORMAL,
    StreamPriority.HIGH,
    StreamPriority.CRITICAL,
)


def load(s: StreamingAllocator, stream_id: int, fill: int) -> None:
    view = s.begin_load(stream_id)
    view[:] = fill
    s.finish_load(stream_id)


def ready(s: StreamingAllocator, size: int, priority: StreamPriority, fill: int) -> int:
    stream_id = s.reserve(size, priority)
    load(s, stream_id, fill)
    return stream_id


# -- lifecycle --------------------------------------------------------------------------------


def test_lifecycle_reserve_load_access_free() -> None:
    s = StreamingAllocator(4096)
    tex = s.reserve(1000, HIGH)
    assert s.state(tex) is StreamState.RESERVED
    assert s.access(tex) is None
    view = s.begin_load(tex)
    assert view.dtype == np.uint8
    assert view.shape == (1000,)
    assert view.flags.writeable
    assert s.state(tex) is StreamState.LOADING
    assert s.access(tex) is None
    view[:500] = 7
    s.report_progress(tex, 500)
    assert s.info(tex).progress == 500
    view[500:] = 9
    s.finish_load(tex)
    assert s.state(tex) is StreamState.READY
    assert s.info(tex).progress == 1000
    data = s.access(tex)
    assert data is not None
    assert data.shape == (1000,)
    assert not data.flags.writeable
    assert data[:500].sum() == 7 * 500
    assert data[500:].sum() == 9 * 500
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 1  # the loader's view is frozen by finish_load
    s.free(tex)
    with pytest.raises(StaleHandleError) as info:
        s.state(tex)
    assert info.value.code == "FA401"
    assert info.value.note is not None
    assert "freed" in info.value.note
    assert info.value.help


def test_reserve_tagged_and_info() -> None:
    s = StreamingAllocator(4096)
    a = s.reserve_tagged(100, LOW, "level1/rock.png")
    info = s.info(a)
    assert (info.stream_id, info.size, info.priority, info.tag) == (a, 100, LOW, "level1/rock.png")
    assert info.state is StreamState.RESERVED
    assert not info.pinned
    assert s.reserve(10) == a + 1  # ids increase and are never reused
    assert s.info(s.reserve(np.int64(10), 2)).priority is HIGH  # numpy ints, int priorities
    assert s.info(a + 1).priority is NORMAL


def test_entries_are_aligned_and_charged_in_cache_lines() -> None:
    s = StreamingAllocator(4096)
    a, b = s.reserve(1), s.reserve(65)
    for stream_id in (a, b):
        assert s.begin_load(stream_id).ctypes.data % STREAM_ALIGN == 0
    st_ = s.stats()
    assert (st_.used_bytes, st_.requested_bytes) == (64 + 128, 66)


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, -1, 1.5, True, "8"])
def test_bad_reservation_sizes(size: Any) -> None:
    with pytest.raises(AllocationSizeError) as info:
        StreamingAllocator(4096).reserve(size)
    assert info.value.code == "FA004"


@pytest.mark.parametrize("budget", [0, 63, 1.0, True])
def test_bad_budgets(budget: Any) -> None:
    with pytest.raises(AllocationSizeError):
        StreamingAllocator(budget)


def test_unknown_id_is_stale() -> None:
    s = StreamingAllocator(4096)
    for op in (s.state, s.begin_load, s.finish_load, s.free, s.access, s.info):
        with pytest.raises(StaleHandleError, match="unknown stream id 99") as info:
            op(99)
        assert info.value.note is not None
        assert "never issued" in info.value.note
    with pytest.raises(StaleHandleError):
        s.report_progress(99, 0)
    with pytest.raises(StaleHandleError), s.pinned(99):
        pass  # pragma: no cover


def test_state_errors() -> None:
    s = StreamingAllocator(4096)
    a = s.reserve(100)
    with pytest.raises(StreamStateError, match="needs state LOADING, but it is RESERVED"):
        s.finish_load(a)
    with pytest.raises(StreamStateError):
        s.report_progress(a, 0)
    s.begin_load(a)
    with pytest.raises(StreamStateError, match="begin_load.*LOADING") as info:
        s.begin_load(a)
    assert info.value.code == "FA401"
    assert info.value.help
    with pytest.raises(StreamStateError, match="while it is loading"):
        s.free(a)
    s.finish_load(a)
    with pytest.raises(StreamStateError):
        s.finish_load(a)
    with pytest.raises(StreamStateError):
        s.begin_load(a)


@pytest.mark.parametrize("progress", [-1, 101, 2.5, True])
def test_progress_is_validated(progress: Any) -> None:
    s = StreamingAllocator(4096)
    a = s.reserve(100)
    s.begin_load(a)
    with pytest.raises(AllocationSizeError, match=r"outside \[0, 100\]") as info:
        s.report_progress(a, progress)
    assert info.value.note is not None
    s.report_progress(a, 100)
    s.report_progress(a, 0)  # a restarted load may report less again
    assert s.info(a).progress == 0


def test_request_larger_than_budget_is_fa402() -> None:
    s = StreamingAllocator(1000)
    with pytest.raises(StreamBudgetError) as info:
        s.reserve(1000, CRITICAL)  # 1000 rounds up to 1024 > 960 usable
    err = info.value
    assert err.code == "FA402"
    assert isinstance(err, MemoryError)
    assert err.note is not None
    assert "budget 1000 B" in err.note
    assert "request 1000 B" in err.note
    assert err.help is not None
    assert "free()" in err.help
    assert s.stats().failed_reservations == 1


def test_failed_reservation_evicts_nothing_and_names_what_is_evictable() -> None:
    s = StreamingAllocator(1024)
    low = ready(s, 256, LOW, 1)
    ready(s, 256, HIGH, 2)
    loading = s.reserve(256, NORMAL)
    s.begin_load(loading)
    with pytest.raises(StreamBudgetError) as info:
        s.reserve(768, NORMAL)  # free 256 + evictable 256 (only the LOW one) < 768
    assert info.value.note is not None
    assert "evictable 256 B in 1 READY entry of priority below NORMAL" in info.value.note
    assert "1 LOADING (256 B)" in info.value.note
    assert s.state(low) is StreamState.READY


# -- eviction ---------------------------------------------------------------------------------


def test_eviction_order_lower_priority_first_then_lru() -> None:
    s = StreamingAllocator(64 * 6)
    evicted: list[StreamEviction] = []
    s.set_eviction_callback(evicted.append)
    normal_old = ready(s, 64, NORMAL, 1)
    low_old = ready(s, 64, LOW, 2)
    normal_new = ready(s, 64, NORMAL, 3)
    low_new = ready(s, 64, LOW, 4)
    high = ready(s, 64, HIGH, 5)
    s.access(low_old)  # low_old is now more recent than low_new
    s.access(normal_old)
    ready(s, 64, HIGH, 6)  # fills the budget without eviction
    assert evicted == []
    s.reserve(64 * 3, HIGH)
    assert [e.stream_id for e in evicted] == [low_new, low_old, normal_new]
    assert evicted[0] == StreamEviction(low_new, 64, LOW, None)
    for stream_id in (low_new, low_old, normal_new):
        assert s.state(stream_id) is StreamState.EVICTED
        assert s.access(stream_id) is None
    assert s.state(normal_old) is StreamState.READY
    assert s.state(high) is StreamState.READY
    stats = s.stats()
    assert (stats.evictions_total, stats.evicted_bytes_total, stats.evicted) == (3, 192, 3)


def test_never_evicts_equal_priority_loading_or_pinned() -> None:
    s = StreamingAllocator(64 * 4)
    same = ready(s, 64, HIGH, 1)
    loading = s.reserve(64, LOW)
    s.begin_load(loading)
    pinned = ready(s, 64, LOW, 3)
    reserved = s.reserve(64, LOW)
    with s.pinned(pinned) as data:
        assert data is not None
        assert s.info(pinned).pinned
        with pytest.raises(StreamBudgetError):
            s.reserve(64, HIGH)
        with pytest.raises(StreamStateError, match="pinned"):
            s.free(pinned)
    del data  # a view still referenced keeps its entry in place (and out of eviction)
    assert [s.state(i) for i in (same, loading, pinned, reserved)] == [
        StreamState.READY,
        StreamState.LOADING,
        StreamState.READY,
        StreamState.RESERVED,
    ]
    s.reserve(64, HIGH)  # unpinned now: evicts the LOW READY entry
    assert s.state(pinned) is StreamState.EVICTED


def test_evicted_entries_can_be_freed_but_not_loaded() -> None:
    s = StreamingAllocator(128)
    a = ready(s, 128, LOW, 1)
    s.reserve(128, NORMAL)
    assert s.state(a) is StreamState.EVICTED
    with pytest.raises(StreamStateError, match="EVICTED"):
        s.begin_load(a)
    with s.pinned(a) as data:
        assert data is None
    s.free(a)
    with pytest.raises(StaleHandleError):
        s.state(a)


def test_eviction_callback_may_reenter_and_can_be_removed() -> None:
    s = StreamingAllocator(256)
    reloads: list[int] = []

    def on_evict(ev: StreamEviction) -> None:
        s.free(ev.stream_id)  # outside the lock: reentry is fine
        reloads.append(ev.stream_id)

    s.set_eviction_callback(on_evict)
    a = ready(s, 128, LOW, 1)
    s.reserve_tagged(256, HIGH, "boss.mesh")
    assert reloads == [a]
    with pytest.raises(StaleHandleError):
        s.state(a)
    s.set_eviction_callback(None)


# -- compaction -------------------------------------------------------------------------------


def test_compaction_moves_ready_and_reserved_but_not_loading() -> None:
    s = StreamingAllocator(64 * 8)
    ids = [s.reserve(64, NORMAL) for _ in range(8)]
    for i in ids[:4]:
        load(s, i, i)
    loader_view = s.begin_load(ids[6])
    loader_view[:] = 66
    for i in (ids[0], ids[2], ids[5], ids[7]):
        s.free(i)
    # 4 free cache lines in four holes; the LOADING entry at line 6 stays put
    big = s.reserve(64 * 3, NORMAL)
    assert s.stats().compactions_total == 1
    assert s.stats().evictions_total == 0
    for i in (ids[1], ids[3]):
        data = s.access(i)
        assert data is not None
        assert (data == i).all()
    assert s.state(ids[4]) is StreamState.RESERVED
    loader_view[:] = 67  # still the entry's memory
    s.finish_load(ids[6])
    data = s.access(ids[6])
    assert data is not None
    assert (data == 67).all()
    s.begin_load(big)[:] = 5
    assert (s.access(ids[1]) == ids[1]).all()  # type: ignore[union-attr]


def test_debug_poisons_evicted_memory() -> None:
    s = StreamingAllocator(128, debug=True)
    ready(s, 128, LOW, 1)
    b = s.reserve(128, HIGH)
    assert (s.begin_load(b) == 0xCD).all()


def test_stats_and_repr() -> None:
    s = StreamingAllocator(1024)
    ready(s, 100, LOW, 1)
    s.begin_load(s.reserve(100))
    s.reserve(100)
    st_ = s.stats()
    assert (st_.budget_bytes, st_.used_bytes, st_.free_bytes) == (1024, 384, 640)
    assert (st_.reserved, st_.loading, st_.ready, st_.evicted) == (1, 1, 1, 0)
    assert st_.peak_used_bytes == 384
    assert st_.largest_free == 640
    assert len(s) == 3
    assert "entries=3" in repr(s)
    assert s.budget_bytes == 1024


# -- threads ------------------------------------------------------------------------------


def test_loader_thread_while_main_thread_accesses_and_churns() -> None:
    s = StreamingAllocator(64 * 1024)
    assets = {s.reserve(8192, HIGH): (n + 1) * 17 % 251 for n in range(4)}
    work: queue.Queue[int | None] = queue.Queue()
    done = threading.Event()
    failures: list[BaseException] = []

    def loader() -> None:
        try:
            while (stream_id := work.get(timeout=30)) is not None:
                view = s.begin_load(stream_id)
                for start in range(0, view.size, 1024):
                    view[start : start + 1024] = assets[stream_id]
                    s.report_progress(stream_id, start + 1024)
                s.finish_load(stream_id)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=loader)
    thread.start()
    for stream_id in assets:
        work.put(stream_id)
    work.put(None)
    # Meanwhile: access whatever is ready, and churn LOW entries so the main thread
    # evicts and compacts around the entries the loader is writing.
    churn: list[int] = []
    for step in range(3000):
        if done.is_set() and step > 200:
            break
        for stream_id, fill in assets.items():
            data = s.access(stream_id)
            if data is not None:
                assert data[0] == fill
                assert data[-1] == fill
        with contextlib.suppress(StreamBudgetError):  # LOW cannot evict LOW; frees below
            churn.append(ready(s, 1024 * (1 + step % 7), LOW, step % 256))
        if len(churn) > 6:
            for stream_id in churn[::2]:
                if s.state(stream_id) is not StreamState.EVICTED:
                    assert s.access(stream_id) is not None
                s.free(stream_id)
            churn = churn[1::2]
    assert done.wait(timeout=30)
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert failures == []
    for stream_id, fill in assets.items():
        with s.pinned(stream_id) as data:
            assert data is not None
            assert (data == fill).all()
    assert s.stats().compactions_total > 0
    assert s.stats().used_bytes <= s.budget_bytes


# -- property: budget, eviction order, intact data ------------------------------------------

BUDGET = 64 * 24


class StreamingMachine(RuleBasedStateMachine):
    """Never over budget; evicts lower priority first, LRU within a priority; keeps data."""

    def __init__(self) -> None:
        super().__init__()
        self.s = StreamingAllocator(BUDGET)
        self.model: dict[int, dict[str, Any]] = {}
        self.clock = 0
        self.evicted_log: list[int] = []
        self.s.set_eviction_callback(lambda ev: self.evicted_log.append(ev.stream_id))

    @initialize(sizes=st.lists(st.integers(1, 64 * 4), min_size=2, max_size=5))
    def start_with_ready_low_and_normal_entries(self, sizes: list[int]) -> None:
        for n, size in enumerate(sizes):
            self.reserve(size, StreamPriority(n % 2))
        for stream_id in self.ids(StreamState.RESERVED):
            m = self.model[stream_id]
            m["view"] = self.s.begin_load(stream_id)
            m["view"][: m["size"] // 2] = stream_id % 256
            m["state"] = StreamState.LOADING
            self.finish(stream_id)

    def ids(self, state: StreamState) -> list[int]:
        return sorted(i for i, m in self.model.items() if m["state"] is state)

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    @rule(size=st.integers(1, 64 * 10), priority=st.sampled_from(list(StreamPriority)))
    def reserve(self, size: int, priority: StreamPriority) -> None:
        block = -(-size // 64) * 64
        candidates = sorted(
            (i for i in self.ids(StreamState.READY) if self.model[i]["priority"] < priority),
            key=lambda i: (self.model[i]["priority"], self.model[i]["tick"]),
        )
        evictable = sum(self.model[i]["block"] for i in candidates)
        free_before = self.s.stats().free_bytes
        self.evicted_log.clear()
        compactions = self.s.stats().compactions_total
        try:
            stream_id = self.s.reserve(size, priority)
        except StreamBudgetError:
            event("reserve refused")
            if self.evicted_log:  # only when LOADING entries split the free space
                assert self.evicted_log == candidates
            else:
                assert free_before + evictable < block or free_before >= block
        else:
            event(f"reserve evicted {min(len(self.evicted_log), 2)}")
            if self.s.stats().compactions_total > compactions:
                event("reserve compacted")
            assert self.evicted_log == candidates[: len(self.evicted_log)]
            self.model[stream_id] = {
                "size": size,
                "block": block,
                "priority": priority,
                "state": StreamState.RESERVED,
                "tick": 0,
                "data": None,
            }
        for i in self.evicted_log:
            self.model[i]["state"] = StreamState.EVICTED
            self.model[i]["data"] = None
        for i, m in self.model.items():
            assert self.s.state(i) is m["state"]

    def finish(self, stream_id: int) -> None:
        m = self.model[stream_id]
        view = m.pop("view")
        view[m["size"] // 2 :] = (stream_id * 7) % 256
        self.s.report_progress(stream_id, m["size"])
        expected = np.empty(m["size"], np.uint8)
        expected[: m["size"] // 2] = stream_id % 256
        expected[m["size"] // 2 :] = (stream_id * 7) % 256
        self.s.finish_load(stream_id)
        m["state"] = StreamState.READY
        m["tick"] = self.tick()
        m["data"] = expected.tobytes()

    @precondition(lambda self: self.ids(StreamState.RESERVED))
    @rule(data=st.data())
    def begin_load(self, data: st.DataObject) -> None:
        stream_id = data.draw(st.sampled_from(self.ids(StreamState.RESERVED)))
        m = self.model[stream_id]
        view = self.s.begin_load(stream_id)
        view[: m["size"] // 2] = stream_id % 256  # the rest is written at finish
        m["state"] = StreamState.LOADING
        m["view"] = view

    @precondition(lambda self: self.ids(StreamState.LOADING))
    @rule(data=st.data())
    def report_progress_and_finish(self, data: st.DataObject) -> None:
        self.finish(data.draw(st.sampled_from(self.ids(StreamState.LOADING))))

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def access(self, data: st.DataObject) -> None:
        stream_id = data.draw(st.sampled_from(sorted(self.model)))
        m = self.model[stream_id]
        got = self.s.access(stream_id)
        if m["state"] is StreamState.READY:
            assert got is not None
            assert got.tobytes() == m["data"]
            m["tick"] = self.tick()
        else:
            assert got is None

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def free(self, data: st.DataObject) -> None:
        stream_id = data.draw(st.sampled_from(sorted(self.model)))
        if self.model[stream_id]["state"] is StreamState.LOADING:
            with pytest.raises(StreamStateError):
                self.s.free(stream_id)
            return
        self.s.free(stream_id)
        del self.model[stream_id]
        with pytest.raises(StaleHandleError):
            self.s.access(stream_id)

    @invariant()
    def never_over_budget_and_accounting_matches(self) -> None:
        stats = self.s.stats()
        assert stats.used_bytes <= BUDGET
        live = [m for m in self.model.values() if m["state"] is not StreamState.EVICTED]
        assert stats.used_bytes == sum(m["block"] for m in live)
        assert stats.requested_bytes == sum(m["size"] for m in live)

    @invariant()
    def ready_data_is_intact(self) -> None:
        # Read in LRU order so the relative recency the model tracks is unchanged.
        for stream_id in sorted(self.ids(StreamState.READY), key=lambda i: self.model[i]["tick"]):
            got = self.s.access(stream_id)
            assert got is not None
            assert got.tobytes() == self.model[stream_id]["data"]
            self.model[stream_id]["tick"] = self.tick()


TestStreamingMachine = StreamingMachine.TestCase


def test_set_priority_changes_what_may_be_evicted() -> None:
    streaming = StreamingAllocator(4096)
    near = streaming.reserve(2048, StreamPriority.LOW)
    far = streaming.reserve(2048, StreamPriority.HIGH)
    for sid in (near, far):
        streaming.begin_load(sid)
        streaming.finish_load(sid)
    assert streaming.set_priority(near, StreamPriority.CRITICAL) is StreamPriority.LOW
    assert streaming.set_priority(far, StreamPriority.LOW) is StreamPriority.HIGH
    streaming.reserve(2048, StreamPriority.NORMAL)  # evicts the demoted entry, not the other
    assert streaming.state(far) is StreamState.EVICTED
    assert streaming.state(near) is StreamState.READY
    with pytest.raises(TypeError):
        streaming.set_priority(near, 3)  # type: ignore[arg-type]
    with pytest.raises(StaleHandleError):
        streaming.set_priority(999, StreamPriority.LOW)
