"""FrameArena on its own: bump allocation, reuse cache, checkpoints, debug mode."""

from __future__ import annotations

import numpy as np
import pytest

from framealloc_engine.allocators.arena import FrameArena
from framealloc_engine.allocators.buffer import data_address
from framealloc_engine.errors import ArenaExhaustedError, FrameNotActiveError


def _offset_of(arena: FrameArena, array: np.ndarray) -> int:
    return data_address(array) - data_address(arena.buffer)


def test_bump_allocation_aligns_and_counts() -> None:
    arena = FrameArena(4096)
    arena.begin()
    a = arena.alloc(np.uint8, 3)
    b = arena.alloc(np.float64, 2)
    c = arena.alloc(np.dtype([("x", "f4", 3)]), 2)  # 12-byte items: built from the offset
    assert [_offset_of(arena, x) for x in (a, b, c)] == [0, 16, 32]
    assert (arena.count, arena.offset) == (3, 32 + 24)
    assert arena.end() == (3, 56)
    assert (arena.count, arena.offset, arena.active) == (0, 0, False)
    assert arena.peak_offset == 56


def test_no_frame_is_fa001_and_full_is_fa003() -> None:
    arena = FrameArena(4096)
    with pytest.raises(FrameNotActiveError):
        arena.alloc(np.uint8, 1)
    with pytest.raises(FrameNotActiveError):
        arena.try_alloc(np.uint8, 1)
    arena.begin()
    arena.alloc(np.uint8, 4000)
    assert arena.try_alloc(np.uint8, 200) is None
    with pytest.raises(ArenaExhaustedError, match="requested 200 bytes"):
        arena.alloc(np.uint8, 200)
    assert arena.count == 1


def test_repeating_frames_reuse_views() -> None:
    arena = FrameArena(4096)
    seen = []
    for _ in range(3):
        arena.begin()
        seen.append((arena.alloc(np.float32, 8), arena.alloc(np.int16, (2, 3))))
        arena.end()
    assert seen[0][0] is seen[1][0] is seen[2][0]
    assert seen[0][1] is seen[2][1]
    # a different request truncates the memory of the old sequence from there on
    arena.begin()
    same = arena.alloc(np.float32, 8)
    other = arena.alloc(np.int16, 6)
    assert same is seen[0][0]
    assert other is not seen[0][1]
    assert other.shape == (6,)
    arena.end()


def test_checkpoint_rollback_restores_the_position() -> None:
    arena = FrameArena(4096)
    arena.begin()
    arena.alloc(np.uint8, 10)
    checkpoint = arena.checkpoint()
    first = arena.alloc(np.uint8, 100)
    arena.alloc(np.uint8, 100)
    assert arena.rollback(checkpoint) == 2
    assert (arena.count, arena.offset) == (1, 10)
    again = arena.alloc(np.uint8, 100)
    assert _offset_of(arena, again) == _offset_of(arena, first)
    assert arena.peak_offset >= 10 + 6 + 100 + 12 + 100


def test_debug_arena_freezes_and_poisons() -> None:
    arena = FrameArena(4096, debug=True)
    arena.begin()
    kept = arena.alloc(np.uint8, 8)
    checkpoint = arena.checkpoint()
    dropped = arena.alloc(np.uint8, 8)
    dropped[:] = 1
    arena.rollback(checkpoint)
    assert not dropped.flags.writeable
    assert (dropped == 0xCD).all()
    assert kept.flags.writeable
    arena.end()
    assert not kept.flags.writeable


def test_release_drops_the_buffer() -> None:
    arena = FrameArena(4096)
    arena.begin()
    arena.alloc(np.uint8, 8)
    arena.end()
    arena.release()
    assert arena.capacity == 0
    assert arena.buffer.size == 0
    arena.begin()
    with pytest.raises(ArenaExhaustedError):
        arena.alloc(np.uint8, 1)
