"""Boxes: frame boxes expire, pool/heap boxes free themselves."""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass

import numpy as np
import pytest

from framealloc_engine import (
    ClosedBoxError,
    CrossThreadError,
    FrameExpiredError,
    SmartAlloc,
)


@dataclass
class Enemy:
    hp: int


@pytest.fixture
def alloc() -> SmartAlloc:
    return SmartAlloc.with_defaults()


def test_frame_box_copies_numpy_values_into_the_arena(alloc: SmartAlloc) -> None:
    with alloc.frame_scope():
        number = alloc.frame_box(123)
        vector = alloc.frame_box((1.0, 2.0, 3.0))
        text = alloc.frame_box("hello")
        assert number.get() == 123
        assert np.shares_memory(number.array, alloc._tls.arena.buffer)
        assert list(vector.get()) == [1.0, 2.0, 3.0]
        assert text.get() == "hello"
        number.set(7)
        assert number.get() == 7
        assert number.is_valid
        assert alloc.stats().frame_allocated > 0


def test_frame_box_holds_objects_in_the_slot_table(alloc: SmartAlloc) -> None:
    with alloc.frame_scope():
        enemy = Enemy(10)
        boxed = alloc.frame_box(enemy)
        assert boxed.get() is enemy
        assert enemy in alloc._tls.state.frame_objects
        with pytest.raises(TypeError, match="Python object"):
            _ = boxed.array
    # the slot table lets go at end_frame
    assert alloc._tls.state.frame_objects == []


def test_frame_box_expires_with_fa002(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    boxed = alloc.frame_box(1.5)
    obj_box = alloc.frame_box(Enemy(3))
    alloc.end_frame()
    for box in (boxed, obj_box):
        assert not box.is_valid
        with pytest.raises(FrameExpiredError) as info:
            box.get()
        assert info.value.code == "FA002"
        with pytest.raises(FrameExpiredError):
            box.set(2.0)  # type: ignore[arg-type]
    # still expired in the next frame
    with alloc.frame_scope(), pytest.raises(FrameExpiredError):
        boxed.get()
    assert "expired" in repr(boxed)


def test_frame_box_from_another_thread_is_fa201(alloc: SmartAlloc) -> None:
    errors: list[BaseException] = []
    with alloc.frame_scope():
        boxed = alloc.frame_box(5)

        def use() -> None:
            try:
                boxed.get()
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        worker = threading.Thread(target=use)  # fa: allow FA201 - the test checks FA201
        worker.start()
        worker.join(timeout=10)
    assert len(errors) == 1
    assert isinstance(errors[0], CrossThreadError)
    assert errors[0].code == "FA201"


@pytest.mark.parametrize("kind", ["pool", "heap"])
def test_owning_boxes_free_on_close_with_and_collection(alloc: SmartAlloc, kind: str) -> None:
    make = alloc.pool_box if kind == "pool" else alloc.heap_box
    box = make(np.arange(4, dtype=np.int32))
    assert list(box.get()) == [0, 1, 2, 3]
    assert alloc.stats().active_allocations == 1
    box.close()
    box.close()  # idempotent
    assert box.closed
    with pytest.raises(ClosedBoxError) as info:
        box.get()
    assert info.value.code == "FA401"
    with pytest.raises(ClosedBoxError):
        _ = box.array
    assert alloc.stats().active_allocations == 0

    with make(42) as scoped:
        assert scoped.get() == 42
        scoped.set(43)
        assert scoped.get() == 43
        assert alloc.stats().active_allocations == 1
    assert scoped.closed
    assert alloc.stats().active_allocations == 0

    dropped = make(2.5)
    assert alloc.stats().active_allocations == 1
    del dropped
    gc.collect()
    assert alloc.stats().active_allocations == 0


def test_owning_boxes_hold_objects(alloc: SmartAlloc) -> None:
    enemy = Enemy(1)
    box = alloc.pool_box(enemy)
    assert box.get() is enemy
    box.set(Enemy(2))
    assert box.get().hp == 2
    box.close()
    with pytest.raises(ClosedBoxError):
        box.get()
    heap_box = alloc.heap_box(np.zeros(8192, np.uint8))
    assert np.shares_memory(heap_box.array, heap_box.array)
    assert alloc.stats().heap_allocated == 8192
    heap_box.close()


def test_pool_box_too_large_points_to_heap_box(alloc: SmartAlloc) -> None:
    with pytest.raises(ValueError, match="heap"):
        alloc.pool_box(np.zeros(8192, np.uint8))
