"""Tests of frame checkpoints, checkpoint guards and speculative blocks."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from framealloc_engine import (
    AllocConfig,
    FrameExpiredError,
    FrameNotActiveError,
    FrameStateError,
    SmartAlloc,
)
from framealloc_engine.core.checkpoints import FrameCheckpoint, SpeculationFailed


@pytest.fixture
def alloc() -> SmartAlloc:
    return SmartAlloc(AllocConfig.minimal())


# -- frame_checkpoint / rollback_to ---------------------------------------------------------


def test_rollback_frees_everything_after_the_checkpoint(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    keep = alloc.frame_alloc(np.float32, 8)
    keep[:] = 1.5
    used = alloc.thread_stats().frame_in_use
    cp = alloc.frame_checkpoint()
    assert cp.offset == used
    assert cp.frame_number == alloc.frame_number
    alloc.frame_alloc(np.int64, 100)
    alloc.frame_alloc(np.uint8, 3)
    assert alloc.rollback_to(cp) == 2
    assert alloc.thread_stats().frame_in_use == used
    again = alloc.frame_alloc(np.int64, 100)
    assert not np.shares_memory(again, keep)
    np.testing.assert_array_equal(keep, 1.5)
    alloc.end_frame()


def test_rollback_to_the_same_checkpoint_twice_is_allowed(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    cp = alloc.frame_checkpoint()
    alloc.frame_alloc(np.float64, 4)
    assert alloc.rollback_to(cp) == 1
    alloc.frame_alloc(np.float64, 4)
    assert alloc.rollback_to(cp) == 1
    assert cp.rolled_back
    alloc.end_frame()


def test_checkpoint_outside_a_frame_is_fa001(alloc: SmartAlloc) -> None:
    with pytest.raises(FrameNotActiveError) as info:
        alloc.frame_checkpoint()
    assert info.value.code == "FA001"


def test_rollback_to_a_checkpoint_of_an_earlier_frame_is_a_clear_error(
    alloc: SmartAlloc,
) -> None:
    alloc.begin_frame()
    cp = alloc.frame_checkpoint()
    alloc.end_frame()
    with pytest.raises(FrameStateError, match="over") as info:
        alloc.rollback_to(cp)
    assert info.value.code == "FA001"
    alloc.begin_frame()
    assert not cp.is_valid
    with pytest.raises(FrameStateError, match=r"checkpoint of frame 1, but frame 2"):
        alloc.rollback_to(cp)
    alloc.end_frame()


def test_rollback_past_a_checkpoint_makes_it_unusable(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    outer = alloc.frame_checkpoint()
    alloc.frame_alloc(np.uint8, 16)
    inner = alloc.frame_checkpoint()
    alloc.rollback_to(outer)
    assert not inner.is_valid
    with pytest.raises(FrameStateError, match="already went past"):
        alloc.rollback_to(inner)
    alloc.end_frame()


def test_checkpoint_rolled_past_stays_invalid_after_the_frame_regrows(
    alloc: SmartAlloc,
) -> None:
    # Regression: the check used to compare only allocation counts, so once the frame grew
    # back past the stale checkpoint's index it was accepted and its (old) offset put the
    # bump pointer inside a live allocation.
    alloc.begin_frame()
    outer = alloc.frame_checkpoint()
    alloc.frame_alloc(np.uint8, 16)
    inner = alloc.frame_checkpoint()
    alloc.rollback_to(outer)
    big = alloc.frame_alloc(np.uint8, 1024)
    alloc.frame_alloc(np.uint8, 16)
    assert not inner.is_valid
    with pytest.raises(FrameStateError, match="already went past"):
        alloc.rollback_to(inner)
    later = alloc.frame_alloc(np.uint8, 32)
    assert not np.shares_memory(later, big)
    alloc.end_frame()


def test_checkpoint_taken_after_a_rollback_is_valid(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    cp0 = alloc.frame_checkpoint()
    alloc.frame_alloc(np.uint8, 16)
    alloc.rollback_to(cp0)
    alloc.frame_alloc(np.uint8, 64)
    cp1 = alloc.frame_checkpoint()
    alloc.frame_alloc(np.uint8, 64)
    assert cp1.is_valid
    assert cp0.is_valid
    assert alloc.rollback_to(cp1) == 1
    assert alloc.rollback_to(cp0) == 1
    alloc.end_frame()


def test_checkpoint_of_another_thread_is_refused(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    cp = alloc.frame_checkpoint()
    errors: list[BaseException] = []

    def other() -> None:
        alloc.begin_frame()
        try:
            alloc.rollback_to(cp)
        except FrameStateError as exc:
            errors.append(exc)
        finally:
            alloc.end_frame()

    t = threading.Thread(target=other)
    t.start()
    t.join(timeout=10)
    assert not t.is_alive()
    assert len(errors) == 1
    assert "another thread" in str(errors[0])
    alloc.end_frame()


def test_boxes_made_after_a_rolled_back_checkpoint_raise_fa002(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    before = alloc.frame_box(1)
    cp = alloc.frame_checkpoint()
    after = alloc.frame_box(2.5)
    obj_box = alloc.frame_box({"not": "numeric"})
    alloc.rollback_to(cp)
    assert before.get() == 1
    assert not after.is_valid
    with pytest.raises(FrameExpiredError, match="rolled back") as info:
        after.get()
    assert info.value.code == "FA002"
    with pytest.raises(FrameExpiredError):
        obj_box.get()
    fresh = alloc.frame_box(3)
    assert fresh.get() == 3
    alloc.end_frame()
    with pytest.raises(FrameExpiredError):
        before.get()


def test_rollback_keeps_statistics_balanced(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    cp = alloc.frame_checkpoint()
    alloc.frame_alloc(np.float32, 10)
    alloc.frame_alloc(np.float32, 10)
    alloc.rollback_to(cp)
    s = alloc.thread_stats()
    assert s.frame_allocations == 2
    assert s.frame_deallocations == 2
    assert s.frame_in_use == 0
    alloc.end_frame()


# -- checkpoint_guard ---------------------------------------------------------------------


def test_guard_rolls_back_unless_committed(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    with alloc.checkpoint_guard() as guard:
        alloc.frame_alloc(np.float64, 32)
        assert isinstance(guard.checkpoint, FrameCheckpoint)
    assert alloc.thread_stats().frame_in_use == 0
    with alloc.checkpoint_guard() as guard:
        alloc.frame_alloc(np.float64, 32)
        guard.commit()
    assert guard.committed
    assert alloc.thread_stats().frame_in_use == 256
    alloc.end_frame()


def test_guard_rolls_back_on_error_and_lets_it_propagate(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    boxes: list[Any] = []

    def body() -> None:
        with alloc.checkpoint_guard():
            boxes.append(alloc.frame_box(7))
            raise KeyError("no path")

    with pytest.raises(KeyError, match="no path"):
        body()
    (box,) = boxes
    assert not box.is_valid
    assert alloc.thread_stats().frame_in_use == 0
    alloc.end_frame()


def test_nested_guards(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    with alloc.checkpoint_guard() as outer:
        a = alloc.frame_box(1)
        with alloc.checkpoint_guard():
            b = alloc.frame_box(2)
        assert a.is_valid
        assert not b.is_valid
        outer.commit()
    assert a.get() == 1
    alloc.end_frame()


# -- speculative ---------------------------------------------------------------------------


def test_speculative_success_keeps_allocations_and_returns_the_result(
    alloc: SmartAlloc,
) -> None:
    alloc.begin_frame()

    def body(a: Any) -> np.ndarray:
        out: np.ndarray = a.frame_alloc(np.int32, 4)
        out[:] = 9
        return out

    result = alloc.speculative(body)
    assert isinstance(result, np.ndarray)
    np.testing.assert_array_equal(result, 9)
    assert alloc.thread_stats().frame_in_use == 16
    alloc.end_frame()


def test_speculative_returned_failure_rolls_back(alloc: SmartAlloc) -> None:
    alloc.begin_frame()

    def body(a: Any) -> SpeculationFailed:
        a.frame_alloc(np.int32, 4)
        return SpeculationFailed("validation failed")

    result = alloc.speculative(body)
    assert isinstance(result, SpeculationFailed)
    assert result.reason == "validation failed"
    assert alloc.thread_stats().frame_in_use == 0
    alloc.end_frame()


def test_speculative_raised_failure_is_returned_after_rollback(alloc: SmartAlloc) -> None:
    alloc.begin_frame()

    def body(a: Any) -> int:
        a.frame_alloc(np.int32, 4)
        raise SpeculationFailed("dead end")

    result = alloc.speculative(body)
    assert isinstance(result, SpeculationFailed)
    assert result.reason == "dead end"
    assert alloc.thread_stats().frame_in_use == 0
    alloc.end_frame()


def test_speculative_other_exceptions_roll_back_and_propagate(alloc: SmartAlloc) -> None:
    alloc.begin_frame()

    def body(a: Any) -> int:
        a.frame_alloc(np.int32, 4)
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        alloc.speculative(body)
    assert alloc.thread_stats().frame_in_use == 0
    alloc.end_frame()


# -- property test: random allocate/checkpoint/rollback sequences against a model ----------

SIZES = st.sampled_from([1, 3, 16, 40, 100])
DTYPES = st.sampled_from([np.uint8, np.int32, np.float64])


class CheckpointMachine(RuleBasedStateMachine):
    """Live allocations keep their bytes; checkpoints are valid exactly when the model says."""

    debug = False
    checkpoints = Bundle("checkpoints")

    def __init__(self) -> None:
        super().__init__()
        cfg = AllocConfig.minimal().with_frame_arena_size(64 * 1024).with_debug(self.debug)
        self.alloc = SmartAlloc(cfg)
        self.alloc.begin_frame()
        self.frame = 1
        self.stamp = 0
        # model: live allocations in order: (array, stamp, box)
        self.live: list[tuple[np.ndarray, int, Any]] = []
        self.dead_boxes: list[Any] = []
        # checkpoint -> (frame, live count at creation, valid)
        self.model: dict[int, tuple[int, int, bool]] = {}

    @rule(dtype=DTYPES, n=SIZES)
    def allocate(self, dtype: Any, n: int) -> None:
        self.stamp = (self.stamp + 1) % 100
        array = self.alloc.frame_alloc(dtype, n)
        array[...] = self.stamp
        box = self.alloc.frame_box(self.stamp)
        self.live.append((array, self.stamp, box))

    @rule(target=checkpoints)
    def checkpoint(self) -> FrameCheckpoint:
        cp = self.alloc.frame_checkpoint()
        self.model[id(cp)] = (self.frame, len(self.live), True)
        return cp

    @rule(cp=checkpoints)
    def rollback(self, cp: FrameCheckpoint) -> None:
        frame, index, valid = self.model[id(cp)]
        if not (valid and frame == self.frame):
            assert not cp.is_valid
            with pytest.raises(FrameStateError):
                self.alloc.rollback_to(cp)
            return
        assert cp.is_valid
        freed = self.alloc.rollback_to(cp)
        # every allocation came with a box: 2 arena allocations per entry
        assert freed == 2 * (len(self.live) - index)
        self.dead_boxes.extend(box for _, _, box in self.live[index:])
        del self.live[index:]
        for key, (f, i, _v) in self.model.items():
            if i > index:
                self.model[key] = (f, i, False)

    @rule()
    def next_frame(self) -> None:
        self.alloc.end_frame()
        self.alloc.begin_frame()
        self.frame += 1
        self.dead_boxes.extend(box for _, _, box in self.live)
        self.live.clear()

    @invariant()
    def live_allocations_keep_their_values(self) -> None:
        for array, stamp, box in self.live:
            assert (array == stamp).all()
            assert box.get() == stamp

    @invariant()
    def dead_boxes_raise(self) -> None:
        for box in self.dead_boxes[-5:]:
            assert not box.is_valid
            with pytest.raises(FrameExpiredError):
                box.get()

    @invariant()
    def arena_count_matches(self) -> None:
        stats = self.alloc.thread_stats()
        assert stats.frame_allocations - stats.frame_deallocations == 2 * len(self.live)

    def teardown(self) -> None:
        self.alloc.end_frame()


class DebugCheckpointMachine(CheckpointMachine):
    debug = True


TestCheckpointMachine = CheckpointMachine.TestCase
TestDebugCheckpointMachine = DebugCheckpointMachine.TestCase


def test_rolling_back_to_something_that_is_not_a_checkpoint_is_fa001(alloc: SmartAlloc) -> None:
    with alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 8)
        for bad in (None, 3, "checkpoint"):
            with pytest.raises(FrameStateError, match="needs a FrameCheckpoint") as info:
                alloc.rollback_to(bad)  # type: ignore[arg-type]
            assert info.value.code == "FA001"
            assert info.value.help
        assert alloc.current_state().arena.count == 1  # nothing was rolled back
