"""Tests of tags and phases: attribution of every allocation, per thread."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from framealloc_engine import (
    AllocConfig,
    FrameNotActiveError,
    FrameStateError,
    KindCounts,
    SmartAlloc,
    tags,
)


@pytest.fixture
def alloc() -> SmartAlloc:
    return SmartAlloc(AllocConfig.minimal())


# -- phases --------------------------------------------------------------------------------


def test_allocations_are_counted_to_their_phase_per_kind(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    alloc.begin_phase("physics")
    assert alloc.current_phase() == "physics"
    alloc.frame_alloc(np.float32, 10)  # 40 bytes
    alloc.frame_alloc(np.float64, 3)  # 24 bytes at a 16-aligned offset: 48 + 24
    p = alloc.pool_alloc(np.float32, 20)  # 80 bytes -> 128-byte class
    alloc.end_phase()
    alloc.begin_phase("render")
    h = alloc.heap_alloc(np.uint8, 100)  # rounded to 112
    alloc.frame_alloc(np.uint8, 5)
    assert alloc.end_phase() == "render"
    alloc.frame_alloc(np.uint8, 1)
    alloc.end_frame()
    stats = alloc.phase_stats()
    assert stats["physics"] == KindCounts(
        frame_count=2, frame_bytes=72, pool_count=1, pool_bytes=128
    )
    assert stats["render"] == KindCounts(
        frame_count=1,
        frame_bytes=85 - 72,
        heap_count=1,
        heap_bytes=112,  # 5 at 80
    )
    assert stats[""].frame_count == 1
    assert stats["physics"].count == 3
    assert stats["physics"].bytes == 200
    alloc.pool_free(p)
    alloc.heap_free(h)


def test_phase_frame_bytes_include_alignment_padding(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    alloc.frame_alloc(np.uint8, 3)
    with alloc.phase_scope("ai"):
        alloc.frame_alloc(np.uint8, 3)  # starts at 16
    alloc.end_frame()
    assert alloc.phase_stats()["ai"].frame_bytes == 19 - 3
    assert alloc.phase_stats()[""].frame_bytes == 3


def test_nested_phases_join_with_separator(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    with alloc.phase_scope("render"):
        alloc.frame_alloc(np.uint8, 16)
        with alloc.phase_scope("shadows"):
            assert alloc.current_phase() == "shadows"
            alloc.frame_alloc(np.uint8, 32)
        assert alloc.current_phase() == "render"
    assert alloc.current_phase() is None
    alloc.end_frame()
    stats = alloc.phase_stats()
    assert stats["render"].frame_bytes == 16
    assert stats["render::shadows"].frame_bytes == 32
    assert "" not in stats


def test_phase_scope_ends_on_error(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    with pytest.raises(RuntimeError, match="boom"), alloc.phase_scope("ai"):
        raise RuntimeError("boom")
    assert alloc.current_phase() is None
    alloc.end_frame()


def test_end_phase_without_a_phase_is_fa001(alloc: SmartAlloc) -> None:
    with pytest.raises(FrameStateError) as info:
        alloc.end_phase()
    assert info.value.code == "FA001"
    assert "phase_scope" in str(info.value)


@pytest.mark.parametrize("name", ["", "a::b", None, 3])
def test_bad_phase_and_tag_names_are_refused(alloc: SmartAlloc, name: Any) -> None:
    with pytest.raises(ValueError, match="name"):
        alloc.begin_phase(name)
    with pytest.raises(ValueError, match="name"):
        alloc.with_tag(name)


def test_phase_stats_describe_the_last_completed_frame(alloc: SmartAlloc) -> None:
    for n in (1, 2, 3):
        alloc.begin_frame()
        with alloc.phase_scope("p"):
            for _ in range(n):
                alloc.frame_alloc(np.uint8, 16)
        # not visible before end_frame: still the previous frame's numbers
        assert alloc.phase_stats().get("p", KindCounts()).frame_count == n - 1
        alloc.end_frame()
        assert alloc.phase_stats()["p"].frame_count == n
        assert alloc.phase_stats()["p"].frame_bytes == 16 * n


def test_phase_still_open_at_end_frame_is_counted_and_carries_over(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    alloc.begin_phase("loading")
    alloc.frame_alloc(np.uint8, 16)
    alloc.end_frame()
    assert alloc.phase_stats()["loading"].frame_count == 1
    alloc.begin_frame()
    assert alloc.current_phase() == "loading"
    alloc.frame_alloc(np.uint8, 16)
    alloc.end_phase()
    alloc.end_frame()
    assert alloc.phase_stats()["loading"].frame_count == 1


def test_rolled_back_allocations_stay_counted_to_their_phase(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    with alloc.phase_scope("ai"):
        cp = alloc.frame_checkpoint()
        alloc.frame_alloc(np.uint8, 16)
        alloc.rollback_to(cp)
        alloc.frame_alloc(np.uint8, 32)
    alloc.end_frame()
    assert alloc.phase_stats()["ai"] == KindCounts(frame_count=2, frame_bytes=48)


def test_no_phase_no_tag_costs_no_bucket_until_frame_end(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    for _ in range(5):
        alloc.frame_alloc(np.uint8, 16)
    # nothing charged yet: attribution happens at changes of tag/phase and at frame end
    assert alloc._tls.state.frame_buckets == {}
    alloc.end_frame()
    assert alloc.phase_stats() == {"": KindCounts(frame_count=5, frame_bytes=80)}


# -- tags ----------------------------------------------------------------------------------


def test_standard_tag_constants() -> None:
    assert tags.STANDARD_TAGS == (
        "rendering",
        "physics",
        "audio",
        "scripting",
        "assets",
        "ui",
        "networking",
        "general",
    )
    assert tags.RENDERING == "rendering"
    assert tags.TAG_SEPARATOR == "::"


def test_with_tag_nests_and_attributes(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    assert alloc.current_tag() is None
    assert alloc.tag_path() == ""
    with alloc.with_tag("ai"):
        alloc.frame_alloc(np.uint8, 16)
        with alloc.with_tag("pathfinding"):
            assert alloc.current_tag() == "pathfinding"
            assert alloc.tag_path() == "ai::pathfinding"
            alloc.frame_alloc(np.uint8, 64)
            p = alloc.pool_alloc(np.uint8, 16)
        assert alloc.tag_path() == "ai"
    alloc.frame_alloc(np.uint8, 16)
    live = alloc.tag_stats()
    assert live["ai::pathfinding"].frame_bytes == 64
    alloc.end_frame()
    by_tag = alloc.frame_tag_stats()
    assert by_tag["ai"] == KindCounts(frame_count=1, frame_bytes=16)
    assert by_tag["ai::pathfinding"] == KindCounts(
        frame_count=1, frame_bytes=64, pool_count=1, pool_bytes=32
    )
    assert by_tag[""].frame_count == 1
    alloc.pool_free(p)


def test_with_tag_callback_form_returns_the_result(alloc: SmartAlloc) -> None:
    alloc.begin_frame()

    def inner(a: Any) -> np.ndarray:
        assert a.tag_path() == "ai::pathfinding"
        out: np.ndarray = a.frame_alloc(np.int32, 64)
        return out

    nodes = alloc.with_tag("ai", lambda a: a.with_tag("pathfinding", inner))
    assert isinstance(nodes, np.ndarray)
    assert nodes.shape == (64,)
    assert alloc.tag_path() == ""
    alloc.end_frame()
    assert alloc.frame_tag_stats()["ai::pathfinding"].frame_bytes == 256


def test_tag_scope_pops_on_error_and_only_once(alloc: SmartAlloc) -> None:
    scope = alloc.with_tag(tags.PHYSICS)
    with pytest.raises(KeyError), scope:  # type: ignore[union-attr]
        raise KeyError
    assert alloc.tag_path() == ""
    scope.__exit__(None, None, None)  # type: ignore[union-attr]
    assert alloc.tag_path() == ""


def test_tag_totals_accumulate_across_frames(alloc: SmartAlloc) -> None:
    for _ in range(3):
        with alloc.frame_scope(), alloc.with_tag(tags.AUDIO):  # type: ignore[union-attr]
            alloc.frame_alloc(np.uint8, 16)
    assert alloc.tag_stats()["audio"].frame_count == 3
    assert alloc.frame_tag_stats()["audio"].frame_count == 1


def test_tags_and_phases_combine(alloc: SmartAlloc) -> None:
    alloc.begin_frame()
    with alloc.phase_scope("update"):
        with alloc.with_tag("ai"):  # type: ignore[union-attr]
            alloc.frame_alloc(np.uint8, 16)
        with alloc.with_tag("ui"):  # type: ignore[union-attr]
            alloc.frame_alloc(np.uint8, 32)
    alloc.end_frame()
    assert alloc.phase_stats()["update"].frame_bytes == 48
    assert alloc.frame_tag_stats()["ai"].frame_bytes == 16
    assert alloc.frame_tag_stats()["ui"].frame_bytes == 32


# -- per thread ----------------------------------------------------------------------------


def test_tags_and_phases_are_per_thread(alloc: SmartAlloc) -> None:
    inside = threading.Barrier(2, timeout=10)
    seen: dict[str, Any] = {}
    errors: list[BaseException] = []

    def worker(name: str, n: int) -> None:
        try:
            alloc.begin_frame()
            with alloc.with_tag(name), alloc.phase_scope(name + "_phase"):  # type: ignore[union-attr]
                inside.wait()  # both threads are inside their own tag and phase now
                for _ in range(n):
                    alloc.frame_alloc(np.uint8, 16)
                seen[name] = (alloc.tag_path(), alloc.current_phase())
                inside.wait()
            alloc.end_frame()
            seen[name + "_stats"] = (alloc.frame_tag_stats(), alloc.phase_stats())
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=("rendering", 2)),
        threading.Thread(target=worker, args=("physics", 5)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert seen["rendering"] == ("rendering", "rendering_phase")
    assert seen["physics"] == ("physics", "physics_phase")
    r_tags, r_phases = seen["rendering_stats"]
    p_tags, p_phases = seen["physics_stats"]
    assert set(r_tags) == {"rendering"}
    assert r_tags["rendering"].frame_count == 2
    assert set(p_tags) == {"physics"}
    assert p_tags["physics"].frame_count == 5
    assert r_phases["rendering_phase"].frame_count == 2
    assert p_phases["physics_phase"].frame_count == 5
    # the main thread saw none of it
    assert alloc.tag_path() == ""
    assert alloc.current_phase() is None
    assert alloc.tag_stats() == {}


def test_stats_summed_over_threads() -> None:
    import threading

    alloc = SmartAlloc.with_defaults()

    def work(tag: str, n: int) -> None:
        with alloc.frame_scope(), alloc.phase_scope("update"), alloc.with_tag(tag):
            alloc.frame_alloc(np.uint8, n)

    threads = [
        threading.Thread(target=work, args=("ai", 32)),
        threading.Thread(target=work, args=("physics", 64)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    work("ai", 16)
    assert alloc.frame_tag_stats()["ai"].frame_bytes == 16  # this thread only
    summed = alloc.frame_tag_stats(all_threads=True)
    assert (summed["ai"].frame_bytes, summed["physics"].frame_bytes) == (48, 64)
    assert alloc.phase_stats(all_threads=True)["update"].frame_count == 3
    assert alloc.tag_stats(all_threads=True)["ai"].frame_count == 2


def test_a_phase_outside_a_frame_is_fa001() -> None:
    alloc = SmartAlloc()
    with pytest.raises(FrameNotActiveError, match="outside an active frame") as info:
        alloc.begin_phase("update")
    assert info.value.code == "FA001"
    assert alloc.current_phase() is None  # nothing was pushed
    with alloc.frame_scope(), alloc.phase_scope("update"):
        assert alloc.current_phase() == "update"


# -- frames where the key never changes (charged when read) --------------------------------


def test_a_frame_under_one_key_is_its_own_breakdown(alloc: SmartAlloc) -> None:
    # No tag or phase changes: nothing is charged at the frame ends, yet each frame's
    # breakdown is that frame alone and the totals hold every frame.
    for n in (1, 2, 3):
        with alloc.frame_scope():
            for _ in range(n):
                alloc.frame_alloc(np.uint8, 16)
        assert alloc.frame_tag_stats() == {"": KindCounts(frame_count=n, frame_bytes=16 * n)}
    assert alloc.tag_stats() == {"": KindCounts(frame_count=6, frame_bytes=96)}
    assert alloc.phase_stats() == {"": KindCounts(frame_count=3, frame_bytes=48)}


def test_what_is_allocated_between_frames_counts_to_the_next_frame(alloc: SmartAlloc) -> None:
    with alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 16)
    block = alloc.pool_alloc(np.float32, 8)  # between frames
    with alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 16)
    (last,) = alloc.frame_tag_stats().values()
    assert (last.frame_count, last.pool_count, last.pool_bytes) == (1, 1, 32)
    alloc.pool_free(block)
    with alloc.frame_scope():
        pass
    assert alloc.frame_tag_stats() == {}  # nothing was allocated in or before it


def test_a_tag_change_after_single_key_frames_charges_them_to_the_old_key(
    alloc: SmartAlloc,
) -> None:
    for _ in range(3):
        with alloc.frame_scope():
            alloc.frame_alloc(np.uint8, 16)
    with alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 16)
        with alloc.with_tag("ai"):  # type: ignore[union-attr]
            alloc.frame_alloc(np.uint8, 32)
    assert alloc.frame_tag_stats() == {
        "": KindCounts(frame_count=1, frame_bytes=16),
        "ai": KindCounts(frame_count=1, frame_bytes=32),
    }
    assert alloc.tag_stats()[""] == KindCounts(frame_count=4, frame_bytes=64)


@pytest.mark.timeout(30)
def test_another_threads_totals_include_what_it_allocated_so_far(alloc: SmartAlloc) -> None:
    # The worker never changes its tag, so nothing of it was charged: a reader on another
    # thread still sees every allocation, its open frame's included, and changes nothing.
    allocated = threading.Event()
    done = threading.Event()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with alloc.frame_scope():
                alloc.frame_alloc(np.uint8, 16)
            alloc.begin_frame()
            alloc.frame_alloc(np.uint8, 32)
            allocated.set()
            assert done.wait(10)
            alloc.end_frame()
            assert alloc.frame_tag_stats() == {"": KindCounts(frame_count=1, frame_bytes=32)}
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)
            allocated.set()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert allocated.wait(10)
        seen = alloc.tag_stats(all_threads=True)
        assert seen[""] == KindCounts(frame_count=2, frame_bytes=48)
        assert alloc.tag_stats(all_threads=True) == seen  # reading charged nothing
    finally:
        done.set()
        thread.join(10)
    assert not errors, errors
    assert alloc.tag_stats(all_threads=True)[""] == KindCounts(frame_count=2, frame_bytes=48)
