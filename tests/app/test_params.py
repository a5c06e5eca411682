"""Parameter injection, resolved once at build time, and its errors."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from framealloc_engine.app import (
    App,
    EventReader,
    EventWriter,
    ExecutorSettings,
    Local,
    MissingResourceError,
    Res,
    ResMut,
    SystemParamError,
    SystemRunError,
    Time,
    TimeUpdateStrategy,
    Update,
    resource_exists,
    system,
)
from framealloc_engine.app.events import Events
from framealloc_engine.bridge import AllocResource
from framealloc_engine.errors import PluginMissingError


@dataclass
class Score:
    points: int = 0


@dataclass
class Seen:
    items: list[object] = field(default_factory=list)


@dataclass
class Hit:
    damage: int


def _app() -> App:
    return App(executor=ExecutorSettings.single_threaded())


def test_res_resmut_local_time() -> None:
    def tick(score: ResMut[Score], frames: Local[int], time: Time) -> None:
        frames.value += 1
        score.value.points += frames.value
        assert time.delta == pytest.approx(0.2)

    def read(score: Res[Score], seen: ResMut[Seen]) -> None:
        seen.value.items.append(score.value.points)

    app = _app().init_resource(Score).init_resource(Seen)
    app.insert_resource(TimeUpdateStrategy.manual_duration(0.2))
    app.add_systems(Update, tick, system(read).after(tick))
    for _ in range(3):
        app.update()
    assert app.resource(Seen).items == [1, 3, 6]
    assert app.resource(Time).elapsed == pytest.approx(0.6)


def test_resource_replaced_later_is_seen_through_the_bound_handle() -> None:
    def read(score: Res[Score], seen: ResMut[Seen]) -> None:
        seen.value.items.append(score.value.points)

    app = _app().insert_resource(Score(1)).init_resource(Seen).add_systems(Update, read)
    app.update()
    app.insert_resource(Score(42))
    app.update()
    assert app.resource(Seen).items == [1, 42]


def test_resmut_assignment_replaces_and_checks_type() -> None:
    def reset(score: ResMut[Score]) -> None:
        score.value = Score(100)

    def bad(score: ResMut[Score]) -> None:
        score.value = 5  # type: ignore[assignment]

    app = _app().init_resource(Score).add_systems(Update, reset)
    app.update()
    assert app.resource(Score).points == 100
    app2 = _app().init_resource(Score).add_systems(Update, bad)
    with pytest.raises(SystemRunError, match="must be a Score"):
        app2.update()


def test_events_double_buffered_each_seen_once() -> None:
    def late_reader(hits: EventReader[Hit], seen: ResMut[Seen]) -> None:
        seen.value.items.extend(h.damage for h in hits.read())

    def writer(out: EventWriter[Hit], frame: Local[int]) -> None:
        frame.value += 1
        out.send(Hit(frame.value))
        if frame.value == 2:
            out.send_batch([Hit(20), Hit(21)])

    # the reader runs before the writer: it sees each event the frame after it was sent
    app = _app().add_event(Hit).init_resource(Seen)
    app.add_systems(Update, late_reader, system(writer).after(late_reader))
    for _ in range(3):
        app.update()
    assert app.resource(Seen).items == [1, 2, 20, 21]


def test_events_expire_after_two_frames() -> None:
    events: Events[Hit] = Events(Hit)
    events.send(Hit(1))
    events.update()
    events.send(Hit(2))
    out, cursor = events.read_since(0)
    assert [h.damage for h in out] == [1, 2]
    events.update()
    events.update()
    assert events.read_since(0)[0] == []
    assert len(events) == 0
    assert events.event_count == 2 == cursor


def test_event_reader_len_and_clear() -> None:
    events: Events[Hit] = Events(Hit)
    reader = EventReader(events)
    events.send_batch([Hit(1), Hit(2)])
    assert len(reader) == 2
    reader.clear()
    assert reader.is_empty()
    assert reader.read() == []


def test_unknown_annotation_names_system_parameter_and_fix() -> None:
    def bad(score: int) -> None:
        pass

    app = _app().add_systems(Update, bad)
    with pytest.raises(SystemParamError) as info:
        app.update()
    message = str(info.value)
    assert "test_unknown_annotation_names_system_parameter_and_fix.<locals>.bad'" in message
    assert "'score: int'" in message
    assert "help: annotate it with" in message


def test_missing_annotation_and_varargs() -> None:
    def no_ann(x) -> None:  # type: ignore[no-untyped-def]
        pass

    def var(*xs: Res[Score]) -> None:
        pass

    with pytest.raises(SystemParamError, match="has no annotation"):
        _app().add_systems(Update, no_ann).update()
    with pytest.raises(SystemParamError, match="variadic positional"):
        _app().add_systems(Update, var).update()


def test_missing_resource_is_an_error_naming_the_fix() -> None:
    def needs(score: Res[Score]) -> None:
        pass

    app = _app().add_systems(Update, needs)
    with pytest.raises(MissingResourceError) as info:
        app.update()
    text = str(info.value)
    assert "parameter 'score: Res[Score]' needs resource Score" in text
    assert "app.init_resource(Score)" in text


def test_missing_resource_allowed_behind_a_condition() -> None:
    def needs(score: Res[Score], seen: ResMut[Seen]) -> None:
        seen.value.items.append(score.value.points)

    app = _app().init_resource(Seen)
    app.add_systems(Update, system(needs).run_if(resource_exists(Score)))
    app.update()
    app.insert_resource(Score(3))
    app.update()
    assert app.resource(Seen).items == [3]


def test_removed_resource_read_raises_with_names() -> None:
    def needs(score: Res[Score]) -> None:
        _ = score.value

    app = _app().insert_resource(Score()).add_systems(Update, needs)
    app.update()
    app.world.remove_resource(Score)
    with pytest.raises(SystemRunError, match="needs resource Score") as info:
        app.update()
    assert info.value.system.endswith("needs")
    assert isinstance(info.value.__cause__, MissingResourceError)


def test_read_and_write_same_resource_is_an_error() -> None:
    def both(a: Res[Score], b: ResMut[Score]) -> None:
        pass

    def events_both(a: EventReader[Hit], b: EventWriter[Hit]) -> None:
        pass

    with pytest.raises(SystemParamError, match="'a: Res\\[Score\\]' and .*'b: ResMut\\[Score\\]'"):
        _app().init_resource(Score).add_systems(Update, both).update()
    with pytest.raises(SystemParamError, match="at least one of them writes"):
        _app().add_event(Hit).add_systems(Update, events_both).update()


def test_unregistered_event_is_an_error() -> None:
    def reads(hits: EventReader[Hit]) -> None:
        pass

    with pytest.raises(SystemParamError, match=r"app.add_event\(Hit\)"):
        _app().add_systems(Update, reads).update()


def test_alloc_resource_without_plugin_is_fa101() -> None:
    def uses(alloc: AllocResource) -> None:
        pass

    with pytest.raises(PluginMissingError) as info:
        _app().add_systems(Update, uses).update()
    assert info.value.code == "FA101"
    assert "parameter 'alloc: AllocResource'" in str(info.value)
    assert "help: add .add_plugins(SmartAllocPlugin.default())" in str(info.value)


def test_conditions_must_be_read_only() -> None:
    def writes(score: ResMut[Score]) -> bool:
        return True

    app = _app().init_resource(Score).add_systems(Update, system(lambda: None).run_if(writes))
    with pytest.raises(SystemParamError, match="run conditions only read"):
        app.update()


def test_local_type_needs_default() -> None:
    def local(x: Local[Hit]) -> None:
        pass

    with pytest.raises(SystemParamError, match="Local\\[Hit\\] starts as Hit\\(\\)"):
        _app().add_systems(Update, local).update()


def test_params_resolved_once() -> None:
    handles: list[object] = []

    def grab(score: Res[Score], frame: Local[int]) -> None:
        handles.append((score, frame))

    app = _app().init_resource(Score).add_systems(Update, grab)
    app.update()
    app.update()
    assert handles[0][0] is handles[1][0]
    assert handles[0][1] is handles[1][1]
