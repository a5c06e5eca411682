"""The engine: a Bevy-style App/Plugin scheduler; it knows no allocator.

Schedules, systems whose parameters resolve themselves through the system-parameter
protocol (:mod:`framealloc_engine.app.system_param`), a parallel executor, events, time and
runners. The allocator joins through a plugin (:mod:`framealloc_engine.bridge`).

Example::

    from framealloc_engine.app import App, Res, ResMut, Update
    from framealloc_engine.bridge import SmartAllocPlugin

    App().add_plugins(SmartAllocPlugin.default()).add_systems(Update, my_system).run()
"""

from __future__ import annotations

from framealloc_engine.app.app import App, Runner, default_runner
from framealloc_engine.app.commands import Commands
from framealloc_engine.app.conditions import (
    Condition,
    not_,
    on_event,
    resource_exists,
    run_once,
)
from framealloc_engine.app.errors import (
    AppError,
    MissingResourceError,
    PluginError,
    ScheduleBuildError,
    SystemParamError,
    SystemRunError,
)
from framealloc_engine.app.events import AppExit, EventKey, EventReader, Events, EventWriter
from framealloc_engine.app.executor import ExecutorKind, ExecutorSettings
from framealloc_engine.app.params import Local, Res, ResMut
from framealloc_engine.app.plugin import FunctionPlugin, Plugin, PluginGroup, PluginGroupBuilder
from framealloc_engine.app.runner import ScheduleRunnerPlugin
from framealloc_engine.app.schedule import (
    First,
    FixedUpdate,
    Last,
    PostStartup,
    PostUpdate,
    PreStartup,
    PreUpdate,
    ScheduleLabel,
    Startup,
    Update,
)
from framealloc_engine.app.system import (
    SetConfig,
    SystemConfig,
    SystemConfigs,
    SystemSet,
    chain,
    chain_sets,
    system,
    systems,
)
from framealloc_engine.app.system_param import ParamBuilder, SystemParam
from framealloc_engine.app.time import FixedClock, RealClock, Time, TimeUpdateStrategy, VirtualClock
from framealloc_engine.app.world import World

__all__ = [
    "App",
    "AppError",
    "AppExit",
    "Commands",
    "Condition",
    "EventKey",
    "EventReader",
    "EventWriter",
    "Events",
    "ExecutorKind",
    "ExecutorSettings",
    "First",
    "FixedClock",
    "FixedUpdate",
    "FunctionPlugin",
    "Last",
    "Local",
    "MissingResourceError",
    "ParamBuilder",
    "Plugin",
    "PluginError",
    "PluginGroup",
    "PluginGroupBuilder",
    "PostStartup",
    "PostUpdate",
    "PreStartup",
    "PreUpdate",
    "RealClock",
    "Res",
    "ResMut",
    "Runner",
    "ScheduleBuildError",
    "ScheduleLabel",
    "ScheduleRunnerPlugin",
    "SetConfig",
    "Startup",
    "SystemConfig",
    "SystemConfigs",
    "SystemParam",
    "SystemParamError",
    "SystemRunError",
    "SystemSet",
    "Time",
    "TimeUpdateStrategy",
    "Update",
    "VirtualClock",
    "World",
    "chain",
    "chain_sets",
    "default_runner",
    "not_",
    "on_event",
    "resource_exists",
    "run_once",
    "system",
    "systems",
]
