"""A Hypothesis state machine over the whole allocator surface; its invariant is the safety
contract: no two live allocations share bytes, and references kept past a free, a frame end,
a rollback, a reset or a defragment never change live data, however they are written to.

Frames, pools, the heap, handles (with defragment), streaming, groups, scratch pools and
threads that start, allocate and exit all take part; stats balance at the end.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from framealloc_engine import AllocConfig, SmartAlloc, StreamPriority, StreamState

Vertex = np.dtype([("pos", "f4", 3), ("uv", "f4", 2)])
DTYPES = st.sampled_from([np.dtype(np.uint8), np.dtype(np.float32), Vertex])
SHAPES = st.sampled_from([1, 3, 8, (2, 3), (4, 2)])
ALIASES = st.sampled_from(["self", "slice", "reshape", "transpose", "field"])


def _alias(array: np.ndarray, how: str) -> np.ndarray:
    if how == "slice":
        return array[1:] if array.shape and array.shape[0] > 1 else array[...]
    if how == "reshape":
        return array.reshape(-1)
    if how == "transpose":
        return array.T
    if how == "field" and array.dtype.names:
        return array[array.dtype.names[0]]
    return array


def _stamp(array: np.ndarray, value: int) -> None:
    array.view(np.uint8)[...] = value if array.flags.c_contiguous else 0
    if not array.flags.c_contiguous:  # pragma: no cover - every allocation is contiguous
        raise AssertionError("allocations are contiguous")


def _holds(array: np.ndarray, value: int) -> bool:
    return bool((array.view(np.uint8) == value).all())


class ContractMachine(RuleBasedStateMachine):
    """Live allocations (kind, array, stamp, owner key) and stale references kept by a user."""

    def __init__(self) -> None:
        super().__init__()
        cfg = AllocConfig.minimal().with_frame_arena_size(256 * 1024)
        self.alloc = SmartAlloc(cfg)
        self.handles = self.alloc.handles(64 * 1024)
        self.streaming = self.alloc.streaming(16 * 1024)
        self.scratch = self.alloc.scratch_pool("machine", 16 * 1024)
        self.groups = self.alloc.groups()
        self.group = self.groups.create_group("machine")
        self.alloc.begin_frame()
        self.stamp = 1
        # kind -> list of (array or key, stamp)
        self.frame: list[tuple[np.ndarray, int]] = []
        self.pool: list[tuple[np.ndarray, int]] = []
        self.heap: list[tuple[np.ndarray, int]] = []
        self.handle_list: list[tuple[Any, int]] = []
        self.streams: list[tuple[int, int]] = []
        self.members: list[tuple[Any, int]] = []
        self.scratch_arrays: list[tuple[np.ndarray, int]] = []
        self.stale: list[np.ndarray] = []
        #: Live allocations a kept reference may legally write to (its own bytes): their
        #: values are not checked, only that they share bytes with no other allocation.
        self.tainted: set[int] = set()

    def _next(self) -> int:
        self.stamp = self.stamp % 250 + 1
        return self.stamp

    def _keep(self, array: np.ndarray, how: str) -> None:
        if len(self.stale) < 12:
            self.stale.append(_alias(array, how))

    # --- frames -----------------------------------------------------------------------------

    @rule(dtype=DTYPES, shape=SHAPES)
    def frame_alloc(self, dtype: np.dtype[Any], shape: Any) -> None:
        array = self.alloc.frame_alloc(dtype, shape)
        value = self._next()
        _stamp(array, value)
        self.frame.append((array, value))

    @rule(how=ALIASES, keep=st.booleans())
    def next_frame(self, how: str, keep: bool) -> None:
        if keep and self.frame:
            self._keep(self.frame[-1][0], how)
        self.frame.clear()
        self.alloc.end_frame()
        self.alloc.begin_frame()

    @rule(dtype=DTYPES, shape=SHAPES, how=ALIASES, keep=st.booleans())
    def speculate(self, dtype: np.dtype[Any], shape: Any, how: str, keep: bool) -> None:
        checkpoint = self.alloc.frame_checkpoint()
        array = self.alloc.frame_alloc(dtype, shape)
        _stamp(array, 99)
        if keep:
            self._keep(array, how)
        del array
        self.alloc.rollback_to(checkpoint)

    # --- pools and the heap -----------------------------------------------------------------

    @rule(dtype=DTYPES, shape=SHAPES, big=st.booleans())
    def block_alloc(self, dtype: np.dtype[Any], shape: Any, big: bool) -> None:
        value = self._next()
        if big:
            array = self.alloc.heap_alloc(dtype, (64, 8) if isinstance(shape, int) else shape)
            _stamp(array, value)
            self.heap.append((array, value))
        else:
            array = self.alloc.pool_alloc(dtype, shape)
            _stamp(array, value)
            self.pool.append((array, value))

    @precondition(lambda self: self.pool or self.heap)
    @rule(data=st.data(), how=ALIASES, keep=st.booleans())
    def block_free(self, data: st.DataObject, how: str, keep: bool) -> None:
        lists = [lst for lst in (self.pool, self.heap) if lst]
        chosen = data.draw(st.sampled_from(lists))
        array, _ = chosen.pop(data.draw(st.integers(0, len(chosen) - 1)))
        if chosen is self.pool:
            self.alloc.pool_free(array)
        else:
            self.alloc.heap_free(array)
        if keep:
            self._keep(array, how)

    # --- handles, streaming, groups, scratch ------------------------------------------------

    @rule(shape=SHAPES)
    def handle_alloc(self, shape: Any) -> None:
        handle = self.handles.alloc(np.uint8, (64, 4) if isinstance(shape, int) else shape)
        value = self._next()
        _stamp(self.handles.resolve(handle), value)
        self.handle_list.append((handle, value))

    @precondition(lambda self: self.handle_list)
    @rule(index=st.integers(0, 100), how=ALIASES, keep=st.booleans())
    def handle_free(self, index: int, how: str, keep: bool) -> None:
        handle, _ = self.handle_list.pop(index % len(self.handle_list))
        if keep:
            self._keep(self.handles.resolve(handle), how)
        self.handles.free(handle)

    @rule(how=ALIASES, keep=st.booleans())
    def defragment(self, how: str, keep: bool) -> None:
        if keep and self.handle_list:
            handle, value = self.handle_list[0]
            self._keep(self.handles.resolve(handle), how)  # pins it in place
            self.tainted.add(value)
        self.handles.defragment()

    @rule(size=st.sampled_from([256, 1024, 3000]), keep=st.booleans())
    def stream(self, size: int, keep: bool) -> None:
        try:
            entry = self.streaming.reserve(size, StreamPriority.NORMAL)
        except Exception:  # noqa: BLE001 - a full budget is allowed here
            return
        view = self.streaming.begin_load(entry)
        value = self._next()
        view[...] = value
        if keep:  # a loader's slice kept past finish_load
            self._keep(view, "slice")
            self.tainted.add(value)
        del view
        self.streaming.finish_load(entry)
        self.streams.append((entry, value))

    @precondition(lambda self: self.streams)
    @rule(index=st.integers(0, 100))
    def stream_free(self, index: int) -> None:
        entry, _ = self.streams.pop(index % len(self.streams))
        self.streaming.free(entry)

    @rule(shape=SHAPES)
    def group_alloc(self, shape: Any) -> None:
        member = self.groups.alloc(self.group, np.uint8, shape)
        value = self._next()
        _stamp(member.array, value)
        self.members.append((member, value))

    @rule(how=ALIASES, keep=st.booleans())
    def free_group(self, how: str, keep: bool) -> None:
        if keep and self.members:
            self._keep(self.members[0][0].array, how)
        self.groups.free_group(self.group)
        self.members.clear()
        self.group = self.groups.create_group("machine")

    @rule(shape=SHAPES)
    def scratch_alloc(self, shape: Any) -> None:
        array = self.scratch.try_alloc(np.uint8, shape)
        if array is not None:
            value = self._next()
            _stamp(array, value)
            self.scratch_arrays.append((array, value))

    @rule(how=ALIASES, keep=st.booleans())
    def scratch_reset(self, how: str, keep: bool) -> None:
        if keep and self.scratch_arrays:
            self._keep(self.scratch_arrays[-1][0], how)
        self.scratch_arrays.clear()
        self.scratch.reset()

    # --- threads ----------------------------------------------------------------------------

    @rule(frees=st.booleans())
    def thread_comes_and_goes(self, frees: bool) -> None:
        """A thread runs a frame, allocates a pool block the main thread keeps (and maybe
        frees: a cross-thread free), and exits."""
        handed: list[np.ndarray] = []

        def work() -> None:
            with self.alloc.frame_scope():
                self.alloc.frame_alloc(np.float32, 16)[...] = 1
            handed.append(self.alloc.pool_alloc(np.uint8, 16))

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive()
        array = handed.pop()
        value = self._next()
        _stamp(array, value)
        if frees:
            self.alloc.pool_free(array)
            self._keep(array, "slice")
        else:
            self.pool.append((array, value))

    # --- the contract -----------------------------------------------------------------------

    @rule(value=st.integers(0, 255))
    def write_through_stale_references(self, value: int) -> None:
        for ref in self.stale:
            try:
                ref.flags.writeable = True
            except ValueError:
                continue  # numpy refuses to re-open it: nothing can be written
            if ref.flags.c_contiguous:
                ref.view(np.uint8)[...] = value
            else:  # a transpose or a field view: numeric, written element by element
                ref[...] = value

    def _live(self) -> list[tuple[np.ndarray, int]]:
        arrays = [*self.frame, *self.pool, *self.heap, *self.scratch_arrays]
        arrays += [(self.handles.resolve(h), v) for h, v in self.handle_list]
        arrays += [(m.array, v) for m, v in self.members]
        for entry, value in self.streams:
            if self.streaming.state(entry) is StreamState.READY:
                data = self.streaming.access(entry)
                assert data is not None
                arrays.append((data, value))
        return arrays

    @invariant()
    def live_allocations_keep_their_values(self) -> None:
        for array, value in self._live():
            assert value in self.tainted or _holds(array, value)

    @invariant()
    def no_two_live_allocations_share_bytes(self) -> None:
        live = [a for a, _ in self._live() if a.nbytes]
        for i, a in enumerate(live):
            for b in live[i + 1 :]:
                assert not np.shares_memory(a, b)

    def teardown(self) -> None:
        self.alloc.end_frame()
        for array, _ in self.pool:
            self.alloc.pool_free(array)
        for array, _ in self.heap:
            self.alloc.heap_free(array)
        self.pool.clear()
        self.heap.clear()
        self.groups.free_group(self.group)
        stats = self.alloc.stats()
        assert stats.pool_allocated == 0
        assert stats.heap_allocated == 0


ContractMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=40, deadline=None
)
TestContract = ContractMachine.TestCase
