"""The safety contract, line by line: no live allocation ever shares bytes with another,
whatever reference the user kept. Each test is one way a user can keep a reference."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from framealloc_engine import (
    AllocationSizeError,
    AllocationTypeError,
    AllocConfig,
    DoubleFreeError,
    LateWriteError,
    SmartAlloc,
    StaleHandleError,
    StreamPriority,
)

Vertex = np.dtype([("pos", "f4", 3), ("uv", "f4", 2)])

#: The ways to keep a reference to an array, each returning something writable.
KEEPERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "the array": lambda a: a,
    "a slice": lambda a: a[1:],
    "a reshape": lambda a: a.reshape(-1),
    "a transpose": lambda a: a.T,
    "a memoryview": lambda a: np.asarray(memoryview(a)),
}


def _alloc(*, debug: bool = False) -> SmartAlloc:
    return SmartAlloc(AllocConfig().with_frame_arena_size(1 << 20).with_debug(debug))


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("keep", list(KEEPERS))
def test_a_frame_view_kept_past_end_frame_never_writes_into_a_later_frame(
    keep: str, debug: bool
) -> None:
    alloc = _alloc(debug=debug)

    def frame() -> np.ndarray:
        with alloc.frame_scope():
            array = alloc.frame_alloc(np.float32, (4, 4))
            array[...] = 1
            return KEEPERS[keep](array)

    kept = frame()
    kept.flags.writeable = True  # re-opened, as a user could
    with alloc.frame_scope():
        later = alloc.frame_alloc(np.float32, (4, 4))
        later[...] = 2
        kept[...] = 9  # the late write
        assert (later == 2).all()
        assert not np.shares_memory(later, kept)
        del later
    assert alloc.stats().frame_escapes >= 1


def test_a_field_view_of_a_structured_frame_array_is_counted() -> None:
    alloc = _alloc()
    with alloc.frame_scope():
        verts = alloc.frame_alloc(Vertex, 8)
        positions = verts["pos"]
        del verts
    with alloc.frame_scope():
        again = alloc.frame_alloc(Vertex, 8)
        assert not np.shares_memory(again, positions)
        del again


def test_views_nobody_holds_are_still_reused_and_escapes_are_reported() -> None:
    alloc = _alloc()
    ids = []

    def frame() -> None:
        with alloc.frame_scope():
            ids.append(id(alloc.frame_alloc(np.float32, 16)))

    for _ in range(3):
        frame()
    assert len(set(ids)) == 1
    assert alloc.stats().frame_escapes == 0


def test_rolled_back_views_kept_are_not_handed_out_again() -> None:
    alloc = _alloc()
    with alloc.frame_scope():
        checkpoint = alloc.frame_checkpoint()
        kept = alloc.frame_alloc(np.uint8, 64)[8:16]
        alloc.rollback_to(checkpoint)
        fresh = alloc.frame_alloc(np.uint8, 64)
        assert not np.shares_memory(fresh, kept)
        del fresh


def test_a_stale_pool_free_never_frees_the_new_owner_block() -> None:
    alloc = _alloc()
    b = alloc.pool_alloc(np.float32, 8)
    alloc.pool_free(b)
    c = alloc.pool_alloc(np.float32, 8)
    assert c is not b
    with pytest.raises(DoubleFreeError):
        alloc.pool_free(b)
    c[:] = 3
    b.flags.writeable = True
    b[:] = 9
    assert (c == 3).all()
    alloc.pool_free(c)


@pytest.mark.parametrize("keep", list(KEEPERS))
def test_pool_and_heap_memory_kept_past_free_is_not_handed_out(keep: str) -> None:
    alloc = _alloc()
    pooled = alloc.pool_alloc(np.float32, (4, 4))
    pool_kept = KEEPERS[keep](pooled)
    alloc.pool_free(pooled)
    heaped = alloc.heap_alloc(np.float32, (64, 64))
    heap_kept = KEEPERS[keep](heaped)
    alloc.heap_free(heaped)
    del pooled, heaped
    for _ in range(4):
        p = alloc.pool_alloc(np.float32, (4, 4))
        h = alloc.heap_alloc(np.float32, (64, 64))
        assert not np.shares_memory(p, pool_kept)
        assert not np.shares_memory(h, heap_kept)
        alloc.pool_free(p)
        alloc.heap_free(h)
        del p, h


def test_a_slice_of_a_handle_view_kept_past_free_and_defragment() -> None:
    alloc = _alloc()
    handles = alloc.handles(4096)
    a = handles.alloc(np.uint8, 512)
    b = handles.alloc(np.uint8, 512)
    kept = handles.resolve(b)[100:200]
    handles.free(a)
    handles.free(b)
    others = [handles.alloc(np.uint8, 512) for _ in range(6)]
    handles.defragment()
    for h in others:
        handles.resolve(h)[:] = 7
    kept.flags.writeable = True
    kept[:] = 9
    assert all((handles.resolve(h) == 7).all() for h in others)


def test_a_handle_of_another_allocator_is_refused() -> None:
    a, b = _alloc().handles(), _alloc().handles()
    foreign = a.alloc(np.float32, 4)
    b.alloc(np.float32, 4)
    with pytest.raises(StaleHandleError, match="another allocator"):
        b.resolve(foreign)


def test_a_loader_slice_kept_past_finish_load_changes_no_other_entry() -> None:
    alloc = _alloc()
    streaming = alloc.streaming(1024)
    first = streaming.reserve(256, StreamPriority.LOW)
    loader_slice = streaming.begin_load(first)[16:32]
    streaming.finish_load(first)
    streaming.free(first)
    others = [streaming.reserve(256, StreamPriority.HIGH) for _ in range(3)]
    for entry in others:
        streaming.begin_load(entry)[:] = 5
        streaming.finish_load(entry)
    loader_slice.flags.writeable = True
    loader_slice[:] = 9
    for entry in others:
        data = streaming.access(entry)
        assert data is not None
        assert (data == 5).all()


def test_scratch_arrays_kept_past_reset_and_group_members_past_free_group() -> None:
    alloc = _alloc()
    pool = alloc.scratch_pool("contract", 4096)
    kept = pool.alloc(np.float32, 64)[4:]
    pool.reset()
    fresh = pool.alloc(np.float32, 64)
    assert not np.shares_memory(fresh, kept)
    groups = alloc.groups()
    level = groups.create_group("level")
    member = groups.alloc(level, np.float32, 16)
    held = member.array[2:]
    groups.free_group(level)
    for _ in range(4):
        other = alloc.pool_alloc(np.float32, 16)
        assert not np.shares_memory(other, held)
        alloc.pool_free(other)


def test_defragment_on_one_thread_never_lands_writes_in_another_handle() -> None:
    """The README's pattern, resolve then write, racing frees and defragments."""
    alloc = _alloc()
    handles = alloc.handles(1 << 16)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            mine = [handles.alloc(np.uint8, 256) for _ in range(8)]
            for round_ in range(300):
                for h in mine:
                    handles.resolve(h)[:] = 1 + (round_ % 200)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            stop.set()

    victims = [handles.alloc(np.uint8, 256) for _ in range(16)]
    for h in victims:
        handles.resolve(h)[:] = 255
    thread = threading.Thread(target=writer)
    thread.start()
    churn = []
    for step in range(10_000):
        if stop.is_set():
            break
        churn.append(handles.alloc(np.uint8, 128))
        if len(churn) > 4:
            handles.free(churn.pop(0))
        handles.defragment(max_moves=3 + step % 5)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert errors == []
    assert all((handles.resolve(h) == 255).all() for h in victims)


