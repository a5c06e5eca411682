"""System and set configuration: ordering, sets, run conditions, main-thread pinning.

A system is a plain function; wrap it with :func:`system` (also usable as a decorator) to
configure it. Configurations are immutable: every method returns a new one::

    app.add_systems(Update, spawn, system(move).after(spawn).run_if(resource_exists(Level)))
    app.add_systems(Update, chain(read_input, physics, render))
    app.configure_sets(Update, Physics.before(Render))
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framealloc_engine.app.conditions import Condition, ConditionLike, as_condition
from framealloc_engine.app.system_param import callable_name

if TYPE_CHECKING:
    from framealloc_engine.app.world import World

__all__ = [
    "IntoSystems",
    "RunContext",
    "SetConfig",
    "SystemConfig",
    "SystemConfigs",
    "SystemSet",
    "Target",
    "chain",
    "chain_sets",
    "system",
    "systems",
]

_anon = itertools.count()

RunContext = Callable[["World"], AbstractContextManager[Any]]
"""Makes the context manager one run of a system is wrapped in (given the app's world)."""


@dataclass(frozen=True, slots=True)
class SystemSet:
    """A named group of systems; ordering and conditions on a set apply to its members.

    Example::

        Physics = SystemSet("Physics")
        app.add_systems(Update, system(integrate).in_set(Physics))
    """

    name: str

    def before(self, *targets: Target) -> SetConfig:
        """Every member runs before every system in ``targets``."""
        return SetConfig(self).before(*targets)

    def after(self, *targets: Target) -> SetConfig:
        """Every member runs after every system in ``targets``."""
        return SetConfig(self).after(*targets)

    def in_set(self, *parents: SystemSet) -> SetConfig:
        """Nest this set in ``parents`` (members inherit their ordering and conditions)."""
        return SetConfig(self).in_set(*parents)

    def run_if(self, condition: ConditionLike) -> SetConfig:
        """Members run only while ``condition`` holds (evaluated once per schedule run)."""
        return SetConfig(self).run_if(condition)

    def __repr__(self) -> str:
        return f"SystemSet({self.name!r})"


Target = Callable[..., Any] | SystemSet
"""What ``before``/``after`` accept: a system function (or its config) or a set."""


def _target(value: Any) -> Callable[..., Any] | SystemSet:
    if isinstance(value, SystemConfig):
        return value.fn
    if isinstance(value, SystemSet) or callable(value):
        return value  # type: ignore[no-any-return]
    raise TypeError(f"ordering target must be a system function or a SystemSet, got {value!r}")


def _sets(values: Iterable[Any]) -> tuple[SystemSet, ...]:
    out = tuple(values)
    for value in out:
        if not isinstance(value, SystemSet):
            raise TypeError(f"in_set() takes SystemSet objects, got {value!r}")
    return out


@dataclass(frozen=True, slots=True)
class SetConfig:
    """Configuration of one :class:`SystemSet` (pass it to ``app.configure_sets``)."""

    set: SystemSet
    befores: tuple[Target, ...] = ()
    afters: tuple[Target, ...] = ()
    parents: tuple[SystemSet, ...] = ()
    conditions: tuple[Condition, ...] = ()

    def before(self, *targets: Target) -> SetConfig:
        """See :meth:`SystemSet.before`."""
        return dataclasses.replace(self, befores=self.befores + tuple(map(_target, targets)))

    def after(self, *targets: Target) -> SetConfig:
        """See :meth:`SystemSet.after`."""
        return dataclasses.replace(self, afters=self.afters + tuple(map(_target, targets)))

    def in_set(self, *parents: SystemSet) -> SetConfig:
        """See :meth:`SystemSet.in_set`."""
        return dataclasses.replace(self, parents=self.parents + _sets(parents))

    def run_if(self, condition: ConditionLike) -> SetConfig:
        """See :meth:`SystemSet.run_if`."""
        return dataclasses.replace(
            self, conditions=self.conditions + (as_condition(condition),)
        )


@dataclass(frozen=True, slots=True)
class SystemConfig:
    """One system and its configuration; calling it calls the function."""

    fn: Callable[..., Any]
    befores: tuple[Target, ...] = ()
    afters: tuple[Target, ...] = ()
    sets: tuple[SystemSet, ...] = ()
    conditions: tuple[Condition, ...] = ()
    main_thread: bool = False
    #: Context-manager factories each run of the system is wrapped in (see ``within``).
    contexts: tuple[RunContext, ...] = ()

    @property
    def name(self) -> str:
        """``module.qualname`` of the function."""
        return callable_name(self.fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def before(self, *targets: Target) -> SystemConfig:
        """Run before each of ``targets`` (systems or sets) in the same schedule."""
        return dataclasses.replace(self, befores=self.befores + tuple(map(_target, targets)))

    def after(self, *targets: Target) -> SystemConfig:
        """Run after each of ``targets`` (systems or sets) in the same schedule."""
        return dataclasses.replace(self, afters=self.afters + tuple(map(_target, targets)))

    def in_set(self, *sets: SystemSet) -> SystemConfig:
        """Add the system to ``sets``."""
        return dataclasses.replace(self, sets=self.sets + _sets(sets))

    def run_if(self, condition: ConditionLike) -> SystemConfig:
        """Run only when ``condition`` (and every other condition) holds."""
        return dataclasses.replace(
            self, conditions=self.conditions + (as_condition(condition),)
        )

    def on_main_thread(self) -> SystemConfig:
        """Always run on the main thread (display, event queue, thread-bound libraries)."""
        return dataclasses.replace(self, main_thread=True)

    def within(self, context: RunContext) -> SystemConfig:
        """Run the system inside ``context(world)`` (a context manager made for every run,
        on the thread that runs it); several nest in the order given.

        Example::

            app.add_systems(Update, system(physics).within(lambda world: profiled("physics")))
        """
        return dataclasses.replace(self, contexts=self.contexts + (context,))


def system(fn: Callable[..., Any] | SystemConfig) -> SystemConfig:
    """Wrap ``fn`` so it can be configured; also usable as a decorator."""
    if isinstance(fn, SystemConfig):
        return fn
    if not callable(fn):
        raise TypeError(f"a system must be a function, got {fn!r}")
    return SystemConfig(fn)


@dataclass(frozen=True, slots=True)
class SystemConfigs:
    """Several systems configured together (from :func:`systems` or :func:`chain`)."""

    items: tuple[SystemConfig, ...]
    set_configs: tuple[SetConfig, ...] = ()

    def _map(self, fn: Callable[[SystemConfig], SystemConfig]) -> SystemConfigs:
        return dataclasses.replace(self, items=tuple(fn(item) for item in self.items))

    def before(self, *targets: Target) -> SystemConfigs:
        """Every system runs before ``targets``."""
        return self._map(lambda s: s.before(*targets))

    def after(self, *targets: Target) -> SystemConfigs:
        """Every system runs after ``targets``."""
        return self._map(lambda s: s.after(*targets))

    def in_set(self, *sets: SystemSet) -> SystemConfigs:
        """Add every system to ``sets``."""
        return self._map(lambda s: s.in_set(*sets))

    def on_main_thread(self) -> SystemConfigs:
        """Pin every system to the main thread."""
        return self._map(SystemConfig.on_main_thread)

    def within(self, context: RunContext) -> SystemConfigs:
        """Run every system inside ``context(world)`` (see :meth:`SystemConfig.within`)."""
        return self._map(lambda s: s.within(context))

    def run_if(self, condition: ConditionLike) -> SystemConfigs:
        """Run the group only while ``condition`` holds (evaluated once per schedule run)."""
        group = SystemSet(f"<group {next(_anon)}>")
        configs = self.in_set(group)
        return dataclasses.replace(
            configs, set_configs=self.set_configs + (SetConfig(group).run_if(condition),)
        )

    def chain(self) -> SystemConfigs:
        """Order the systems one after the other, in the given order."""
        items = list(self.items)
        for i in range(1, len(items)):
            items[i] = items[i].after(items[i - 1].fn)
        return dataclasses.replace(self, items=tuple(items))


IntoSystems = Callable[..., Any] | SystemConfig | SystemConfigs
"""What ``add_systems`` accepts."""


def systems(*items: IntoSystems) -> SystemConfigs:
    """Group systems to configure them together."""
    configs: list[SystemConfig] = []
    sets: list[SetConfig] = []
    for item in items:
        if isinstance(item, SystemConfigs):
            configs.extend(item.items)
            sets.extend(item.set_configs)
        else:
            configs.append(system(item))
    return SystemConfigs(tuple(configs), tuple(sets))


def chain(*items: IntoSystems) -> SystemConfigs:
    """Run ``items`` one after the other: ``chain(a, b, c)`` orders a, then b, then c.

    A group among the items runs after everything before it, and before everything after.
    """
    out: list[SystemConfig] = []
    sets: list[SetConfig] = []
    previous: tuple[Callable[..., Any], ...] = ()
    for item in items:
        group = systems(item)
        sets.extend(group.set_configs)
        members = tuple(c.after(*previous) if previous else c for c in group.items)
        out.extend(members)
        previous = tuple(c.fn for c in group.items)
    return SystemConfigs(tuple(out), tuple(sets))


def chain_sets(*sets: SystemSet | SetConfig) -> tuple[SetConfig, ...]:
    """Order sets one after the other (pass the result to ``configure_sets``)."""
    configs = [s if isinstance(s, SetConfig) else SetConfig(s) for s in sets]
    for i in range(1, len(configs)):
        configs[i] = configs[i].after(configs[i - 1].set)
    return tuple(configs)
