"""Time clocks, the World, and the schedule graph algorithms."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framealloc_engine.app import (
    App,
    ExecutorSettings,
    MissingResourceError,
    Time,
    TimeUpdateStrategy,
    World,
)
from framealloc_engine.app.graph import conflict_edges, find_cycle, reduce_edges, stable_toposort
from framealloc_engine.app.time import FixedClock

# --- time ------------------------------------------------------------------------------------


def test_manual_time_pause_and_speed() -> None:
    time = Time()
    manual = TimeUpdateStrategy.manual_duration(0.1)
    time.advance(manual)
    assert (time.real.delta, time.virtual.delta, time.delta) == (0.1, 0.1, 0.1)
    time.virtual.pause()
    time.advance(manual)
    assert time.virtual.delta == 0.0
    assert time.real.elapsed == pytest.approx(0.2)
    time.virtual.unpause()
    time.virtual.relative_speed = 2.0
    time.advance(manual)
    assert time.virtual.delta == pytest.approx(0.2)
    assert time.virtual.elapsed == pytest.approx(0.3)
    assert time.frame_count == 3
    assert "Time(frame=3" in repr(time)


def test_virtual_step_is_capped_by_max_delta() -> None:
    time = Time()
    time.advance(TimeUpdateStrategy.manual_duration(2.0))
    assert time.real.delta == 2.0
    assert time.virtual.delta == time.virtual.max_delta == 0.25


def test_automatic_time_measures_wall_clock() -> None:
    time = Time()
    time.advance(None)
    assert time.delta == 0.0  # first frame has no previous instant
    time.advance(TimeUpdateStrategy.automatic())
    assert time.real.delta >= 0.0
    assert time.real.elapsed == time.real.delta


def test_fixed_clock_rate_and_fraction() -> None:
    fixed = FixedClock(hz=10)
    assert fixed.accumulate(0.25) == 2
    assert fixed.overstep_fraction == pytest.approx(0.5)
    fixed.set_hz(20)
    assert fixed.timestep == pytest.approx(0.05)
    with pytest.raises(ValueError, match="positive"):
        fixed.set_hz(0)
    with pytest.raises(ValueError, match="finite"):
        TimeUpdateStrategy.manual_duration(-1)


def test_app_time_strategy_resource() -> None:
    app = App(executor=ExecutorSettings.single_threaded())
    app.insert_resource(TimeUpdateStrategy.manual_duration(1 / 64))
    for _ in range(4):
        app.update()
    time = app.resource(Time)
    assert time.elapsed == pytest.approx(4 / 64)
    assert time.fixed.elapsed == pytest.approx(4 / 64)


# --- world -----------------------------------------------------------------------------------


@dataclass
class Config:
    size: int = 3


class Derived:
    def __init__(self, size: int) -> None:
        self.size = size

    @classmethod
    def from_world(cls, world: World) -> Derived:
        return cls(world.resource(Config).size * 2)


class NeedsArgs:
    def __init__(self, value: int) -> None:
        self.value = value


def test_world_resources() -> None:
    world = World()
    assert world.get_resource(Config) is None
    config = world.init_resource(Config)
    assert world.init_resource(Config) is config  # idempotent
    assert world.init_resource(Derived).size == 6
    assert set(world.resource_types()) == {Config, Derived}
    assert world.remove_resource(Config) is config
    assert world.remove_resource(Config) is None
    assert not world.contains_resource(Config)
    with pytest.raises(MissingResourceError, match=r"init_resource\(Config\)"):
        world.resource(Config)
    with pytest.raises(TypeError, match="insert an instance"):
        world.init_resource(NeedsArgs)
    with pytest.raises(MissingResourceError, match=r"add_event\(Config\)"):
        world.events(Config)
    assert world.access_bit(Config) != world.access_bit(Derived)
    assert world.access_bit(Config) == world.access_bit(Config)


# --- graph -----------------------------------------------------------------------------------


def _reach(n: int, edges: set[tuple[int, int]]) -> set[tuple[int, int]]:
    succ: dict[int, set[int]] = {i: set() for i in range(n)}
    for u, v in edges:
        succ[u].add(v)
    out = set()
    for start in range(n):
        stack, seen = [start], set()
        while stack:
            for nxt in succ[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        out |= {(start, v) for v in seen}
    return out


@st.composite
def dags(draw: st.DrawFn) -> tuple[int, set[tuple[int, int]], set[frozenset[int]]]:
    n = draw(st.integers(1, 9))
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    perm = draw(st.permutations(range(n)))
    rank = {node: i for i, node in enumerate(perm)}
    edges = {(u, v) for u, v in draw(st.lists(st.sampled_from(pairs), max_size=12)) if pairs
             and rank[u] < rank[v]} if pairs else set()
    conflicts = {frozenset(p) for p in draw(st.lists(st.sampled_from(pairs), max_size=8))} \
        if pairs else set()
    return n, edges, conflicts


@given(dags())
def test_graph_algorithms(case: tuple[int, set[tuple[int, int]], set[frozenset[int]]]) -> None:
    n, edges, conflicts = case
    order = stable_toposort(n, edges)
    assert order is not None
    assert find_cycle(n, edges) == []
    pos = {node: i for i, node in enumerate(order)}
    assert all(pos[u] < pos[v] for u, v in edges)
    full = conflict_edges(order, edges, lambda a, b: frozenset((a, b)) in conflicts)
    reach = _reach(n, full)
    assert edges <= full
    for pair in conflicts:  # every conflicting pair is ordered, following the order
        a, b = sorted(pair, key=pos.__getitem__)
        assert (a, b) in reach
    reduced = reduce_edges(order, full)
    assert reduced <= full
    assert _reach(n, reduced) == reach  # same ordering, fewer edges


def test_cycle_detection() -> None:
    edges = {(0, 1), (1, 2), (2, 0), (2, 3)}
    assert stable_toposort(4, edges) is None
    cycle = find_cycle(4, edges)
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {0, 1, 2}
