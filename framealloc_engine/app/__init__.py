"""The engine: a Bevy-style App/Plugin scheduler with frame-based allocation.

Example::

    from framealloc_engine.app import App, Res, ResMut, SmartAllocPlugin, Update

    App().add_plugins(SmartAllocPlugin.default()).add_systems(Update, my_system).run()
"""

from __future__ import annotations

from framealloc_engine.app.alloc_plugin import SmartAllocPlugin
from framealloc_engine.app.alloc_resource import AllocResource
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
from framealloc_engine.app.events import AppExit, EventReader, Events, EventWriter
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
from framealloc_engine.app.time import FixedClock, RealClock, Time, TimeUpdateStrategy, VirtualClock
from framealloc_engine.app.world import World

__all__ = [
    "AllocResource",
    "App",
    "AppError",
    "AppExit",
    "Commands",
    "Condition",
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
    "SmartAllocPlugin",
    "Startup",
    "SystemConfig",
    "SystemConfigs",
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
