"""Debug mode: poisoning with 0xCD and frozen late views."""

from __future__ import annotations

import numpy as np
import pytest

from framealloc_engine import AllocConfig, SmartAlloc


@pytest.fixture
def alloc() -> SmartAlloc:
    return SmartAlloc(AllocConfig().with_frame_arena_size(64 * 1024).with_debug(True))


def test_frame_views_are_frozen_and_memory_poisoned(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    array = alloc.frame_alloc(np.uint8, 32)
    array[:] = 7
    alloc.end_frame()
    assert (array == 0xCD).all()
    with pytest.raises(ValueError, match="read-only"):
        array[0] = 1


def test_rollback_freezes_only_later_views(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    kept = alloc.frame_alloc(np.uint8, 16)
    kept[:] = 1
    checkpoint = alloc.frame_checkpoint()
    dropped = alloc.frame_alloc(np.uint8, 16)
    alloc.rollback_to(checkpoint)
    with pytest.raises(ValueError, match="read-only"):
        dropped[0] = 1
    kept[0] = 2  # still writable
    assert (dropped == 0xCD).all()
    alloc.end_frame()


def test_debug_mode_never_reuses_views(alloc: SmartAlloc) -> None:
    views = []
    for _ in range(2):
        with alloc.frame_scope():
            views.append(alloc.frame_alloc(np.float32, 4))
    assert views[0] is not views[1]


def test_pool_and_heap_frees_poison(alloc: SmartAlloc) -> None:
    block = alloc.pool_alloc(np.uint8, 16)
    block[:] = 1
    alloc.pool_free(block)
    assert (block == 0xCD).all()
    with pytest.raises(ValueError, match="read-only"):
        block[0] = 3
    again = alloc.pool_alloc(np.uint8, 16)
    assert again is not block
    alloc.pool_free(again)
    big = alloc.heap_alloc(np.uint8, 10_000)
    big[:] = 1
    alloc.heap_free(big)
    assert (big == 0xCD).all()


def test_release_mode_reuses_views_across_frames() -> None:
    alloc = SmartAlloc(AllocConfig().with_frame_arena_size(64 * 1024))
    views = []

    def frame() -> None:
        with alloc.frame_scope():
            views.append(id(alloc.frame_alloc(np.float32, 4)))
            alloc.frame_alloc(np.int16, (2, 2))

    frame()
    frame()
    assert views[0] == views[1]  # the same view object, handed out again: nobody held it
    with alloc.frame_scope():
        different = alloc.frame_alloc(np.float64, 4)
        assert id(different) != views[0]
        assert different.dtype == np.float64
        del different