@pytest.mark.parametrize(
    ("what", "make"),
    [
        ("frame", lambda a: a.frame_alloc(np.uint8, 32)),
        ("pool", lambda a: a.pool_alloc(np.uint8, 32)),
        ("heap", lambda a: a.heap_alloc(np.uint8, 32)),
    ],
)
def test_debug_mode_catches_a_late_write_and_names_the_allocation_site(
    what: str, make: Callable[[SmartAlloc], np.ndarray]
) -> None:
    alloc = SmartAlloc(AllocConfig().with_frame_arena_size(1 << 16).with_debug())
    alloc.begin_frame()
    array = make(alloc)
    array[:] = 1
    if what == "pool":
        alloc.pool_free(array)
    elif what == "heap":
        alloc.heap_free(array)
    alloc.end_frame()
    assert (array == 0xCD).all()  # poisoned
    array.flags.writeable = True
    array[:] = 7  # the late write
    del array

    def frames() -> None:  # its memory leaves quarantine: the poison is checked
        for _ in range(4):
            alloc.begin_frame()
            alloc.frame_alloc(np.uint8, 32)
            alloc.pool_free(alloc.pool_alloc(np.uint8, 32))
            alloc.heap_free(alloc.heap_alloc(np.uint8, 32))
            alloc.end_frame()

    with pytest.raises(LateWriteError) as info:
        frames()
    assert info.value.code == "FA002"
    assert info.value.note is not None
    assert "test_safety_contract.py" in info.value.note  # where it was allocated


