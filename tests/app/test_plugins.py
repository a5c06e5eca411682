"""App lifecycle, plugins, plugin groups and runners."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from framealloc_engine.app import (
    App,
    AppExit,
    Commands,
    EventWriter,
    Plugin,
    PluginError,
    PluginGroup,
    PluginGroupBuilder,
    ResMut,
    ScheduleRunnerPlugin,
    Update,
)


@dataclass
class Log:
    lines: list[str]

    def __init__(self) -> None:
        self.lines = []


class Recorder(Plugin):
    def __init__(self, tag: str = "rec") -> None:
        self.tag = tag

    def build(self, app: App) -> None:
        app.init_resource(Log)
        app.resource(Log).lines.append(f"build {self.tag}")

    def finish(self, app: App) -> None:
        app.resource(Log).lines.append(f"finish {self.tag}")

    def cleanup(self, app: App) -> None:
        app.resource(Log).lines.append(f"cleanup {self.tag}")


class Other(Recorder):
    pass


class Repeatable(Recorder):
    @property
    def is_unique(self) -> bool:
        return False


class SlowReady(Plugin):
    def __init__(self) -> None:
        self.polls = 0

    def build(self, app: App) -> None:
        pass

    def ready(self, app: App) -> bool:
        self.polls += 1
        return self.polls >= 3


def test_lifecycle_order() -> None:
    app = App().add_plugins(Recorder("a"), Other("b"))
    assert app.resource(Log).lines == ["build a", "build b"]
    app.update()
    assert app.resource(Log).lines == [
        "build a", "build b", "finish a", "finish b", "cleanup a", "cleanup b",
    ]
    assert app.is_plugin_added(Recorder)
    assert [p.tag for p in app.get_added_plugins(Recorder)] == ["a", "b"]


def test_ready_is_polled_before_finish() -> None:
    slow = SlowReady()
    app = App().add_plugins(slow)
    app.finish_plugins()
    assert slow.polls == 3
    assert app.started


def test_unique_plugin_twice_is_an_error() -> None:
    app = App().add_plugins(Recorder())
    with pytest.raises(PluginError, match="already added") as info:
        app.add_plugins(Recorder())
    assert "help:" in str(info.value)
    app.add_plugins(Repeatable("x"), Repeatable("y"))  # non-unique: fine


def test_function_plugin() -> None:
    def score_plugin(app: App) -> None:
        app.insert_resource(Log())
        app.resource(Log).lines.append("fn")

    app = App().add_plugins(score_plugin)
    assert app.resource(Log).lines == ["fn"]
    with pytest.raises(PluginError, match="score_plugin"):
        app.add_plugins(score_plugin)


def test_plugin_after_start_is_an_error() -> None:
    app = App()
    app.update()
    with pytest.raises(PluginError, match="after the app started"):
        app.add_plugins(Recorder())


def test_plugin_class_instead_of_instance_is_explained() -> None:
    with pytest.raises(TypeError, match=r"Recorder\(\)"):
        App().add_plugins(Recorder)


class Group(PluginGroup):
    def build(self) -> PluginGroupBuilder:
        return PluginGroupBuilder("Group").add(Recorder("a")).add(Other("b"))


def test_plugin_group_builder_edits() -> None:
    def extra(app: App) -> None:
        app.init_resource(Log)
        app.resource(Log).lines.append("build extra")

    builder = (
        Group()
        .set(Recorder("a2"))
        .add_before(Other, extra)
        .add_after(Other, Repeatable("r"))
    )
    assert [p.name.rsplit(".", 1)[-1] for p in builder.plugins()] == [
        "Recorder", "extra", "Other", "Repeatable",
    ]
    app = App().add_plugins(builder.disable(Repeatable))
    assert app.resource(Log).lines == ["build a2", "build extra", "build b"]
    with pytest.raises(PluginError, match="has no plugin"):
        Group().set(Repeatable())
    # add() of a class already present moves it to the end
    order = Group().add(Recorder("again")).plugins()
    assert [type(p).__name__ for p in order] == ["Other", "Recorder"]


def test_run_returns_exit_code_from_systems() -> None:
    def stop_at_three(frames: ResMut[Log], out: EventWriter[AppExit]) -> None:
        frames.value.lines.append("f")
        if len(frames.value.lines) == 3:
            out.send(AppExit.error(7))

    app = App().add_plugins(ScheduleRunnerPlugin.run_loop()).init_resource(Log)
    app.add_systems(Update, stop_at_three)
    assert app.run() == 7
    assert app.resource(Log).lines == ["f", "f", "f"]


def test_run_frames_and_commands_exit() -> None:
    def count(log: ResMut[Log], commands: Commands) -> None:
        log.value.lines.append("f")
        if len(log.value.lines) == 5:
            commands.exit(0)

    app = App().add_plugins(ScheduleRunnerPlugin.run_frames(3)).init_resource(Log)
    app.add_systems(Update, count)
    assert app.run() == 0
    assert len(app.resource(Log).lines) == 3
    app2 = App().add_plugins(ScheduleRunnerPlugin.run_frames(100)).init_resource(Log)
    app2.add_systems(Update, count)
    assert app2.run() == 0
    assert len(app2.resource(Log).lines) == 5  # stopped by the AppExit


def test_default_runner_runs_one_frame_and_custom_runner() -> None:
    app = App()
    assert app.run() == 0
    assert app.frame_count == 1
    custom = App().set_runner(lambda a: AppExit.error(4))
    assert custom.run() == 4


def test_loop_runner_paces_to_target_rate() -> None:
    def stop(log: ResMut[Log], commands: Commands) -> None:
        log.value.lines.append("f")
        if len(log.value.lines) == 4:
            commands.exit()

    app = App().add_plugins(ScheduleRunnerPlugin.run_loop(target_hz=1000.0))
    app.init_resource(Log).add_systems(Update, stop)
    assert app.run() == 0
    assert len(app.resource(Log).lines) == 4
    with pytest.raises(ValueError, match="target_hz"):
        ScheduleRunnerPlugin.run_loop(target_hz=0)


def test_app_exit_validation() -> None:
    assert AppExit.success().is_success
    with pytest.raises(ValueError, match="non-zero"):
        AppExit.error(0)
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        AppExit(300)
