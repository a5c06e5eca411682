"""Tests of the handle allocator: handles, pins, defragmentation, errors, threads."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
)

from framealloc_engine.errors import (
    AllocationSizeError,
    AllocationTypeError,
    BudgetExceededError,
    StaleHandleError,
)
from framealloc_engine.handles.allocator import (
    Handle,
    HandleAllocator,
    HandlePinError,
    HandleSpaceError,
    Relocation,
)

Vertex = np.dtype([("pos", "f4", 3), ("uv", "f4", 2)])


# -- Handle -----------------------------------------------------------------------------------


def test_handle_is_small_frozen_hashable_and_ordered() -> None:
    a, b = Handle(1, 0), Handle(1, 2)
    assert a < b < Handle(2, 0)
    assert {a: "x"}[Handle(1, 0)] == "x"
    assert a != (1, 0)  # type: ignore[comparison-overlap]
    assert not hasattr(a, "__dict__")
    with pytest.raises(AttributeError):
        a.index = 3  # type: ignore[misc]


def test_handle_rejects_negative_fields() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        Handle(-1, 0)


# -- alloc / resolve / free ----------------------------------------------------------------


def test_alloc_resolve_roundtrip_with_structured_dtype() -> None:
    handles = HandleAllocator(capacity_bytes=4096)
    h = handles.alloc(Vertex, 4)
    verts = handles.resolve(h)
    assert verts.dtype == Vertex
    assert verts.shape == (4,)
    verts["pos"] = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert handles.resolve(h)["pos"][3, 2] == 11.0
    assert handles.resolve(h) is verts  # cached view: resolve is a lookup


def test_scalar_and_zero_size_shapes() -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    scalar = handles.alloc(np.float64)
    empty = handles.alloc(np.int32, (0, 3))
    assert handles.resolve(scalar).shape == ()
    assert handles.resolve(empty).shape == (0, 3)
    assert handles.stats().bytes_used == 8


def test_blocks_are_aligned_to_at_least_16() -> None:
    handles = HandleAllocator(capacity_bytes=4096)
    offsets = [handles.offset_of(handles.alloc(np.uint8, 3)) for _ in range(5)]
    assert all(o % 16 == 0 for o in offsets)
    c = handles.alloc(np.complex128, 2)
    assert handles.resolve(c).ctypes.data % max(16, np.dtype(np.complex128).alignment) == 0


@pytest.mark.parametrize("spec", [object, np.dtype([("a", "f4"), ("o", "O")])])
def test_object_dtypes_are_refused(spec: Any) -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    with pytest.raises(AllocationTypeError) as info:
        handles.alloc(spec, 2)
    assert info.value.code == "FA004"
    assert info.value.help


@pytest.mark.parametrize("spec", ["not-a-dtype", "S0"])
def test_bad_and_unsized_dtypes_are_refused(spec: str) -> None:
    with pytest.raises(AllocationTypeError):
        HandleAllocator(capacity_bytes=1024).alloc(spec, 2)


@pytest.mark.parametrize("shape", [-1, (2, -3), (1.5,), (True,)])
def test_bad_shapes_are_refused(shape: Any) -> None:
    with pytest.raises(AllocationSizeError) as info:
        HandleAllocator(capacity_bytes=1024).alloc(np.float32, shape)
    assert info.value.code == "FA004"


def test_request_larger_than_capacity_is_a_size_error() -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    with pytest.raises(AllocationSizeError, match="whole capacity of 1024"):
        handles.alloc(np.float32, 257)


@pytest.mark.parametrize("capacity", [0, -5, 1.5, True])
def test_bad_capacity_is_refused(capacity: Any) -> None:
    with pytest.raises(AllocationSizeError):
        HandleAllocator(capacity_bytes=capacity)


def test_freed_handle_is_stale_with_note_and_help() -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    h = handles.alloc(np.float32, 4)
    view = handles.resolve(h)
    handles.free(h)
    assert not handles.is_valid(h)
    with pytest.raises(StaleHandleError) as info:
        handles.resolve(h)
    err = info.value
    assert err.code == "FA401"
    assert f"index 0, generation {h.generation}" in err.message
    assert err.note is not None
    assert f"generation {h.generation + 1}" in err.note
    assert err.help
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 1.0  # the handed-out view was frozen on free
    for op in (handles.free, handles.pin, handles.unpin, handles.offset_of):
        with pytest.raises(StaleHandleError):
            op(h)


def test_slot_reuse_bumps_generation_and_old_handle_stays_stale() -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    old = handles.alloc(np.int64, 2)
    handles.free(old)
    new = handles.alloc(np.int64, 2)
    assert new.index == old.index
    assert new.generation == old.generation + 1
    assert handles.is_valid(new)
    assert not handles.is_valid(old)
    with pytest.raises(StaleHandleError):
        handles.resolve(old)


def test_foreign_handles_are_stale() -> None:
    a = HandleAllocator(capacity_bytes=1024)
    b = HandleAllocator(capacity_bytes=1024)
    a.alloc(np.uint8, 1)
    a.alloc(np.uint8, 1)
    h = a.alloc(np.uint8, 1)
    assert not b.is_valid(h)
    with pytest.raises(StaleHandleError, match="index 2") as info:
        b.resolve(h)
    assert info.value.note is not None
    assert "another allocator" in info.value.note


def test_free_slot_matches_no_handle() -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    handles.free(handles.alloc(np.uint8, 4))
    for generation in (0, 1, 2):
        assert not handles.is_valid(Handle(0, generation))
    with pytest.raises(StaleHandleError) as info:
        handles.resolve(Handle(0, 1))  # a generation this allocator never issues
    assert info.value.note is not None
    assert "another allocator" in info.value.note


def test_failing_relocation_callback_propagates_but_moves_stand() -> None:
    handles = HandleAllocator(capacity_bytes=4096)
    survivors = _fragmented(handles)

    def broken(h: Handle, old: int, new: int) -> None:
        raise RuntimeError("listener bug")

    handles.on_relocate(broken)
    with pytest.raises(RuntimeError, match="listener bug"):
        handles.defragment()
    assert [handles.offset_of(h) for h in survivors] == [0, 64, 128]
    assert (handles.resolve(survivors[2]) == 5).all()


def test_numpy_int_shapes_and_cached_requests_validate_alike() -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    assert handles.resolve(handles.alloc("f4", (np.int64(2), 3))).shape == (2, 3)
    handles.alloc("f4", 4)
    handles.alloc("f4", (1,))
    with pytest.raises(AllocationSizeError):
        handles.alloc("f4", 4.0)  # type: ignore[arg-type]  # equal to a cached 4
    with pytest.raises(AllocationSizeError):
        handles.alloc("f4", (True,))  # equal to a cached (1,)


def test_unhashable_dtype_specs_work() -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    h = handles.alloc([("x", "<i4"), ("y", "<i4")], 3)
    assert handles.resolve(h).dtype.names == ("x", "y")


# -- pins ---------------------------------------------------------------------------------


def test_pins_are_counted() -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    h = handles.alloc(np.uint8, 8)
    handles.pin(h)
    handles.pin(h)
    handles.unpin(h)
    assert handles.is_pinned(h)
    assert handles.stats().pinned == 1
    handles.unpin(h)
    assert not handles.is_pinned(h)
    with pytest.raises(HandlePinError, match="without a matching pin") as info:
        handles.unpin(h)
    assert info.value.code == "FA401"


def test_free_of_pinned_block_is_refused() -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    h = handles.alloc(np.uint8, 8)
    with handles.pinned(h), pytest.raises(HandlePinError, match="pinned 1 time"):
        handles.free(h)
    handles.free(h)
    assert not handles.is_valid(h)


def test_pinned_context_unpins_on_error() -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    h = handles.alloc(np.uint8, 8)

    def use_then_fail() -> None:
        with handles.pinned(h) as view:
            assert view.shape == (8,)
            raise KeyError("boom")

    with pytest.raises(KeyError):
        use_then_fail()
    assert not handles.is_pinned(h)


# -- defragment ---------------------------------------------------------------------------


def _fragmented(handles: HandleAllocator, n: int = 6) -> list[Handle]:
    hs = [handles.alloc(np.uint32, 16) for _ in range(n)]
    for i, h in enumerate(hs):
        handles.resolve(h)[:] = i
    for h in hs[::2]:
        handles.free(h)
    return hs[1::2]


def test_defragment_compacts_and_keeps_bytes_and_handles() -> None:
    handles = HandleAllocator(capacity_bytes=4096)
    survivors = _fragmented(handles)
    seen: list[tuple[Handle, int, int]] = []
    handles.on_relocate(lambda h, old, new: seen.append((h, old, new)))
    before = handles.stats()
    assert before.fragmentation > 0.0
    moves = handles.defragment()
    assert [m.handle for m in moves] == survivors
    assert all(isinstance(m, Relocation) and m.new_offset < m.old_offset for m in moves)
    assert all(m.nbytes == 64 for m in moves)
    assert seen == [(m.handle, m.old_offset, m.new_offset) for m in moves]
    assert [handles.offset_of(h) for h in survivors] == [0, 64, 128]
    for i, h in zip((1, 3, 5), survivors, strict=True):
        assert (handles.resolve(h) == i).all()
    after = handles.stats()
    assert after.fragmentation == 0.0
    assert after.largest_free == after.free_bytes == 4096 - 3 * 64
    assert after.relocations_total == 3
    assert after.defragment_calls == 1
    assert handles.defragment() == []


def test_a_block_whose_view_is_referenced_does_not_move() -> None:
    handles = HandleAllocator(capacity_bytes=4096)
    survivors = _fragmented(handles)
    kept = handles.resolve(survivors[0])[4:8]  # a slice of a resolved view is held
    moves = handles.defragment()
    assert [m.handle for m in moves] == survivors[1:]  # the others pack up against it
    assert handles.offset_of(survivors[0]) == 64
    kept[:] = 77  # lands in its own block, nowhere else
    assert (handles.resolve(survivors[1]) == 3).all()
    assert (handles.resolve(survivors[2]) == 5).all()
    del kept
    assert [m.handle for m in handles.defragment()] == survivors


def test_freed_bytes_a_slice_still_references_are_not_reused() -> None:
    handles = HandleAllocator(capacity_bytes=256, auto_defragment=False)
    h = handles.alloc(np.uint8, 128)
    tail = handles.resolve(h)[64:]
    handles.free(h)
    others = [handles.alloc(np.uint8, 64) for _ in range(2)]
    with pytest.raises(HandleSpaceError):
        handles.alloc(np.uint8, 64)  # the held slice's bytes are not handed out
    assert all(not np.shares_memory(tail, handles.resolve(o)) for o in others)
    del tail
    handles.alloc(np.uint8, 64)  # the set-aside bytes came back


def test_a_handle_of_another_allocator_is_refused() -> None:
    a = HandleAllocator(capacity_bytes=1024)
    b = HandleAllocator(capacity_bytes=1024)
    ha = a.alloc(np.uint8, 8)
    b.alloc(np.uint8, 8)  # slot 0 of b is live too
    assert not b.is_valid(ha)
    with pytest.raises(StaleHandleError, match="index 0") as info:
        b.resolve(ha)
    assert info.value.note is not None
    assert "another allocator" in info.value.note


def test_defragment_respects_pins() -> None:
    handles = HandleAllocator(capacity_bytes=4096)
    a, b, c = (handles.alloc(np.uint8, 64) for _ in range(3))
    handles.free(a)
    handles.pin(b)
    moves = handles.defragment()
    assert moves == []  # b is pinned, c packs up against b where it already is
    assert handles.offset_of(b) == 64
    handles.unpin(b)
    moves = handles.defragment()
    assert [(m.handle, m.new_offset) for m in moves] == [(b, 0), (c, 64)]


def test_incremental_defragment_with_max_moves() -> None:
    handles = HandleAllocator(capacity_bytes=4096)
    survivors = _fragmented(handles, 8)
    first = handles.defragment(max_moves=1)
    second = handles.defragment(max_moves=2)
    third = handles.defragment(max_moves=5)
    assert [len(first), len(second), len(third)] == [1, 2, 1]
    assert [m.handle for m in first + second + third] == survivors
    assert handles.defragment(max_moves=0) == []
    with pytest.raises(ValueError, match="max_moves"):
        handles.defragment(max_moves=-1)
    assert handles.stats().defragment_calls == 4


def test_remove_relocate_callback() -> None:
    handles = HandleAllocator(capacity_bytes=4096)
    calls: list[int] = []

    def cb(h: Handle, old: int, new: int) -> None:
        calls.append(new)

    assert handles.on_relocate(cb) is cb
    handles.remove_relocate_callback(cb)
    _fragmented(handles)
    handles.defragment()
    assert calls == []


def test_full_allocator_defragments_automatically_once() -> None:
    handles = HandleAllocator(capacity_bytes=256)
    hs = [handles.alloc(np.uint8, 64) for _ in range(4)]
    handles.resolve(hs[1])[:] = 7
    handles.resolve(hs[3])[:] = 9
    handles.free(hs[0])
    handles.free(hs[2])
    big = handles.alloc(np.uint8, 128)  # 128 free, but in two 64-byte holes
    assert handles.offset_of(big) == 128
    assert (handles.resolve(hs[1]) == 7).all()
    assert (handles.resolve(hs[3]) == 9).all()
    assert handles.stats().defragment_calls == 1


def test_full_allocator_raises_space_error() -> None:
    handles = HandleAllocator(capacity_bytes=256, auto_defragment=False)
    hs = [handles.alloc(np.uint8, 64) for _ in range(4)]
    handles.free(hs[0])
    handles.free(hs[2])
    with pytest.raises(HandleSpaceError) as info:
        handles.alloc(np.uint8, 128)
    err = info.value
    assert isinstance(err, BudgetExceededError)
    assert isinstance(err, MemoryError)
    assert err.code == "FA301"
    assert err.note is not None
    assert "free 128 B" in err.note
    assert "largest free run 64 B" in err.note
    assert err.help


def test_pinned_blocks_can_leave_no_room() -> None:
    handles = HandleAllocator(capacity_bytes=256)
    hs = [handles.alloc(np.uint8, 64) for _ in range(4)]
    handles.free(hs[0])
    handles.free(hs[2])
    handles.pin(hs[1])
    handles.pin(hs[3])
    with pytest.raises(HandleSpaceError, match="no room for 128 bytes"):
        handles.alloc(np.uint8, 128)


def test_debug_mode_poisons_freed_bytes() -> None:
    handles = HandleAllocator(capacity_bytes=256, debug=True)
    h = handles.alloc(np.uint8, 32)
    handles.resolve(h)[:] = 1
    handles.free(h)
    again = handles.alloc(np.uint8, 32)
    assert (handles.resolve(again) == 0xCD).all()


def test_stats_and_len() -> None:
    handles = HandleAllocator(capacity_bytes=1024)
    assert handles.stats().fragmentation == 0.0
    a = handles.alloc(np.float32, 10)
    handles.alloc(np.uint8, 3)
    s = handles.stats()
    assert (s.live, s.bytes_used, s.capacity) == (2, 43, 1024)
    assert s.free_bytes == 1024 - 43
    assert len(handles) == 2
    assert handles.live_handles()[0] == a
    assert "live=2" in repr(handles)


# -- threads ------------------------------------------------------------------------------


def test_concurrent_alloc_free_and_resolve() -> None:
    handles = HandleAllocator(capacity_bytes=1 << 16)
    errors: list[BaseException] = []
    start = threading.Barrier(3, timeout=10)

    def worker(seed: int) -> None:
        try:
            start.wait()
            mine: list[tuple[Handle, int]] = []
            for i in range(300):
                h = handles.alloc(np.int32, 8)
                with handles.pinned(h) as arr:  # defragment runs concurrently
                    arr[:] = seed * 1000 + i
                mine.append((h, seed * 1000 + i))
                if i % 3 == 0:
                    old, _ = mine.pop(0)
                    handles.free(old)
            for h, value in mine:
                with handles.pinned(h) as arr:
                    assert (arr == value).all()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    start.wait()
    for _ in range(10_000):  # defragment while the workers run (bounded, no sleeps)
        if not any(t.is_alive() for t in threads):
            break
        handles.defragment(max_moves=10)
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()
    assert errors == []
    assert handles.stats().live == 2 * 200


# -- property: a dict model with defragment steps --------------------------------------------

DTYPES = [np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.complex128), Vertex]


class HandleMachine(RuleBasedStateMachine):
    """Every live handle resolves to its own intact bytes, whatever moves."""

    handles = Bundle("handles")

    def __init__(self) -> None:
        super().__init__()
        self.alloc = HandleAllocator(capacity_bytes=2048)
        self.model: dict[Handle, bytes] = {}
        self.pins: dict[Handle, int] = {}
        self.dead: list[Handle] = []
        self.counter = 0
        self.moves_seen: list[Relocation] = []
        self.alloc.on_relocate(lambda h, o, n: self.moves_seen.append(Relocation(h, o, n, 0)))

    @rule(target=handles, dtype=st.sampled_from(DTYPES), n=st.integers(0, 24))
    def allocate(self, dtype: np.dtype[Any], n: int) -> Handle:
        try:
            h = self.alloc.alloc(dtype, n)
        except HandleSpaceError:
            event("allocator full")
            size = max(n * dtype.itemsize, 1)
            assert self.alloc.stats().largest_free < size + max(16, dtype.alignment)
            return Handle(10_000, 0)  # a never-valid placeholder
        assert h not in self.model
        self.counter += 1
        raw = self.alloc.resolve(h).view(np.uint8).reshape(-1)
        raw[:] = (np.arange(raw.size) + self.counter) % 251
        self.model[h] = raw.tobytes()
        self.pins[h] = 0
        return h

    @rule(h=consumes(handles))
    def free(self, h: Handle) -> None:
        if h not in self.model:
            return
        if self.pins[h]:
            with pytest.raises(HandlePinError):
                self.alloc.free(h)
            return
        self.alloc.free(h)
        del self.model[h]
        del self.pins[h]
        self.dead.append(h)

    @rule(parity=st.integers(0, 1))
    def free_every_other_unpinned(self, parity: int) -> None:
        unpinned = sorted((h for h, p in self.pins.items() if not p), key=self.alloc.offset_of)
        for h in unpinned[parity::2]:
            self.alloc.free(h)
            del self.model[h]
            del self.pins[h]
            self.dead.append(h)

    @rule(h=handles)
    def pin(self, h: Handle) -> None:
        if h in self.model:
            self.alloc.pin(h)
            self.pins[h] += 1

    @rule(h=handles)
    def unpin(self, h: Handle) -> None:
        if h not in self.model:
            return
        if self.pins[h] == 0:
            with pytest.raises(HandlePinError):
                self.alloc.unpin(h)
        else:
            self.alloc.unpin(h)
            self.pins[h] -= 1

    @rule(max_moves=st.one_of(st.none(), st.integers(0, 4)))
    def defragment(self, max_moves: int | None) -> None:
        pinned_at = {h: self.alloc.offset_of(h) for h, p in self.pins.items() if p}
        self.moves_seen.clear()
        moves = self.alloc.defragment(max_moves)
        event("defragment moved blocks" if moves else "defragment moved nothing")
        if max_moves is not None:
            assert len(moves) <= max_moves
        assert [(m.handle, m.old_offset, m.new_offset) for m in moves] == [
            (m.handle, m.old_offset, m.new_offset) for m in self.moves_seen
        ]
        for m in moves:
            assert m.handle in self.model
            assert m.new_offset < m.old_offset
            assert m.handle not in pinned_at
        for h, off in pinned_at.items():
            assert self.alloc.offset_of(h) == off

    @rule()
    def unpin_all_then_full_defragment_leaves_only_padding(self) -> None:
        for h, count in self.pins.items():
            for _ in range(count):
                self.alloc.unpin(h)
            self.pins[h] = 0
        moves = self.alloc.defragment()
        event("full defragment moved blocks" if moves else "full defragment moved nothing")
        ends = sorted(
            (self.alloc.offset_of(h), self.alloc.offset_of(h) + max(len(b), 1))
            for h, b in self.model.items()
        )
        stats = self.alloc.stats()
        cursor = 0
        for start, end in ends:
            assert start - cursor < 16  # only alignment padding remains between blocks
            cursor = end
        assert stats.largest_free >= stats.capacity - cursor

    @invariant()
    def live_handles_resolve_to_their_bytes(self) -> None:
        for h, data in self.model.items():
            assert self.alloc.is_valid(h)
            assert self.alloc.resolve(h).view(np.uint8).reshape(-1).tobytes() == data

    @invariant()
    def dead_handles_are_stale(self) -> None:
        for h in self.dead[-5:]:
            assert not self.alloc.is_valid(h)
            with pytest.raises(StaleHandleError):
                self.alloc.resolve(h)

    @invariant()
    def stats_match_model(self) -> None:
        s = self.alloc.stats()
        assert s.live == len(self.model)
        assert s.bytes_used == sum(len(b) for b in self.model.values())
        assert s.pinned == sum(1 for p in self.pins.values() if p)


TestHandleMachine = HandleMachine.TestCase
