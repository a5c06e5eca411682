"""ExtentMap: first-fit placement, alignment, coalescing, bad releases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framealloc_engine.allocators.extents import ExtentMap, align_up


def test_align_up() -> None:
    assert [align_up(v, 16) for v in (0, 1, 16, 17)] == [0, 16, 16, 32]


def test_allocate_release_coalesces() -> None:
    em = ExtentMap(256)
    a = em.allocate(64)
    b = em.allocate(64)
    c = em.allocate(64)
    assert (a, b, c) == (0, 64, 128)
    assert em.used == 192
    em.release(b, 64)
    em.release(a, 64)
    assert em.free_extents() == [(0, 128), (192, 64)]
    em.release(c, 64)
    assert em.free_extents() == [(0, 256)]
    assert em.used == 0


def test_alignment_padding_stays_free() -> None:
    em = ExtentMap(256)
    em.allocate(8, 8)
    off = em.allocate(16, 64)
    assert off == 64
    assert (8, 56) in em.free_extents()


def test_full_returns_minus_one_and_bad_releases_raise() -> None:
    em = ExtentMap(64)
    assert em.allocate(65) == -1
    off = em.allocate(32)
    with pytest.raises(ValueError, match="overlaps"):
        em.release(40, 8)
    with pytest.raises(ValueError, match="outside"):
        em.release(60, 8)
    with pytest.raises(ValueError, match="positive"):
        em.allocate(0)
    em.release(off, 32)
    with pytest.raises(ValueError, match="overlaps"):
        em.release(off, 32)
    assert em.allocate_at(16, 16)
    assert not em.allocate_at(8, 16)
    em.reset()
    assert em.largest_free() == 64


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 200), st.sampled_from([1, 16, 64]))))
def test_random_sequences_never_overlap(ops: list[tuple[bool, int, int]]) -> None:
    em = ExtentMap(4096)
    live: dict[int, int] = {}
    for allocate, size, align in ops:
        if allocate or not live:
            off = em.allocate(size, align)
            if off >= 0:
                assert off % align == 0
                for start, length in live.items():
                    assert off + size <= start or start + length <= off
                live[off] = size
        else:
            start = min(live)
            em.release(start, live.pop(start))
        assert em.used == sum(live.values())
    for start, size in live.items():
        em.release(start, size)
    assert em.free_extents() == [(0, 4096)]
