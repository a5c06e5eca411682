"""``App``: plugins, resources, schedules, and the frame loop.

Example::

    App().add_plugins(SmartAllocPlugin.default()).insert_resource(Score(0)) \\
        .add_systems(Update, count).run()

One frame (``app.update()``):

1. every thread-begin hook on the main thread (``SmartAllocPlugin`` begins its frame);
2. on the first frame only: ``PreStartup``, ``Startup``, ``PostStartup``;
3. ``Time`` advances and event buffers swap, then ``First``, ``PreUpdate``, ``FixedUpdate``
   (0..n times), ``Update``, ``PostUpdate``, ``Last`` and any schedule plugins inserted;
4. every thread that ran a system meets at the app's ``FrameBarrier``; then each runs the
   thread-end hooks (``SmartAllocPlugin`` ends its frame), even when a system raised.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from typing import Any, TypeVar

from framealloc_engine.app.errors import PluginError, ScheduleBuildError
from framealloc_engine.app.events import AppExit, Events
from framealloc_engine.app.executor import Executor, ExecutorSettings, ThreadHooks
from framealloc_engine.app.plugin import Plugin, PluginGroup, PluginGroupBuilder, as_plugin
from framealloc_engine.app.schedule import (
    CompiledSchedule,
    First,
    FixedUpdate,
    Last,
    PostStartup,
    PostUpdate,
    PreStartup,
    PreUpdate,
    Schedule,
    ScheduleLabel,
    Startup,
    Update,
)
from framealloc_engine.app.system import (
    SetConfig,
    SystemConfigs,
    SystemSet,
    system,
)
from framealloc_engine.app.time import Time, TimeUpdateStrategy
from framealloc_engine.app.world import World
from framealloc_engine.sync.barrier import FrameBarrier

__all__ = ["App", "Runner", "default_runner"]

R = TypeVar("R")
P = TypeVar("P", bound=Plugin)

Runner = Callable[["App"], "int | AppExit | None"]
"""A function that drives the app's frames and returns its exit code."""

ScheduleGuard = Callable[[ScheduleLabel, CompiledSchedule], None]


def default_runner(app: App) -> int:
    """The default runner: one frame, then return the exit code (0 unless ``AppExit``)."""
    app.update()
    exit_event = app.should_exit()
    return exit_event.code if exit_event is not None else 0


