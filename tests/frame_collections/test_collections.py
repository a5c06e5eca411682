"""Tests of FrameVec and FrameMap: bounds, list/dict behaviour, views, frame validity."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from framealloc_engine import (
    AllocationSizeError,
    AllocationTypeError,
    AllocConfig,
    CapacityError,
    CrossThreadError,
    FrameExpiredError,
    FrameNotActiveError,
    SmartAlloc,
)
from framealloc_engine.frame_collections import FrameMap, FrameVec, item_dtype

Vertex = np.dtype([("pos", "f4", 3), ("uv", "f4", 2)])


@dataclass
class Entity:
    name: str


@pytest.fixture
def alloc() -> SmartAlloc:
    a = SmartAlloc(AllocConfig.minimal())
    a.begin_frame()
    return a


# -- item types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item_type", "expected"),
    [
        (np.float32, np.dtype(np.float32)),
        (int, np.dtype(np.int64)),
        (float, np.dtype(np.float64)),
        (bool, np.dtype(np.bool_)),
        ("U8", np.dtype("U8")),
        (Vertex, Vertex),
        (object, None),
        (str, None),
        (Entity, None),
        (np.dtype(object), None),
    ],
)
def test_item_dtype(item_type: Any, expected: Any) -> None:
    assert item_dtype(item_type) == expected


def test_bad_item_type_spec_is_fa004(alloc: SmartAlloc) -> None:
    with pytest.raises(AllocationTypeError):
        alloc.frame_vec("f5", 4)
    with pytest.raises(AllocationSizeError):
        alloc.frame_vec(np.int32, -1)


# -- FrameVec ------------------------------------------------------------------------------


def test_frame_vec_lives_in_frame_memory(alloc: SmartAlloc) -> None:
    vec = alloc.frame_vec(np.float32, 16)
    assert vec.capacity == 16
    assert vec.dtype == np.float32
    assert alloc.thread_stats().frame_in_use == 64
    vec.push(1.5)
    assert alloc._tls.arena.owns(vec.view())


def test_frame_vec_list_api(alloc: SmartAlloc) -> None:
    vec = alloc.frame_vec(np.int64, 5)
    assert len(vec) == 0
    vec.push(1)
    vec.append(2)
    vec.extend([3, 4])
    assert list(vec) == [1, 2, 3, 4]
    assert vec[0] == 1
    assert vec[-1] == 4
    assert vec.get(10) is None
    assert vec.get(-10, "x") == "x"
    vec[1] = 20
    assert vec.to_list() == [1, 20, 3, 4]
    assert vec.pop() == 4
    assert vec.remaining() == 2
    assert vec.retain(lambda x: x != 20) == 1
    assert vec.to_list() == [1, 3]
    np.testing.assert_array_equal(vec[0:2], [1, 3])
    vec.clear()
    assert len(vec) == 0
    with pytest.raises(IndexError):
        vec.pop()
    with pytest.raises(IndexError):
        vec[0]


def test_frame_vec_capacity_is_fixed(alloc: SmartAlloc) -> None:
    vec = alloc.frame_vec(np.int32, 2)
    vec.push(1)
    assert vec.try_push(2)
    assert vec.is_full()
    assert not vec.try_push(3)
    with pytest.raises(CapacityError) as info:
        vec.push(3)
    assert info.value.code == "FA003"
    assert "try_push" in str(info.value)
    vec.pop()
    with pytest.raises(CapacityError):
        vec.extend([5, 6])  # all or nothing
    assert vec.to_list() == [1]


def test_frame_vec_numpy_view_and_vectorised_work(alloc: SmartAlloc) -> None:
    vec = alloc.frame_vec(np.float32, 100)
    vec.extend(np.arange(10, dtype=np.float32))
    view = vec.view()
    assert view.shape == (10,)
    view *= 2  # writes through
    assert vec[3] == 6
    assert vec.retain_mask(vec.view() > 10) == 6
    np.testing.assert_array_equal(vec.view(), [12, 14, 16, 18])
    with pytest.raises(ValueError, match="shape"):
        vec.retain_mask(np.ones(3, dtype=bool))


def test_frame_vec_structured_items(alloc: SmartAlloc) -> None:
    vec = alloc.frame_vec(Vertex, 8)
    vec.push(((1, 2, 3), (0.5, 0.25)))
    vec.extend([((4, 5, 6), (1, 1)), ((7, 8, 9), (0, 0))])
    np.testing.assert_array_equal(vec.view()["pos"][:, 0], [1, 4, 7])
    vec[0]["uv"] = (9, 9)  # item reads are views: update in place
    assert tuple(vec.view()["uv"][0]) == (9, 9)
    last = vec.pop()
    vec.push(((0, 0, 0), (0, 0)))
    assert tuple(last["pos"]) == (7, 8, 9)  # pop returned a copy


def test_frame_vec_subarray_items(alloc: SmartAlloc) -> None:
    vec = alloc.frame_vec(np.dtype((np.float32, 3)), 4)
    vec.push((1, 2, 3))
    vec.extend(np.ones((2, 3), dtype=np.float32))
    assert vec.view().shape == (3, 3)
    with pytest.raises(ValueError, match="shape"):
        vec.extend(np.ones((2, 2)))


def test_frame_vec_of_objects(alloc: SmartAlloc) -> None:
    vec = alloc.frame_vec(Entity, 3)
    assert vec.dtype is None
    a, b = Entity("a"), Entity("b")
    vec.push(a)
    vec.extend([b, [1, 2]])  # any object, lists included
    assert vec[0] is a
    assert vec[2] == [1, 2]
    assert vec.pop() == [1, 2]
    assert vec.retain(lambda e: e.name == "b") == 1
    assert vec.to_list() == [b]
    with pytest.raises(CapacityError):
        vec.extend([a, a, a])
    assert vec.view().dtype == object


def test_frame_vec_needs_a_frame() -> None:
    alloc = SmartAlloc(AllocConfig.minimal())
    with pytest.raises(FrameNotActiveError):
        alloc.frame_vec(np.int32, 4)
    with pytest.raises(FrameNotActiveError):
        alloc.frame_vec(object, 4)


@pytest.mark.parametrize("item_type", [np.int32, object])
def test_frame_vec_after_end_frame_is_fa002(alloc: SmartAlloc, item_type: Any) -> None:
    vec = alloc.frame_vec(item_type, 4)
    vec.push(1)
    it = iter(vec)
    assert next(it) == 1
    alloc.end_frame()
    assert not vec.is_valid
    for use in (len, list, lambda v: v.push(2), lambda v: v[0], lambda v: v.view()):
        with pytest.raises(FrameExpiredError) as info:
            use(vec)
        assert info.value.code == "FA002"
    alloc.begin_frame()
    with pytest.raises(FrameExpiredError):
        vec.pop()
    assert repr(vec) == "<FrameVec expired>"


def test_frame_vec_iteration_stops_when_the_frame_ends(alloc: SmartAlloc) -> None:
    vec = alloc.frame_vec(np.int32, 4)
    vec.extend([1, 2])
    it = iter(vec)
    assert next(it) == 1
    alloc.end_frame()
    with pytest.raises(FrameExpiredError):
        next(it)


def test_frame_vec_rolled_back_past_its_creation_is_fa002(alloc: SmartAlloc) -> None:
    cp = alloc.frame_checkpoint()
    vec = alloc.frame_vec(np.int32, 4)
    kept = alloc.frame_vec(np.int32, 4)
    alloc.rollback_to(cp)
    with pytest.raises(FrameExpiredError, match="rolled back"):
        vec.push(1)
    assert not kept.is_valid
    before = alloc.frame_vec(np.int32, 4)
    cp2 = alloc.frame_checkpoint()
    alloc.frame_alloc(np.int32, 4)
    alloc.rollback_to(cp2)
    before.push(3)
    assert before.to_list() == [3]


def test_frame_vec_from_another_thread_is_fa201(alloc: SmartAlloc) -> None:
    vec = alloc.frame_vec(np.int32, 4)
    errors: list[BaseException] = []

    def other() -> None:
        try:
            vec.push(1)
        except CrossThreadError as exc:
            errors.append(exc)

    t = threading.Thread(target=other)  # fa: allow FA201 - the test checks FA201
    t.start()
    t.join(timeout=10)
    assert not t.is_alive()
    assert len(errors) == 1
    assert errors[0].code == "FA201"  # type: ignore[attr-defined]


# -- FrameMap ------------------------------------------------------------------------------


def test_frame_map_table_api(alloc: SmartAlloc) -> None:
    m = alloc.frame_map(np.int64, np.float32, 4)
    assert isinstance(m, FrameMap)
    assert m.is_table
    m.insert(10, 1.0)
    m[-3] = 2.0
    m[10] = 3.0  # replace
    assert len(m) == 2
    assert m[10] == 3.0
    assert m.get(99) is None
    assert m.get("x", 0) == 0
    assert 10 in m
    assert "x" not in m
    assert 2**70 not in m
    assert sorted(m) == [-3, 10]
    assert dict(m.items()) == {10: 3.0, -3: 2.0}
    assert sorted(m.values()) == [2.0, 3.0]
    assert m.pop(10) == 3.0
    assert m.pop(10, None) is None
    with pytest.raises(KeyError):
        m.remove(10)
    with pytest.raises(KeyError):
        m[10]
    del m[-3]
    assert len(m) == 0
    with pytest.raises(TypeError, match="integer"):
        m["a"] = 1.0
    with pytest.raises(OverflowError):
        m[2**70] = 1.0


def test_frame_map_capacity_is_fixed(alloc: SmartAlloc) -> None:
    m = alloc.frame_map(np.int32, np.int32, 2)
    m[1] = 1
    assert m.try_insert(2, 2)
    assert m.is_full()
    m[2] = 22  # replacing never needs room
    assert not m.try_insert(3, 3)
    with pytest.raises(CapacityError) as info:
        m[3] = 3
    assert info.value.code == "FA003"
    m.pop(1)
    with pytest.raises(CapacityError):
        m.extend({5: 5, 6: 6})
    assert m.to_dict() == {2: 22}
    m.extend([(2, 0), (7, 7), (7, 8)])  # one new key, later pairs win
    assert m.to_dict() == {2: 0, 7: 8}


def test_frame_map_views_are_dense_and_aligned(alloc: SmartAlloc) -> None:
    m = alloc.frame_map(np.uint32, np.float64, 8)
    m.extend({i: i * 0.5 for i in range(6)})
    m.pop(1)
    keys, values = m.keys_view(), m.values_view()
    assert keys.shape == values.shape == (5,)
    np.testing.assert_array_equal(values, keys * 0.5)
    assert alloc._tls.arena.owns(keys)
    values += 1  # writes through
    assert m[4] == 3.0
    assert m.retain(lambda k, v: k % 2 == 0) == 2
    assert sorted(m.to_dict()) == [0, 2, 4]


def test_frame_map_structured_values(alloc: SmartAlloc) -> None:
    m = alloc.frame_map(np.int64, Vertex, 4)
    m[7] = ((1, 2, 3), (0, 1))
    m[7]["pos"][0] = 10  # reads are views
    assert m.values_view()["pos"][0, 0] == 10
    popped = m.pop(7)
    assert tuple(popped["pos"]) == (10, 2, 3)


def test_frame_map_dict_fallback(alloc: SmartAlloc) -> None:
    m = alloc.frame_map(str, Entity, 2)
    assert not m.is_table
    e = Entity("x")
    m["player"] = e
    assert m["player"] is e
    m.extend({"enemy": Entity("y")})
    with pytest.raises(CapacityError):
        m["third"] = e
    assert m.retain(lambda k, v: k == "player") == 1
    assert m.to_dict() == {"player": e}
    with pytest.raises(TypeError, match="items"):
        m.keys_view()
    float_keys = alloc.frame_map(np.float64, np.float64, 2)
    assert not float_keys.is_table
    float_keys[0.5] = 1.0
    assert float_keys[0.5] == 1.0


def test_frame_map_after_end_frame_is_fa002(alloc: SmartAlloc) -> None:
    m = alloc.frame_map(np.int64, np.int64, 4)
    d = alloc.frame_map(str, object, 4)
    m[1] = 1
    d["a"] = 1
    alloc.end_frame()
    for mp in (m, d):
        with pytest.raises(FrameExpiredError):
            mp.get(1)
        with pytest.raises(FrameExpiredError):
            len(mp)
        assert repr(mp) == "<FrameMap expired>"


def test_frame_map_survives_many_removals(alloc: SmartAlloc) -> None:
    m = alloc.frame_map(np.int64, np.int64, 8)
    model: dict[int, int] = {}
    for i in range(500):
        key = (i * 37) % 23
        if key in model and i % 3:
            assert m.pop(key) == model.pop(key)
        elif len(model) < 8 or key in model:
            m[key] = i
            model[key] = i
    assert m.to_dict() == model


# -- property tests: against list and dict -------------------------------------------------

VALUES = st.integers(-1000, 1000)


class FrameVecMachine(RuleBasedStateMachine):
    """A FrameVec of int64 behaves like a list bounded to its capacity."""

    def __init__(self) -> None:
        super().__init__()
        self.alloc = SmartAlloc(AllocConfig.minimal())
        self.alloc.begin_frame()
        self.capacity = 12
        self.vec: FrameVec[Any] = self.alloc.frame_vec(np.int64, self.capacity)
        self.model: list[int] = []

    @rule(value=VALUES)
    def push(self, value: int) -> None:
        if len(self.model) < self.capacity:
            self.vec.push(value)
            self.model.append(value)
        else:
            with pytest.raises(CapacityError):
                self.vec.push(value)
            assert not self.vec.try_push(value)

    @rule()
    def pop(self) -> None:
        if self.model:
            assert self.vec.pop() == self.model.pop()
        else:
            with pytest.raises(IndexError):
                self.vec.pop()

    @rule(index=st.integers(-15, 15))
    def get(self, index: int) -> None:
        expected = self.model[index] if -len(self.model) <= index < len(self.model) else None
        assert self.vec.get(index) == expected

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), value=VALUES)
    def set_item(self, data: st.DataObject, value: int) -> None:
        index = data.draw(st.integers(-len(self.model), len(self.model) - 1))
        self.vec[index] = value
        self.model[index] = value

    @rule(values=st.lists(VALUES, max_size=6))
    def extend(self, values: list[int]) -> None:
        if len(self.model) + len(values) <= self.capacity:
            self.vec.extend(values)
            self.model.extend(values)
        else:
            with pytest.raises(CapacityError):
                self.vec.extend(values)

    @rule(modulus=st.integers(2, 4))
    def retain(self, modulus: int) -> None:
        removed = self.vec.retain(lambda x: x % modulus != 0)
        kept = [x for x in self.model if x % modulus != 0]
        assert removed == len(self.model) - len(kept)
        self.model = kept

    @rule()
    def clear(self) -> None:
        self.vec.clear()
        self.model.clear()

    @invariant()
    def same_items(self) -> None:
        assert len(self.vec) == len(self.model)
        assert list(self.vec) == self.model
        assert self.vec.view().tolist() == self.model

    def teardown(self) -> None:
        self.alloc.end_frame()


KEYS = st.integers(-50, 50) | st.sampled_from([2**31 - 1, -(2**31)])


class FrameMapMachine(RuleBasedStateMachine):
    """A table FrameMap behaves like a dict bounded to its capacity."""

    def __init__(self) -> None:
        super().__init__()
        self.alloc = SmartAlloc(AllocConfig.minimal())
        self.alloc.begin_frame()
        self.capacity = 10
        self.map: FrameMap[Any, Any] = self.alloc.frame_map(np.int32, np.int64, self.capacity)
        self.model: dict[int, int] = {}

    @rule(key=KEYS, value=VALUES)
    def insert(self, key: int, value: int) -> None:
        if key in self.model or len(self.model) < self.capacity:
            self.map[key] = value
            self.model[key] = value
        else:
            with pytest.raises(CapacityError):
                self.map[key] = value
            assert not self.map.try_insert(key, value)

    @rule(key=KEYS)
    def pop(self, key: int) -> None:
        assert self.map.pop(key, None) == self.model.pop(key, None)

    @rule(key=KEYS)
    def get(self, key: int) -> None:
        assert self.map.get(key) == self.model.get(key)
        assert (key in self.map) == (key in self.model)

    @rule(pairs=st.dictionaries(KEYS, VALUES, max_size=5))
    def extend(self, pairs: dict[int, int]) -> None:
        new = len(set(pairs) - set(self.model))
        if len(self.model) + new <= self.capacity:
            self.map.extend(pairs)
            self.model.update(pairs)
        else:
            with pytest.raises(CapacityError):
                self.map.extend(pairs)

    @rule(modulus=st.integers(2, 3))
    def retain(self, modulus: int) -> None:
        self.map.retain(lambda k, v: v % modulus == 0)
        self.model = {k: v for k, v in self.model.items() if v % modulus == 0}

    @rule()
    def clear(self) -> None:
        self.map.clear()
        self.model.clear()

    @invariant()
    def same_entries(self) -> None:
        assert len(self.map) == len(self.model)
        assert self.map.to_dict() == self.model
        assert (
            dict(zip(self.map.keys_view().tolist(), self.map.values_view().tolist(), strict=True))
            == self.model
        )

    def teardown(self) -> None:
        self.alloc.end_frame()


TestFrameVecMachine = FrameVecMachine.TestCase
TestFrameMapMachine = FrameMapMachine.TestCase
