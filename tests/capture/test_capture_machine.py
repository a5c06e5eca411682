"""A Hypothesis state machine over capture_numpy(): captured and uncaptured arrays, frames
beginning and ending, arrays kept across frames, made on other threads and freed here.

The invariant is the safety contract: no two live arrays share bytes, and every array still
holds the values it was given, whatever happened to the frames since.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from framealloc_engine import AllocConfig, SmartAlloc
from framealloc_engine.allocators import backend

pytestmark = pytest.mark.skipif(not backend.NATIVE_AVAILABLE, reason="native core not loaded")

SIZES = st.sampled_from([1, 8, 40, 300, 4096, 20_000, 200_000])  # small, chunked and big


class CaptureMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.alloc = SmartAlloc(AllocConfig(frame_arena_size=1 << 20))
        self.arrays: list[tuple[np.ndarray, float]] = []
        self.frame = False
        self.scopes = ExitStack()
        self.captures = 0
        self.value = 0.0

    def _next(self) -> float:
        self.value += 1.0
        return self.value

    @precondition(lambda self: not self.frame)
    @rule()
    def begin_frame(self) -> None:
        self.alloc.begin_frame()
        self.frame = True

    @precondition(lambda self: self.frame and self.captures == 0)
    @rule()
    def end_frame(self) -> None:
        self.alloc.end_frame()
        self.frame = False

    @precondition(lambda self: self.captures < 2)
    @rule()
    def enter_capture(self) -> None:
        self.scopes.enter_context(self.alloc.capture_numpy())
        self.captures += 1

    @precondition(lambda self: self.captures > 0)
    @rule()
    def exit_capture(self) -> None:
        self.scopes.close()
        self.captures = 0

    @precondition(lambda self: len(self.arrays) < 24)
    @rule(size=SIZES)
    def make(self, size: int) -> None:
        value = self._next()
        self.arrays.append((np.full(size, value), value))

    @precondition(lambda self: len(self.arrays) < 24 and self.arrays)
    @rule(data=st.data())
    def compute(self, data: st.DataObject) -> None:
        array, value = data.draw(st.sampled_from(self.arrays))
        doubled = array * 2.0 + 0.0  # temporaries, one result
        self.arrays.append((doubled, value * 2.0))

    @precondition(lambda self: self.arrays)
    @rule(data=st.data())
    def drop(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.arrays) - 1))
        del self.arrays[index]

    @precondition(lambda self: self.arrays)
    @rule(data=st.data())
    def write(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.arrays) - 1))
        array, _ = self.arrays[index]
        value = self._next()
        array[...] = value
        self.arrays[index] = (array, value)

    @precondition(lambda self: len(self.arrays) < 24)
    @rule(size=SIZES, capture=st.booleans())
    def from_another_thread(self, size: int, capture: bool) -> None:
        made: list[Any] = []
        value = self._next()

        def work() -> None:
            with self.alloc.frame_scope(capture_numpy=capture):
                scratch = np.full(size, -1.0)
                made.append(np.full(size, value))
                del scratch

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive()
        self.arrays.append((made[0], value))  # kept past the worker's frame; freed here later

    @invariant()
    def no_two_live_arrays_share_bytes_and_values_hold(self) -> None:
        arrays = self.arrays
        for i, (array, value) in enumerate(arrays):
            assert np.all(array == value), (i, value)
            for other, _ in arrays[i + 1 :]:
                assert not np.shares_memory(array, other)

    def teardown(self) -> None:
        self.scopes.close()
        if self.frame:
            self.alloc.end_frame()
        self.arrays.clear()


TestCaptureMachine = CaptureMachine.TestCase
