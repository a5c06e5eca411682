"""Instrumented runs of random schedules: ordering and conflicts are never violated, and
parallel runs give the same results as single-threaded ones."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framealloc_engine.app import (
    App,
    Commands,
    ExecutorSettings,
    FixedUpdate,
    Local,
    Res,
    ResMut,
    SystemConfig,
    SystemSet,
    TimeUpdateStrategy,
    Update,
    resource_exists,
    system,
)

pytestmark = pytest.mark.timeout(120)


@dataclass
class R0:
    log: list[tuple[int, ...]] = field(default_factory=list)


@dataclass
class R1:
    log: list[tuple[int, ...]] = field(default_factory=list)


@dataclass
class R2:
    log: list[tuple[int, ...]] = field(default_factory=list)


@dataclass
class R3:
    log: list[tuple[int, ...]] = field(default_factory=list)


RESOURCES = (R0, R1, R2, R3)


@dataclass
class Spec:
    reads: frozenset[int]
    writes: frozenset[int]
    after: frozenset[int]  # indices of earlier systems this one runs after
    main_thread: bool


class Monitor:
    """Records violations while systems run."""

    def __init__(self, specs: list[Spec]) -> None:
        self.specs = specs
        self.lock = threading.Lock()
        self.running: set[int] = set()
        self.finished: set[int] = set()
        self.violations: list[str] = []
        self.threads: set[str] = set()
        self.main = threading.main_thread()

    def conflict(self, a: int, b: int) -> bool:
        sa, sb = self.specs[a], self.specs[b]
        return bool(sa.writes & (sb.reads | sb.writes) or sb.writes & sa.reads)

    def enter(self, k: int) -> None:
        with self.lock:
            self.threads.add(threading.current_thread().name)
            for other in self.running:
                if self.conflict(k, other):
                    self.violations.append(f"s{k} overlapped conflicting s{other}")
            for dep in self.specs[k].after:
                if dep not in self.finished:
                    self.violations.append(f"s{k} started before s{dep} finished")
            if self.specs[k].main_thread and threading.current_thread() is not self.main:
                self.violations.append(f"s{k} is main-thread-only but ran elsewhere")
            self.running.add(k)

    def leave(self, k: int) -> None:
        with self.lock:
            self.running.discard(k)
            self.finished.add(k)

    def new_frame(self) -> None:
        self.finished.clear()


def _make_system(k: int, spec: Spec, monitor: Monitor) -> Callable[..., None]:
    params = [f"r{i}" for i in sorted(spec.reads)] + [f"w{i}" for i in sorted(spec.writes)]
    args = ", ".join(params)
    source = f"def s{k}({args}):\n    body(({args}{',' if params else ''}))\n"

    def body(handles: tuple[Any, ...]) -> None:
        monitor.enter(k)
        n_reads = len(spec.reads)
        seen = tuple(len(h.value.log) for h in handles[:n_reads])
        busy = 0
        for i in range(300):  # give other threads a chance to interleave
            busy += i
        for h in handles[n_reads:]:
            h.value.log.append((k, *seen, busy % 7))
        monitor.leave(k)

    namespace: dict[str, Any] = {"body": body}
    exec(source, namespace)  # noqa: S102 - builds a system with the generated signature
    fn = namespace[f"s{k}"]
    fn.__qualname__ = f"s{k}"
    fn.__module__ = __name__
    fn.__annotations__ = {
        **{f"r{i}": Res[RESOURCES[i]] for i in spec.reads},
        **{f"w{i}": ResMut[RESOURCES[i]] for i in spec.writes},
    }
    return fn  # type: ignore[no-any-return]


@st.composite
def schedules(draw: st.DrawFn) -> list[Spec]:
    n = draw(st.integers(2, 10))
    specs = []
    for k in range(n):
        used = draw(st.lists(st.integers(0, 3), unique=True, max_size=3))
        split = draw(st.integers(0, len(used)))
        after = draw(st.frozensets(st.integers(0, k - 1), max_size=2)) if k else frozenset()
        specs.append(
            Spec(
                reads=frozenset(used[:split]),
                writes=frozenset(used[split:]),
                after=after,
                main_thread=draw(st.integers(0, 5)) == 0,
            )
        )
    return specs


def _run(specs: list[Spec], settings: ExecutorSettings, frames: int) -> tuple[Any, Monitor]:
    monitor = Monitor(specs)
    fns = [_make_system(k, spec, monitor) for k, spec in enumerate(specs)]
    app = App(executor=settings)
    for r in RESOURCES:
        app.init_resource(r)
    configs: list[SystemConfig] = []
    for k, spec in enumerate(specs):
        config = system(fns[k]).after(*(fns[d] for d in sorted(spec.after)))
        if spec.main_thread:
            config = config.on_main_thread()
        configs.append(config)
    # add in a shuffled-but-fixed order so insertion order differs from the ordering edges
    app.add_systems(Update, *reversed(configs))
    try:
        for _ in range(frames):
            monitor.new_frame()
            app.update()
    finally:
        app.shutdown()
    state = tuple(tuple(app.resource(r).log) for r in RESOURCES)
    return state, monitor


@pytest.fixture(autouse=True)
def _fast_switching() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # make thread interleavings frequent
    yield
    sys.setswitchinterval(old)


@given(schedules())
def test_random_schedules_respect_order_and_conflicts(specs: list[Spec]) -> None:
    parallel = ExecutorSettings.multi_threaded(threads=3, inline_threshold=0.0)
    state_mt, monitor = _run(specs, parallel, frames=3)
    assert monitor.violations == []
    state_st, monitor_st = _run(specs, ExecutorSettings.single_threaded(), frames=3)
    assert monitor_st.violations == []
    assert state_mt == state_st
    assert monitor_st.threads == {threading.main_thread().name}


def test_independent_systems_really_use_worker_threads() -> None:
    specs = [Spec(frozenset(), frozenset({i}), frozenset(), False) for i in range(4)]
    parallel = ExecutorSettings.multi_threaded(threads=3, inline_threshold=0.0)
    _, monitor = _run(specs, parallel, frames=20)
    assert monitor.violations == []
    assert any(name.startswith("framealloc-worker") for name in monitor.threads)


def test_adaptive_executor_matches_single_threaded() -> None:
    """The default (timed, inline-small-systems) executor gives the same results too."""
    specs = [
        Spec(frozenset({0}), frozenset({1}), frozenset(), False),
        Spec(frozenset({1}), frozenset({2}), frozenset({0}), False),
        Spec(frozenset(), frozenset({0}), frozenset(), True),
        Spec(frozenset({2}), frozenset({3}), frozenset(), False),
    ]
    state_mt, monitor = _run(specs, ExecutorSettings.multi_threaded(threads=2), frames=10)
    state_st, _ = _run(specs, ExecutorSettings.single_threaded(), frames=10)
    assert monitor.violations == []
    assert state_mt == state_st
    assert len(state_st[3]) == 10  # R3 written once per frame


@dataclass
class Counter:
    n: int = 0


def _conditional_app(settings: ExecutorSettings) -> App:
    def tick(counter: ResMut[Counter]) -> None:
        counter.value.n += 1

    def even(counter: Res[Counter]) -> bool:
        return counter.value.n % 2 == 0

    def on_even(log: ResMut[R0], counter: Res[Counter]) -> None:
        log.value.log.append((counter.value.n,))

    def every_third(counter: Res[Counter], commands: Commands, seen: Local[int]) -> None:
        seen.value += 1
        if counter.value.n % 3 == 0:
            commands.insert_resource(R3([(counter.value.n, seen.value)]))
        else:
            commands.remove_resource(R3)

    def with_r3(r3: Res[R3], log: ResMut[R1]) -> None:
        log.value.log.append(r3.value.log[0])

    def fixed(log: ResMut[R2], counter: Res[Counter]) -> None:
        log.value.log.append((counter.value.n,))

    gated = SystemSet("Gated")
    app = App(executor=settings).init_resource(Counter)
    for r in (R0, R1, R2):
        app.init_resource(r)
    app.insert_resource(TimeUpdateStrategy.manual_duration(3 / 128))
    app.add_systems(
        Update,
        tick,
        system(on_even).after(tick).in_set(gated),
        system(every_third).after(tick),
        system(with_r3).run_if(resource_exists(R3)),
    )
    app.configure_sets(Update, gated.run_if(even))
    app.add_systems(FixedUpdate, fixed)
    return app


def test_conditions_commands_and_fixed_steps_match_across_executors() -> None:
    states = []
    for settings in (
        ExecutorSettings.multi_threaded(threads=3, inline_threshold=0.0),
        ExecutorSettings.single_threaded(),
    ):
        app = _conditional_app(settings)
        try:
            for _ in range(12):
                app.update()
        finally:
            app.shutdown()
        states.append(tuple(tuple(app.resource(r).log) for r in (R0, R1, R2)))
    assert states[0] == states[1]
    r0, r1, r2 = states[0]
    assert r0 == tuple((n,) for n in range(2, 13, 2))
    assert [n for n, _ in r1] == [3, 6, 9]  # inserted at the end of frames 3, 6, 9
    assert len(r2) == 18  # 12 frames x 1.5 fixed steps


@pytest.mark.parametrize(("threshold", "expect_workers"), [(1e-7, True), (10.0, False)])
def test_adaptive_dispatch_follows_measured_cost(threshold: float, expect_workers: bool) -> None:
    """Systems measured above the threshold go to workers; cheap ones stay on main."""
    specs = [Spec(frozenset(), frozenset({i}), frozenset(), False) for i in range(4)]
    settings = ExecutorSettings.multi_threaded(threads=3, inline_threshold=threshold)
    _, monitor = _run(specs, settings, frames=12)
    assert monitor.violations == []
    used_workers = any(name.startswith("framealloc-worker") for name in monitor.threads)
    assert used_workers is expect_workers
