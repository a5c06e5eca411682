"""The frame arena on its own, on each backend: bump allocation, reuse cache, checkpoints,
escapes; debug mode (pure only)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from framealloc_engine.allocators.arena import FrameArena
from framealloc_engine.allocators.backend import NATIVE_AVAILABLE, Backend
from framealloc_engine.allocators.buffer import data_address
from framealloc_engine.errors import ArenaExhaustedError, FrameNotActiveError

NewArena = Callable[[int], FrameArena]


@pytest.fixture(
    params=[
        "pure",
        pytest.param(
            "native",
            marks=pytest.mark.skipif(not NATIVE_AVAILABLE, reason="native core not loaded"),
        ),
    ]
)
def new_arena(request: pytest.FixtureRequest) -> NewArena:
    parts = Backend(request.param)
    return lambda capacity: parts.new_arena(capacity, debug=False)


def _offset_of(arena: FrameArena, array: np.ndarray) -> int:
    return data_address(array) - data_address(arena.buffer)


def test_bump_allocation_aligns_and_counts(new_arena: NewArena) -> None:
    arena = new_arena(4096)
    arena.begin()
    a = arena.alloc(np.uint8, 3)
    b = arena.alloc(np.float64, 2)
    c = arena.alloc(np.dtype([("x", "f4", 3)]), 2)  # 12-byte items: built from the offset
    assert [_offset_of(arena, x) for x in (a, b, c)] == [0, 16, 32]
    assert (arena.count, arena.offset) == (3, 32 + 24)
    assert arena.end() == (3, 56)
    assert (arena.count, arena.offset, arena.active) == (0, 0, False)
    assert arena.peak_offset == 56


def test_no_frame_is_fa001_and_full_is_fa003(new_arena: NewArena) -> None:
    arena = new_arena(4096)
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


def test_repeating_frames_reuse_views_nobody_holds(new_arena: NewArena) -> None:
    arena = new_arena(4096)
    seen = []
    for _ in range(3):
        arena.begin()
        seen.append((id(arena.alloc(np.float32, 8)), id(arena.alloc(np.int16, (2, 3)))))
        arena.end()
    assert seen[0] == seen[1] == seen[2]  # the very same view objects: no array was made
    assert arena.escapes == 0
    # a different request truncates the memory of the old sequence from there on
    arena.begin()
    assert id(arena.alloc(np.float32, 8)) == seen[0][0]
    other = arena.alloc(np.int16, 6)
    assert other.shape == (6,)
    del other
    arena.end()


def test_a_held_view_is_never_handed_out_again(new_arena: NewArena) -> None:
    arena = new_arena(4096)
    arena.begin()
    kept = arena.alloc(np.float32, 8)
    assert arena.end() == (1, 32)  # O(1): nothing is inspected at the frame's end
    arena.begin()
    fresh = arena.alloc(np.float32, 8)  # the remembered view is still held: an escape
    assert fresh is not kept
    assert not np.shares_memory(fresh, kept)
    assert arena.escapes == 1
    assert [index for index, _ in arena.last_escapes] == [0]
    arena.end()


def test_checkpoint_rollback_restores_the_position(new_arena: NewArena) -> None:
    arena = new_arena(4096)
    arena.begin()
    arena.alloc(np.uint8, 10)
    checkpoint = arena.checkpoint()
    first_offset = _offset_of(arena, arena.alloc(np.uint8, 100))
    arena.alloc(np.uint8, 100)
    assert arena.rollback(checkpoint) == 2
    assert (arena.count, arena.offset) == (1, 10)
    again = arena.alloc(np.uint8, 100)
    assert _offset_of(arena, again) == first_offset  # nothing held them: bytes reused
    assert arena.peak_offset >= 10 + 6 + 100 + 12 + 100


def test_rollback_past_a_held_view_moves_later_allocations(new_arena: NewArena) -> None:
    arena = new_arena(4096)
    arena.begin()
    checkpoint = arena.checkpoint()
    held = arena.alloc(np.uint8, 100)[10:20]  # a derived view is held
    arena.rollback(checkpoint)
    again = arena.alloc(np.uint8, 100)
    assert not np.shares_memory(again, held)
    assert arena.escapes == 1


def test_end_frame_and_rollback_touch_no_view(new_arena: NewArena) -> None:
    """The escape check happens where a view would be reused: frame ends stay O(1)."""
    arena = new_arena(1 << 20)
    arena.begin()
    views = [arena.alloc(np.uint8, 16) for _ in range(1000)]
    assert arena.end() == (1000, 16 * 1000)
    assert arena.escapes == 0  # 1000 views still held, none inspected yet
    arena.begin()
    checkpoint = arena.checkpoint()
    arena.alloc(np.uint8, 16)
    arena.rollback(checkpoint)
    assert arena.escapes == 1000  # found when request 0 wanted its view back (all held)
    del views
    arena.end()


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


def test_release_drops_the_buffer(new_arena: NewArena) -> None:
    arena = new_arena(4096)
    arena.begin()
    arena.alloc(np.uint8, 8)
    arena.end()
    arena.release()
    assert arena.capacity == 0
    assert arena.buffer.size == 0
    arena.begin()
    with pytest.raises(ArenaExhaustedError):
        arena.alloc(np.uint8, 1)
