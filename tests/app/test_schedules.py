"""Schedules, ordering, sets, run conditions and schedule insertion."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from framealloc_engine.app import (
    App,
    Commands,
    EventWriter,
    ExecutorSettings,
    First,
    FixedUpdate,
    Last,
    Local,
    PostStartup,
    PostUpdate,
    PreStartup,
    PreUpdate,
    Res,
    ResMut,
    ScheduleBuildError,
    ScheduleLabel,
    Startup,
    SystemSet,
    Time,
    TimeUpdateStrategy,
    Update,
    chain,
    chain_sets,
    not_,
    on_event,
    resource_exists,
    run_once,
    system,
    systems,
)


@dataclass
class Trace:
    names: list[str] = field(default_factory=list)


@dataclass
class Flag:
    on: bool = True


@dataclass
class Ping:
    n: int


def tracer(name: str):  # type: ignore[no-untyped-def]
    def fn(trace: ResMut[Trace]) -> None:
        trace.value.names.append(name)

    fn.__qualname__ = name
    return fn


def _app(**kw: object) -> App:
    settings = kw.pop("executor", ExecutorSettings.single_threaded())
    app = App(executor=settings)  # type: ignore[arg-type]
    app.init_resource(Trace)
    return app


def _trace(app: App) -> list[str]:
    return app.resource(Trace).names


def test_schedule_order_and_startup_once() -> None:
    app = _app()
    labels = [PreStartup, Startup, PostStartup, First, PreUpdate, Update, PostUpdate, Last]
    for label in reversed(labels):
        app.add_systems(label, tracer(label.name))
    app.insert_resource(TimeUpdateStrategy.manual_duration(1 / 64))
    app.add_systems(FixedUpdate, tracer("FixedUpdate"))
    app.update()
    assert _trace(app) == [
        "PreStartup", "Startup", "PostStartup",
        "First", "PreUpdate", "FixedUpdate", "Update", "PostUpdate", "Last",
    ]
    _trace(app).clear()
    app.update()
    assert _trace(app) == ["First", "PreUpdate", "FixedUpdate", "Update", "PostUpdate", "Last"]


def test_before_after_chain() -> None:
    a, b, c, d = (tracer(x) for x in "abcd")
    app = _app()
    app.add_systems(Update, system(a).after(c), chain(b, c), system(d).before(b))
    app.update()
    assert _trace(app) == ["d", "b", "c", "a"]


def test_cycle_is_a_build_error_naming_the_systems() -> None:
    a, b, c = (tracer(x) for x in "abc")
    app = _app().add_systems(Update, chain(a, b, c), system(tracer("z")), )
    app.add_systems(Update, system(tracer("y")).after(c).before(a))
    with pytest.raises(ScheduleBuildError, match="ordering cycle") as info:
        app.update()
    message = str(info.value)
    for name in ("'tests.app.test_schedules.a'", ".b'", ".c'", ".y'"):
        assert name in message
    assert "help:" in message


def test_ordering_against_unknown_system_is_an_error() -> None:
    a, b = tracer("a"), tracer("b")
    app = _app().add_systems(Update, system(a).after(b))
    with pytest.raises(ScheduleBuildError, match="not in schedule Update"):
        app.update()


def test_duplicate_system_is_an_error() -> None:
    a = tracer("a")
    app = _app().add_systems(Update, a, a)
    with pytest.raises(ScheduleBuildError, match="twice"):
        app.update()


def test_sets_order_members_and_nest() -> None:
    physics, render, inner = SystemSet("Physics"), SystemSet("Render"), SystemSet("Inner")
    app = _app()
    app.add_systems(
        Update,
        system(tracer("draw")).in_set(render),
        system(tracer("move")).in_set(physics),
        system(tracer("collide")).in_set(inner),
        system(tracer("input")).before(physics),
    )
    app.configure_sets(Update, physics.before(render), inner.in_set(physics))
    app.update()
    trace = _trace(app)
    assert trace[0] == "input"
    assert trace[-1] == "draw"
    assert set(trace[1:3]) == {"move", "collide"}


def test_chain_sets_and_set_cycle() -> None:
    s1, s2, s3 = SystemSet("S1"), SystemSet("S2"), SystemSet("S3")
    app = _app()
    app.add_systems(
        Update, *(system(tracer(n)).in_set(s) for n, s in [("c", s3), ("b", s2), ("a", s1)])
    )
    app.configure_sets(Update, chain_sets(s1, s2, s3))
    app.update()
    assert _trace(app) == ["a", "b", "c"]
    bad = _app().add_systems(Update, system(tracer("x")).in_set(s1))
    bad.configure_sets(Update, s1.in_set(s2), s2.in_set(s1))
    with pytest.raises(ScheduleBuildError, match="contain each other"):
        bad.update()


def test_run_conditions() -> None:
    def flag_on(flag: Res[Flag]) -> bool:
        return flag.value.on

    app = _app()
    app.add_event(Ping)

    def send(out: EventWriter[Ping], sent: Local[int]) -> None:
        if sent.value == 0:
            out.send(Ping(1))
        sent.value += 1

    app.add_systems(
        Update,
        system(tracer("once")).run_if(run_once()),
        system(tracer("if_flag")).run_if(resource_exists(Flag) & flag_on),
        system(tracer("no_flag")).run_if(not_(resource_exists(Flag))),
        system(tracer("on_ping")).run_if(on_event(Ping)).after(send),
        send,
    )
    app.update()
    assert sorted(_trace(app)) == ["no_flag", "on_ping", "once"]
    app.insert_resource(Flag(True))
    _trace(app).clear()
    app.update()
    assert sorted(_trace(app)) == ["if_flag"]  # on_ping consumed frame 1's ping, none new


def test_group_run_if_and_set_condition_evaluated_once() -> None:
    calls: list[int] = []

    def counted() -> bool:
        calls.append(1)
        return True

    app = _app()
    app.add_systems(Update, systems(tracer("g1"), tracer("g2")).chain().run_if(counted))
    gated = SystemSet("Gated")
    app.add_systems(Update, system(tracer("never")).in_set(gated))
    app.configure_sets(Update, gated.run_if(lambda: False))
    app.update()
    assert _trace(app) == ["g1", "g2"]
    assert len(calls) == 1


def test_condition_combinators() -> None:
    app = _app().insert_resource(Flag())
    cond = resource_exists(Flag) & ~resource_exists(Ping)
    app.add_systems(Update, system(tracer("both")).run_if(cond))
    app.add_systems(Update, system(tracer("either")).run_if(resource_exists(Ping) | cond))
    app.update()
    assert sorted(_trace(app)) == ["both", "either"]


def test_add_schedule_before_and_after() -> None:
    render = ScheduleLabel("Render")
    late = ScheduleLabel("Late")
    manual = ScheduleLabel("Manual")
    app = _app()
    app.add_schedule(render, after=Last).add_schedule(late, before=render)
    app.add_schedule(manual)
    for label in (render, late, Last, Update, manual):
        app.add_systems(label, tracer(label.name))
    assert app.frame_order[-3:] == [Last, late, render]
    app.update()
    assert _trace(app) == ["Update", "Last", "Late", "Render"]
    app.run_schedule(manual)
    assert _trace(app)[-1] == "Manual"
    with pytest.raises(ScheduleBuildError, match="already exists"):
        app.add_schedule(render)
    with pytest.raises(ScheduleBuildError, match="not in the startup or frame order"):
        app.add_schedule(ScheduleLabel("X"), after=manual)
    with pytest.raises(ScheduleBuildError, match="does not exist"):
        app.add_systems(ScheduleLabel("Nope"), tracer("n"))


def test_commands_apply_at_end_of_schedule() -> None:
    def insert(commands: Commands, trace: ResMut[Trace]) -> None:
        commands.insert_resource(Flag(False))
        trace.value.names.append(f"flag during schedule: {trace.value is None}")

    def check(trace: ResMut[Trace]) -> None:
        trace.value.names.append("check")

    app = _app()
    app.add_systems(Update, chain(insert, system(check).run_if(resource_exists(Flag))))
    app.add_systems(PostUpdate, system(tracer("post")).run_if(resource_exists(Flag)))
    app.update()
    assert "check" not in _trace(app)  # the insert is deferred to the end of Update
    assert _trace(app)[-1] == "post"
    assert app.resource(Flag).on is False


def test_commands_remove_and_custom() -> None:
    def remove(commands: Commands) -> None:
        commands.remove_resource(Flag)
        commands.add(lambda world: world.insert_resource(Ping(5)))
        commands.init_resource(Trace)
        commands.send_event(Ping(1))

    app = _app().insert_resource(Flag()).add_event(Ping).add_systems(Update, remove)
    app.update()
    assert not app.world.contains_resource(Flag)
    assert app.resource(Ping).n == 5
    assert [p.n for p in app.world.events(Ping).peek_all()] == [1]


def test_fixed_update_runs_from_accumulated_time() -> None:
    steps: list[float] = []

    def fixed(time: Time) -> None:
        assert time.in_fixed_step
        steps.append(time.delta)

    app = _app().add_systems(FixedUpdate, fixed)
    app.insert_resource(TimeUpdateStrategy.manual_duration(1 / 32))
    app.update()
    assert steps == [1 / 64, 1 / 64]
    app.insert_resource(TimeUpdateStrategy.manual_duration(1 / 128))
    app.update()
    assert len(steps) == 2  # half a step accumulated
    app.update()
    assert len(steps) == 3
    time = app.resource(Time)
    assert time.fixed.elapsed == pytest.approx(3 / 64)
    assert time.elapsed == pytest.approx(1 / 32 + 2 / 128)
    assert not time.in_fixed_step


def test_fixed_update_is_capped_per_frame() -> None:
    count = [0]

    def fixed() -> None:
        count[0] += 1

    app = _app().add_systems(FixedUpdate, fixed)
    time = app.resource(Time)
    time.virtual.max_delta = 10.0
    app.insert_resource(TimeUpdateStrategy.manual_duration(1.0))  # 64 steps due
    app.update()
    assert count[0] == time.fixed.max_steps_per_frame == 8
    assert time.fixed.dropped_steps == 56
    assert 0.0 <= time.fixed.overstep < time.fixed.timestep