class App:
    """The application: a world of resources, plugins, schedules and a runner.

    Args:
        executor: How schedules run (multi-threaded by default).
    """

    def __init__(self, *, executor: ExecutorSettings | None = None) -> None:
        self.world = World()
        self._schedules: dict[ScheduleLabel, Schedule] = {}
        self._startup_order: list[ScheduleLabel] = [PreStartup, Startup, PostStartup]
        self._main_order: list[ScheduleLabel] = [
            First, PreUpdate, FixedUpdate, Update, PostUpdate, Last,
        ]
        for label in (*self._startup_order, *self._main_order):
            self._schedules[label] = Schedule(label)
        self._plugins: list[Plugin] = []
        self._plugin_keys: set[object] = set()
        self._started = False
        self._building = False
        self._runner: Runner = default_runner
        self._settings = executor if executor is not None else ExecutorSettings()
        self.thread_hooks = ThreadHooks()
        self.schedule_guards: list[ScheduleGuard] = []
        self._executor: Executor | None = None
        self._barrier = FrameBarrier(1, names=("main",))
        self._frame = 0
        self._in_frame = False
        self._startup_done = False
        self._plan: list[tuple[CompiledSchedule, bool]] | None = None
        self._startup_plan: list[CompiledSchedule] = []
        self._has_fixed = False
        self._event_storages: list[Events[Any]] = []
        self.world.insert_resource(Time())
        self.world.add_event(AppExit)

    # --- configuration ----------------------------------------------------------------------

    def add_plugins(self, *plugins: Any) -> App:
        """Add plugins, plugin groups, builders or functions taking the app (or lists of them).

        ``build(app)`` runs immediately.

        Raises:
            PluginError: the app already started, or a unique plugin is added twice.
        """
        for item in plugins:
            if isinstance(item, list | tuple):
                self.add_plugins(*item)
            elif isinstance(item, PluginGroup | PluginGroupBuilder):
                self._check_not_started(item.name)
                item.build().finish(self)
            else:
                self._add_plugin(as_plugin(item))
        return self

    def _check_not_started(self, name: str) -> None:
        if self._started:
            raise PluginError(
                f"plugin {name} was added after the app started",
                help="add every plugin before the first app.update() / app.run()",
            )

    def _add_plugin(self, plugin: Plugin) -> None:
        self._check_not_started(plugin.name)
        if plugin.is_unique:
            key = plugin.unique_key()
            if key in self._plugin_keys:
                raise PluginError(
                    f"plugin {plugin.name} was already added to this app (it is unique)",
                    help="add it once; to configure it, change the single instance you add",
                )
            self._plugin_keys.add(key)
        self._plugins.append(plugin)
        plugin.build(self)

    def is_plugin_added(self, plugin_type: type[Plugin]) -> bool:
        """True if a plugin of this class was added."""
        return any(isinstance(p, plugin_type) for p in self._plugins)

    def get_added_plugins(self, plugin_type: type[P]) -> list[P]:
        """Every added plugin of this class, in order."""
        return [p for p in self._plugins if isinstance(p, plugin_type)]

    def insert_resource(self, value: object) -> App:
        """Insert or replace the resource of type ``type(value)``."""
        self.world.insert_resource(value)
        return self

    def init_resource(self, resource_type: type) -> App:
        """Insert ``resource_type()`` unless a resource of that type exists."""
        self.world.init_resource(resource_type)
        return self

    def add_event(self, event_type: type) -> App:
        """Register an event type (for ``EventReader``/``EventWriter``)."""
        self.world.add_event(event_type)
        self._plan = None
        return self

    def add_systems(self, label: ScheduleLabel, *systems: Any) -> App:
        """Add systems (functions, ``system(...)`` configs, ``chain(...)`` groups).

        Raises:
            ScheduleBuildError: ``label`` is not a known schedule.
        """
        schedule = self._schedule(label)
        for item in systems:
            if isinstance(item, SystemConfigs):
                for config in item.set_configs:
                    schedule.configure(config)
                for one in item.items:
                    schedule.add(one)
            elif isinstance(item, list | tuple):
                self.add_systems(label, *item)
            else:
                schedule.add(system(item))
        self._plan = None
        return self

    def configure_sets(self, label: ScheduleLabel, *sets: Any) -> App:
        """Configure system sets: ``app.configure_sets(Update, Physics.before(Render))``."""
        schedule = self._schedule(label)
        for item in sets:
            if isinstance(item, list | tuple):
                self.configure_sets(label, *item)
            elif isinstance(item, SystemSet):
                schedule.configure(SetConfig(item))
            elif isinstance(item, SetConfig):
                schedule.configure(item)
            else:
                raise TypeError(f"configure_sets() takes SystemSet/SetConfig, got {item!r}")
        self._plan = None
        return self

    def add_schedule(
        self,
        label: ScheduleLabel,
        *,
        before: ScheduleLabel | None = None,
        after: ScheduleLabel | None = None,
    ) -> App:
        """Create a schedule; with ``before``/``after`` it runs in the frame (or at startup)
        next to that schedule, otherwise only through :meth:`run_schedule`.

        Raises:
            ScheduleBuildError: the label exists, both or an unknown anchor were given.
        """
        if label in self._schedules:
            raise ScheduleBuildError(f"schedule {label.name} already exists")
        if before is not None and after is not None:
            raise ScheduleBuildError(
                f"schedule {label.name}: give before= or after=, not both"
            )
        anchor = before if before is not None else after
        if anchor is not None:
            order = next(
                (o for o in (self._startup_order, self._main_order) if anchor in o), None
            )
            if order is None:
                raise ScheduleBuildError(
                    f"schedule {label.name} cannot be placed next to {anchor.name}, which is "
                    "not in the startup or frame order",
                    help="anchor it to one of PreStartup..PostStartup or First..Last",
                )
            index = order.index(anchor) + (0 if before is not None else 1)
            order.insert(index, label)
        self._schedules[label] = Schedule(label)
        self._plan = None
        return self

    def _schedule(self, label: ScheduleLabel) -> Schedule:
        try:
            return self._schedules[label]
        except KeyError:
            raise ScheduleBuildError(
                f"schedule {getattr(label, 'name', label)!r} does not exist",
                help="use one of the built-in labels or create it with app.add_schedule()",
            ) from None

    @property
    def frame_order(self) -> list[ScheduleLabel]:
        """The schedules run every frame, in order."""
        return list(self._main_order)

    @property
    def startup_order(self) -> list[ScheduleLabel]:
        """The schedules run once, on the first frame."""
        return list(self._startup_order)

    def set_runner(self, runner: Runner) -> App:
        """Replace the runner (the default runs one frame)."""
        self._runner = runner
        return self

    def set_executor(self, settings: ExecutorSettings) -> App:
        """Choose the executor (before the app starts).

        Raises:
            PluginError: the app already started.
        """
        if self._started:
            raise PluginError("the executor cannot change after the app started")
        self._settings = settings
        return self

    # --- state ------------------------------------------------------------------------------

    @property
    def frame_count(self) -> int:
        """Frames run so far (the current frame's number during ``update``)."""
        return self._frame

    @property
    def in_frame(self) -> bool:
        """True while ``update()`` runs."""
        return self._in_frame

    @property
    def started(self) -> bool:
        """True once plugins are finished (first ``update``/``run``)."""
        return self._started

    @property
    def frame_barrier(self) -> FrameBarrier:
        """The barrier at which the threads that ran systems meet at each frame's end."""
        return self._barrier

    @property
    def executor(self) -> Executor:
        """The executor (created when the app starts)."""
        if self._executor is None:
            self._executor = Executor(self._settings, self.thread_hooks)
        return self._executor

    def resource(self, resource_type: type[R]) -> R:
        """Shortcut for ``app.world.resource(resource_type)``."""
        return self.world.resource(resource_type)

    def should_exit(self) -> AppExit | None:
        """The pending ``AppExit`` (the first error one if several), or None."""
        pending = self.world.events(AppExit).peek_all()
        for event in pending:
            if not event.is_success:
                return event
        return pending[0] if pending else None

    # --- running ----------------------------------------------------------------------------

    def finish_plugins(self, timeout: float = 30.0) -> None:
        """Wait for every plugin's ``ready``, then call ``finish`` and ``cleanup`` on each,
        then build every schedule (idempotent; ``update``/``run`` call it).

        Raises:
            PluginError: a plugin was not ready within ``timeout`` seconds.
            ScheduleBuildError, SystemParamError, PluginMissingError: a schedule is invalid.
        """
        if self._started:
            return
        deadline = _time.monotonic() + timeout
        for plugin in self._plugins:
            while not plugin.ready(self):
                if _time.monotonic() > deadline:
                    raise PluginError(f"plugin {plugin.name} was not ready after {timeout} s")
                _time.sleep(0.001)
        self._started = True
        for plugin in self._plugins:
            plugin.finish(self)
        for plugin in self._plugins:
            plugin.cleanup(self)
        _ = self.executor
        self._compile()

    def _compile(self) -> None:
        world = self.world
        self._startup_plan = [
            self._schedules[label].compile(world) for label in self._startup_order
        ]
        plan: list[tuple[CompiledSchedule, bool]] = []
        for label in self._main_order:
            compiled = self._schedules[label].compile(world)
            if compiled.n:
                plan.append((compiled, label is FixedUpdate))
        self._plan = plan
        self._has_fixed = any(fixed for _, fixed in plan)
        self._event_storages = world.event_storages()

    def update(self) -> None:
        """Run exactly one frame (finishing plugins and building schedules if needed).

        Raises:
            SystemRunError: a system raised (the frame's end still ran on every thread).
        """
        if not self._started:
            self.finish_plugins()
        if self._plan is None:
            self._compile()
        plan = self._plan
        assert plan is not None
        executor = self._executor
        assert executor is not None
        world = self.world
        frame = self._frame = self._frame + 1
        self._in_frame = True
        try:
            for hook in self.thread_hooks.begin:
                hook()
            if not self._startup_done:
                self._startup_done = True
                for compiled in self._startup_plan:
                    if compiled.n:
                        executor.run(compiled, world, frame)
            time = world.resource(Time)
            steps = time.advance(world.get_resource(TimeUpdateStrategy))
            for events in self._event_storages:
                events.update()
            if steps and not self._has_fixed:  # no FixedUpdate systems: the clock still runs
                time.fixed.elapsed += steps * time.fixed.timestep
            for compiled, fixed in plan:
                if not fixed:
                    executor.run(compiled, world, frame)
                    continue
                for _ in range(steps):
                    time.enter_fixed_step()
                    try:
                        executor.run(compiled, world, frame)
                    finally:
                        time.exit_fixed_step()
        finally:
            self._in_frame = False
            errors = executor.end_frame(frame, self._barrier)
        if errors:
            raise errors[0]

    def run_schedule(self, label: ScheduleLabel) -> None:
        """Run one schedule now, outside the frame loop (its commands apply at its end)."""
        if not self._started:
            self.finish_plugins()
        compiled = self._schedule(label).compile(self.world)
        if not self._in_frame:
            for guard in self.schedule_guards:
                guard(label, compiled)
        self.executor.run(compiled, self.world, self._frame if self._in_frame else None)

    def run(self) -> int:
        """Finish plugins, hand the app to its runner, and return the exit code.

        Returns:
            The runner's exit code: the ``AppExit`` code, or 0.
        """
        self.finish_plugins()
        try:
            result = self._runner(self)
        finally:
            self.shutdown()
        if isinstance(result, AppExit):
            return result.code
        if isinstance(result, int):
            return result
        exit_event = self.should_exit()
        return exit_event.code if exit_event is not None else 0

    def shutdown(self) -> None:
        """Stop the worker threads (the app can still update; workers restart on demand)."""
        if self._executor is not None:
            self._executor.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"App(frame={self._frame}, plugins={[p.name for p in self._plugins]})"

