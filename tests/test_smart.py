"""SmartAlloc: the allocation API, its errors and its statistics."""

from __future__ import annotations

import numpy as np
import pytest

from framealloc_engine import (
    KIB,
    AllocationSizeError,
    AllocationTypeError,
    AllocConfig,
    ArenaExhaustedError,
    DoubleFreeError,
    FrameAllocError,
    FrameNotActiveError,
    FrameStateError,
    GlobalBudgetExceededError,
    InvalidFreeError,
    SmartAlloc,
)
from framealloc_engine.allocators.buffer import data_address

Vertex = np.dtype([("pos", "f4", 3), ("uv", "f4", 2)])


@pytest.fixture
def alloc() -> SmartAlloc:
    return SmartAlloc(AllocConfig().with_frame_arena_size(1024 * KIB))


def _arena_buffer(alloc: SmartAlloc) -> np.ndarray:
    return alloc._tls.arena.buffer


@pytest.mark.parametrize(
    ("dtype", "shape"),
    [
        (np.float32, ()),
        (np.float64, 7),
        ("i2", (3, 5)),
        (np.complex128, (2, 2)),
        (Vertex, 4096),
        (np.dtype("S7"), 3),
        (np.uint8, 0),
    ],
)
def test_frame_alloc_views_arena_memory_aligned(
    alloc: SmartAlloc, dtype: object, shape: object
) -> None:
    with alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 3)  # misalign the bump pointer
        array = alloc.frame_alloc(dtype, shape)
        expected_shape = shape if isinstance(shape, tuple) else (shape,)
        assert array.shape == expected_shape
        assert array.dtype == np.dtype(dtype)  # type: ignore[call-overload]
        if array.size:
            assert np.shares_memory(array, _arena_buffer(alloc))
        assert data_address(array) % 16 == 0
        assert data_address(array) % array.dtype.alignment == 0


def test_structured_dtype_everywhere(alloc: SmartAlloc) -> None:
    with alloc.frame_scope():
        verts = alloc.frame_alloc(Vertex, 4096)
        verts["pos"][:] = 1.5
        assert verts["pos"].shape == (4096, 3)
        assert float(verts["pos"].sum()) == 4096 * 3 * 1.5
    pooled = alloc.pool_alloc(Vertex, 8)
    pooled["uv"] = 2.0
    assert pooled.dtype == Vertex
    alloc.pool_free(pooled)
    heaped = alloc.heap_alloc(Vertex, 1000)
    heaped["pos"] = 3.0
    alloc.heap_free(heaped)


def test_allocations_do_not_overlap_and_keep_values(alloc: SmartAlloc) -> None:
    with alloc.frame_scope():
        arrays = [alloc.frame_alloc(np.int32, n) for n in (1, 5, 16, 33, 100)]
        for i, array in enumerate(arrays):
            array[:] = i
        for i, array in enumerate(arrays):
            assert (array == i).all()
        for a in arrays:
            for b in arrays:
                if a is not b:
                    assert not np.shares_memory(a, b)


def test_frame_slice_is_zero_filled(alloc: SmartAlloc) -> None:
    with alloc.frame_scope():
        first = alloc.frame_alloc(np.uint8, 64)
        first[:] = 0xFF
    with alloc.frame_scope():
        zeros = alloc.frame_slice(np.float64, 8)
        assert zeros.shape == (8,)
        assert not zeros.any()


def test_arena_is_reused_each_frame(alloc: SmartAlloc) -> None:
    addresses = []
    for _ in range(3):
        with alloc.frame_scope():
            addresses.append(data_address(alloc.frame_alloc(np.float32, 100)))
    assert len(set(addresses)) == 1


def test_frame_alloc_without_frame_is_fa001_with_help(alloc: SmartAlloc) -> None:
    with pytest.raises(FrameNotActiveError) as info:
        alloc.frame_alloc(np.float32, 4)
    err = info.value
    assert err.code == "FA001"
    assert isinstance(err, FrameAllocError)
    text = str(err)
    assert text.startswith(
        "[framealloc][FA001] error: frame allocation used outside an active frame"
    )
    assert (
        "help: call alloc.begin_frame() before allocating, or use pool_alloc()/heap_alloc()"
        in text
    )
    with pytest.raises(FrameNotActiveError):
        alloc.try_frame_alloc(np.float32, 4)
    with pytest.raises(FrameNotActiveError):
        alloc.frame_box(object())