# --- bad requests: typed errors, whatever was asked before --------------------------------


def test_a_dtype_given_as_a_dict_works_for_frames_too() -> None:
    alloc = _alloc()
    spec = {"names": ["x", "y"], "formats": ["f4", "f4"]}
    with alloc.frame_scope():
        array = alloc.frame_alloc(spec, 3)
        assert array.dtype.names == ("x", "y")
        del array
    pooled = alloc.pool_alloc(spec, 3)
    alloc.pool_free(pooled)


def test_more_dimensions_than_numpy_allows_is_fa004() -> None:
    alloc = _alloc()
    with alloc.frame_scope(), pytest.raises(AllocationSizeError, match="dimensions"):
        alloc.frame_alloc(np.uint8, (1,) * 65)
    with pytest.raises(AllocationSizeError, match="dimensions"):
        alloc.pool_alloc(np.uint8, (1,) * 65)


@pytest.mark.parametrize("bad", [4.0, (4.0, 2), True, (2, True)])
def test_a_float_or_bool_dimension_is_refused_whatever_was_asked_before(bad: object) -> None:
    alloc = _alloc()

    def frame() -> None:
        with alloc.frame_scope():
            alloc.frame_alloc(np.float32, 4 if not isinstance(bad, tuple) else (4, 2))
            with pytest.raises(AllocationSizeError):
                alloc.frame_alloc(np.float32, bad)  # type: ignore[arg-type]

    frame()
    frame()  # the reuse cache now has an entry with an equal shape
    good = 4 if not isinstance(bad, tuple) else (4, 2)
    block = alloc.pool_alloc(np.float32, good)
    alloc.pool_free(block)
    del block
    with pytest.raises(AllocationSizeError):
        alloc.pool_alloc(np.float32, bad)  # type: ignore[arg-type]


def test_a_list_shape_mutated_between_frames_gives_the_new_shape() -> None:
    alloc = _alloc()
    shape = [4, 2]
    for expected in ((4, 2), (5, 2), (5, 3)):
        with alloc.frame_scope():
            array = alloc.frame_alloc(np.float32, shape)
            assert array.shape == expected
            del array
        if expected == (4, 2):
            shape[0] = 5
        else:
            shape[1] = 3


def test_an_object_dtype_is_refused_by_every_allocator() -> None:
    alloc = _alloc()
    with alloc.frame_scope(), pytest.raises(AllocationTypeError):
        alloc.frame_alloc(object, 2)
    with pytest.raises(AllocationTypeError):
        alloc.pool_alloc(object, 2)
    with pytest.raises(AllocationTypeError):
        alloc.heap_alloc(object, 2)


def test_leak_reports_list_the_sites_of_what_is_still_live() -> None:
    alloc = SmartAlloc(AllocConfig().with_debug())
    kept = [alloc.pool_alloc(np.float32, 4), alloc.heap_alloc(np.uint8, 100_000)]
    freed = alloc.pool_alloc(np.float32, 4)
    alloc.pool_free(freed)
    leaks = alloc.live_allocations()
    assert sorted(leak.kind for leak in leaks) == ["heap", "pool"]
    assert all(leak.site and "test_safety_contract.py" in leak.site for leak in leaks)
    report = alloc.leak_report()
    assert "2 live allocation(s)" in report
    assert "test_leak_reports_list_the_sites_of_what_is_still_live" in report
    alloc.pool_free(kept[0])
    alloc.heap_free(kept[1])
    assert alloc.leak_report() == "no live pool or heap allocations"
    release = SmartAlloc()
    block = release.pool_alloc(np.float32, 4)
    assert "site not recorded" in release.leak_report()
    release.pool_free(block)