def test_frame_lifecycle_misuse(alloc: SmartAlloc) -> None:
    with pytest.raises(FrameStateError, match="no active frame"):
        alloc.end_frame()
    alloc.begin_frame()
    with pytest.raises(FrameStateError, match="still active") as info:
        alloc.begin_frame()
    assert info.value.code == "FA001"
    alloc.end_frame()
    assert not alloc.frame_active


def test_arena_exhaustion_is_fa003_naming_size_request_and_fix() -> None:
    alloc = SmartAlloc(AllocConfig().with_frame_arena_size(8 * KIB))
    with alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 6000)
        assert alloc.try_frame_alloc(np.uint8, 4000) is None
        with pytest.raises(ArenaExhaustedError) as info:
            alloc.frame_alloc(np.uint8, 4000)
        err = info.value
        assert err.code == "FA003"
        assert isinstance(err, MemoryError)
        text = str(err)
        assert "4000" in text
        assert str(8 * KIB) in text
        assert "with_frame_arena_size" in text
        # the failed request took nothing
        assert alloc.frame_alloc(np.uint8, 2000).shape == (2000,)


@pytest.mark.parametrize("dtype", [object, np.dtype([("a", "O")]), "not-a-dtype", np.str_])
def test_bad_dtypes_are_fa004(alloc: SmartAlloc, dtype: object) -> None:
    with alloc.frame_scope():
        with pytest.raises(AllocationTypeError) as info:
            alloc.frame_alloc(dtype, 3)
        assert info.value.code == "FA004"
        assert isinstance(info.value, TypeError)
    with pytest.raises(AllocationTypeError):
        alloc.pool_alloc(dtype, 3)
    with pytest.raises(AllocationTypeError):
        alloc.heap_alloc(dtype, 3)


@pytest.mark.parametrize("shape", [-1, (2, -3), "abc", (1.5,), [2, "x"]])
def test_bad_shapes_are_fa004(alloc: SmartAlloc, shape: object) -> None:
    with alloc.frame_scope():
        with pytest.raises(AllocationSizeError) as info:
            alloc.frame_alloc(np.float32, shape)
        assert info.value.code == "FA004"
        assert isinstance(info.value, ValueError)


def test_list_shapes_work(alloc: SmartAlloc) -> None:
    with alloc.frame_scope():
        assert alloc.frame_alloc(np.float32, [2, 3]).shape == (2, 3)
    block = alloc.pool_alloc(np.float32, [2, 2])
    assert block.shape == (2, 2)
    alloc.pool_free(block)


def test_pool_too_large_says_use_heap(alloc: SmartAlloc) -> None:
    with pytest.raises(AllocationSizeError) as info:
        alloc.pool_alloc(np.uint8, 4097)
    assert "heap_alloc" in str(info.value)
    assert "4096" in str(info.value)


def test_pool_blocks_come_from_the_right_class(alloc: SmartAlloc) -> None:
    sizes = {}
    for nbytes in (1, 16, 17, 100, 4096):
        block = alloc.pool_alloc(np.uint8, nbytes)
        sizes[nbytes] = alloc.stats().pool_allocated
        alloc.pool_free(block)
    assert sizes == {1: 16, 16: 16, 17: 32, 100: 128, 4096: 4096}


def test_pool_and_heap_frees_are_checked(alloc: SmartAlloc) -> None:
    block = alloc.pool_alloc(np.float32, 4)
    alloc.pool_free(block)
    with pytest.raises(DoubleFreeError) as info:
        alloc.pool_free(block)
    assert info.value.code == "FA401"
    with pytest.raises(InvalidFreeError):
        alloc.pool_free(np.zeros(4, np.float32))
    with pytest.raises(InvalidFreeError):
        alloc.pool_free("nope")  # type: ignore[arg-type]
    block = alloc.pool_alloc(np.float32, 8)
    with pytest.raises(DoubleFreeError):
        alloc.pool_free(block[2:])  # a slice is not the allocation
    alloc.pool_free(block)

    big = alloc.heap_alloc(np.float64, 10_000)
    alloc.heap_free(big)
    with pytest.raises(DoubleFreeError):
        alloc.heap_free(big)
    with pytest.raises(InvalidFreeError):
        alloc.heap_free(np.zeros(3))
    heaped = alloc.heap_alloc(np.float64, 100)
    with pytest.raises(InvalidFreeError):
        alloc.pool_free(heaped)
    alloc.heap_free(heaped)
    stats = alloc.stats()
    assert stats.active_allocations == 0
    assert stats.pool_allocated == 0
    assert stats.heap_allocated == 0


def test_stats_count_every_kind(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    alloc.frame_alloc(np.float32, 4)  # 16 bytes
    alloc.frame_alloc(np.float32, 1)  # 16 more after alignment
    pooled = alloc.pool_alloc(np.float64, 8)  # 64-byte class
    heaped = alloc.heap_alloc(np.uint8, 1000)  # 1008 bytes
    stats = alloc.stats()
    assert stats.frame_allocated == 20
    assert stats.pool_allocated == 64
    assert stats.heap_allocated == 1008
    assert stats.total_allocated == 20 + 64 + 1008
    assert stats.allocation_count == 4
    assert stats.deallocation_count == 0
    assert stats.active_allocations == 4
    alloc.end_frame()
    stats = alloc.stats()
    assert stats.frame_allocated == 0
    assert stats.deallocation_count == 2
    assert stats.peak_allocated >= 20 + 64 + 1008
    alloc.pool_free(pooled)
    alloc.heap_free(heaped)
    stats = alloc.stats()
    assert (stats.allocation_count, stats.deallocation_count) == (4, 4)
    assert stats.total_allocated == 0
    assert stats.slab_refill_count == 1
    thread = alloc.thread_stats()
    assert thread.frames_completed == 1
    assert thread.frame_peak == 20


def test_global_memory_limit_refuses_reservations() -> None:
    # room for the arena, the 4 reserved slab pages and exactly one heap region
    cfg = AllocConfig.minimal().with_memory_limit(1024 * KIB + 4 * 16 * KIB + 1024 * KIB)
    alloc = SmartAlloc(cfg)
    with alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 10)
    small = alloc.heap_alloc(np.uint8, 1024)  # opens the one region the limit allows
    with pytest.raises(GlobalBudgetExceededError) as info:
        alloc.heap_alloc(np.uint8, 600 * KIB)  # needs a dedicated region
    assert info.value.code == "FA301"
    assert "with_memory_limit" in str(info.value)
    stats = alloc.stats()
    assert stats.heap_allocated == 1024
    assert stats.allocation_count == 2  # the refused request counted nothing
    alloc.heap_free(small)
    assert alloc.stats().reserved_bytes <= cfg.global_memory_limit


def test_frame_number_counts_frames(alloc: SmartAlloc) -> None:
    assert alloc.frame_number == 0
    for expected in (1, 2, 3):
        with alloc.frame_scope():
            assert alloc.frame_active
            assert alloc.frame_number == expected
    assert not alloc.frame_active


def test_float_and_bool_shapes_are_refused_even_after_equal_int_shapes(alloc: SmartAlloc) -> None:
    big = alloc.heap_alloc(np.float32, 4)
    with pytest.raises(AllocationSizeError, match="non-integer"):
        alloc.heap_alloc(np.float32, 4.0)  # 4.0 == 4, but it is not a size
    with pytest.raises(AllocationSizeError, match="bool"):
        alloc.heap_alloc(np.float32, (True, 2))
    alloc.heap_free(big)
    with alloc.frame_scope():
        alloc.frame_alloc(np.float32, (2, 2))
        with pytest.raises(AllocationSizeError):
            alloc.frame_alloc(np.float32, (2.0, 2))


def test_stats_leaves_the_young_generation_counter_alone() -> None:
    """Diagnostics call stats() every frame: it must not feed the garbage collector."""
    import gc

    alloc = SmartAlloc.with_defaults()
    alloc.stats()
    gc.collect()
    gc.disable()
    try:
        before = gc.get_count()[0]
        for _ in range(1000):
            alloc.stats()
        grown = gc.get_count()[0] - before
    finally:
        gc.enable()
    assert grown < 50, grown
