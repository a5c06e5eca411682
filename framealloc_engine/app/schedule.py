"""Schedules: labels, the systems added to each, and their compiled graph.

Compiling happens once (and again only after systems are added): it resolves every
parameter, checks the ordering for cycles, orders every pair of conflicting systems that
the user left unordered (by their position in a stable topological order) and reduces the
graph, so the executor's per-frame work is counting down predecessors.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from framealloc_engine.app.commands import Commands
from framealloc_engine.app.conditions import BoundCondition, Condition
from framealloc_engine.app.errors import MissingResourceError, ScheduleBuildError
from framealloc_engine.app.graph import conflict_edges, find_cycle, reduce_edges, stable_toposort
from framealloc_engine.app.system import RunContext, SetConfig, SystemConfig, SystemSet
from framealloc_engine.app.system_param import bind_params, callable_name
from framealloc_engine.app.world import World

__all__ = [
    "First",
    "FixedUpdate",
    "Last",
    "PostStartup",
    "PostUpdate",
    "PreStartup",
    "PreUpdate",
    "Schedule",
    "ScheduleLabel",
    "Startup",
    "Update",
    "CompiledSchedule",
    "CompiledSystem",
]


@dataclass(frozen=True, slots=True)
class ScheduleLabel:
    """Names a schedule: ``MyStage = ScheduleLabel("MyStage")``."""

    name: str

    def __repr__(self) -> str:
        return self.name


PreStartup = ScheduleLabel("PreStartup")
Startup = ScheduleLabel("Startup")
PostStartup = ScheduleLabel("PostStartup")
First = ScheduleLabel("First")
PreUpdate = ScheduleLabel("PreUpdate")
FixedUpdate = ScheduleLabel("FixedUpdate")
Update = ScheduleLabel("Update")
PostUpdate = ScheduleLabel("PostUpdate")
Last = ScheduleLabel("Last")


class CompiledSystem:
    """A system ready to run: bound arguments, access masks and graph edges."""

    __slots__ = (
        "args",
        "commands",
        "conditions",
        "cost",
        "access",
        "dependents",
        "fn",
        "heavy",
        "index",
        "main_thread",
        "n_deps",
        "name",
        "needs",
        "reads",
        "set_conditions",
        "writes",
    )

    def __init__(self, config: SystemConfig, index: int) -> None:
        self.fn = config.fn
        self.name = config.name
        self.index = index
        self.args: tuple[Any, ...] = ()
        self.reads = 0
        self.writes = 0
        self.main_thread = config.main_thread
        self.conditions: tuple[Callable[[], bool], ...] = ()
        self.set_conditions: tuple[int, ...] = ()
        self.commands: Commands | None = None
        #: Access keys the system reads or writes (resource types, event keys, ...).
        self.access: frozenset[Hashable] = frozenset()
        self.needs: list[tuple[type, str]] = []
        self.dependents: tuple[int, ...] = ()
        self.n_deps = 0
        self.heavy = False
        self.cost = 0.0

    def conflicts_with(self, other: CompiledSystem) -> bool:
        """One writes what the other reads or writes."""
        return bool(
            self.writes & (other.reads | other.writes) or other.writes & self.reads
        )

    def __repr__(self) -> str:
        return f"<system {self.name}>"


class CompiledSchedule:
    """The runnable form of a schedule (systems in a stable topological order)."""

    __slots__ = (
        "calls",
        "commands",
        "fn_index",
        "heavy_count",
        "initial_deps",
        "label",
        "n",
        "runs",
        "set_conditions",
        "simple",
        "systems",
        "validated",
    )

    def __init__(self, label: ScheduleLabel, systems: list[CompiledSystem]) -> None:
        self.label = label
        self.systems = systems
        self.n = len(systems)
        self.calls = [(s.fn, s.args) for s in systems]
        self.fn_index = {s.fn: s for s in systems}
        self.initial_deps = [s.n_deps for s in systems]
        self.commands = [s.commands for s in systems if s.commands is not None]
        self.set_conditions: list[Callable[[], bool]] = []
        self.simple = True
        self.validated = False
        self.runs = 0
        self.heavy_count = 0

    def accesses(self, key: Hashable) -> bool:
        """Whether any system of the schedule reads or writes ``key`` (a resource type...)."""
        return any(key in s.access for s in self.systems)

    def validate(self, world: World) -> None:
        """Check, once, that every resource a system needs exists (first run only).

        Systems with run conditions are exempt: they may be guarded by
        ``resource_exists``; reading a missing resource still raises when it happens.

        Raises:
            MissingResourceError: naming the system, the parameter and the fix.
        """
        for s in self.systems:
            if s.conditions or s.set_conditions:
                continue
            for key, where in s.needs:
                if not world.contains_resource(key):
                    name = key.__name__
                    raise MissingResourceError(
                        f"{where} needs resource {name}, which does not exist "
                        f"(schedule {self.label.name})",
                        help=f"insert it with app.insert_resource({name}(...)) or "
                        f"app.init_resource({name}) before the schedule runs, or add "
                        f".run_if(resource_exists({name})) to the system",
                    )
        self.validated = True


class Schedule:
    """The systems and set configurations added to one schedule label."""

    def __init__(self, label: ScheduleLabel) -> None:
        self.label = label
        self.configs: list[SystemConfig] = []
        self.set_configs: list[SetConfig] = []
        self.compiled: CompiledSchedule | None = None

    def add(self, config: SystemConfig) -> None:
        """Add one system (compiled on the next run)."""
        self.configs.append(config)
        self.compiled = None

    def configure(self, config: SetConfig) -> None:
        """Add a set configuration (merged with earlier ones for the same set)."""
        self.set_configs.append(config)
        self.compiled = None

    def compile(self, world: World) -> CompiledSchedule:
        """Build (or return the cached) runnable form.

        Raises:
            ScheduleBuildError: a duplicate system, an ordering target not in the schedule,
                a cycle in the ordering or the set hierarchy.
            SystemParamError, PluginMissingError: from parameter resolution.
        """
        if self.compiled is None:
            self.compiled = _Builder(self, world).build()
        return self.compiled


class _Builder:
    def __init__(self, schedule: Schedule, world: World) -> None:
        self.schedule = schedule
        self.label = schedule.label.name
        self.world = world
        self.configs = schedule.configs
        self.index: dict[Callable[..., Any], int] = {}
        for i, config in enumerate(self.configs):
            if config.fn in self.index:
                raise ScheduleBuildError(
                    f"system '{config.name}' was added to schedule {self.label} twice",
                    help="add each function once per schedule; wrap it in another function "
                    "if it really must run twice",
                )
            self.index[config.fn] = i
        self.parents: dict[SystemSet, set[SystemSet]] = {}
        self.set_conditions: dict[SystemSet, list[Condition]] = {}
        for sc in schedule.set_configs:
            self.parents.setdefault(sc.set, set()).update(sc.parents)
            self.set_conditions.setdefault(sc.set, []).extend(sc.conditions)

    # --- sets -------------------------------------------------------------------------------

    def _closure(self, start: SystemSet, trail: tuple[SystemSet, ...] = ()) -> set[SystemSet]:
        if start in trail:
            names = " -> ".join(s.name for s in (*trail[trail.index(start) :], start))
            raise ScheduleBuildError(
                f"schedule {self.label}: system sets contain each other: {names}",
                help="remove one of the in_set() calls between these sets",
            )
        out = {start}
        for parent in sorted(self.parents.get(start, ()), key=lambda s: s.name):
            out |= self._closure(parent, (*trail, start))
        return out

    def _resolve(self, target: Any, members: dict[SystemSet, list[int]], who: str) -> list[int]:
        if isinstance(target, SystemSet):
            return members.get(target, [])
        i = self.index.get(target)
        if i is None:
            raise ScheduleBuildError(
                f"{who} is ordered relative to system '{callable_name(target)}', which is "
                f"not in schedule {self.label}",
                help="add that system to the same schedule, or order against a SystemSet",
            )
        return [i]

    # --- build ------------------------------------------------------------------------------

    def build(self) -> CompiledSchedule:
        configs = self.configs
        n = len(configs)
        system_sets = [set().union(*(self._closure(s) for s in c.sets)) for c in configs]
        members: dict[SystemSet, list[int]] = {}
        for i, sets in enumerate(system_sets):
            for s in sets:
                members.setdefault(s, []).append(i)
        edges: set[tuple[int, int]] = set()
        for i, c in enumerate(configs):
            who = f"system '{c.name}'"
            for t in c.afters:
                edges.update((j, i) for j in self._resolve(t, members, who) if j != i)
            for t in c.befores:
                edges.update((i, j) for j in self._resolve(t, members, who) if j != i)
        for sc in self.schedule.set_configs:
            who = f"set {sc.set.name}"
            for u in members.get(sc.set, []):
                for t in sc.afters:
                    edges.update((j, u) for j in self._resolve(t, members, who) if j != u)
                for t in sc.befores:
                    edges.update((u, j) for j in self._resolve(t, members, who) if j != u)
        order = stable_toposort(n, edges)
        if order is None:
            cycle = find_cycle(n, edges)
            names = " -> ".join(f"'{configs[i].name}'" for i in cycle)
            raise ScheduleBuildError(
                f"schedule {self.label} has an ordering cycle: {names}",
                help="remove one of the before()/after()/chain()/set orderings between "
                "these systems",
            )
        systems = [CompiledSystem(c, 0) for c in configs]
        set_checks: list[Callable[[], bool]] = []
        set_check_index: dict[SystemSet, tuple[int, BoundCondition]] = {}
        world = self.world
        for i, c in enumerate(configs):
            cs = systems[i]
            owner = f"system '{c.name}'"
            bound = bind_params(c.fn, owner, world)
            reads, writes = set(bound.reads), set(bound.writes)
            checks = []
            for cond in c.conditions:
                bc = cond.bind(world, owner)
                reads |= bc.reads
                checks.append(bc.check)
            set_ids = []
            for st in sorted(system_sets[i], key=lambda x: x.name):
                conds = self.set_conditions.get(st)
                if not conds:
                    continue
                if st not in set_check_index:
                    bcs = [cd.bind(world, f"set {st.name}") for cd in conds]
                    merged = BoundCondition(
                        _all_of(tuple(b.check for b in bcs)),
                        set().union(*(b.reads for b in bcs)),
                    )
                    set_check_index[st] = (len(set_checks), merged)
                    set_checks.append(merged.check)
                sid, merged = set_check_index[st]
                reads |= merged.reads
                set_ids.append(sid)
            cs.args = bound.args
            if c.contexts:
                cs.fn = _within(c.fn, c.contexts, world)
            cs.reads = self._mask(reads)
            cs.writes = self._mask(writes)
            cs.main_thread = cs.main_thread or bound.main_thread
            cs.commands = bound.commands
            cs.access = frozenset(reads | writes)
            cs.needs = bound.needs
            cs.conditions = tuple(checks)
            cs.set_conditions = tuple(set_ids)
        full = conflict_edges(order, edges, lambda a, b: systems[a].conflicts_with(systems[b]))
        reduced = reduce_edges(order, full)
        pos = {node: p for p, node in enumerate(order)}
        dependents: dict[int, list[int]] = {p: [] for p in range(n)}
        n_deps = [0] * n
        for u, v in reduced:
            dependents[pos[u]].append(pos[v])
            n_deps[pos[v]] += 1
        ordered = [systems[node] for node in order]
        for p, system in enumerate(ordered):
            system.index = p
            system.dependents = tuple(sorted(dependents[p]))
            system.n_deps = n_deps[p]
        compiled = CompiledSchedule(self.schedule.label, ordered)
        compiled.set_conditions = set_checks
        compiled.simple = not any(s.conditions or s.set_conditions for s in ordered)
        return compiled

    def _mask(self, keys: set[Hashable]) -> int:
        mask = 0
        for key in keys:
            mask |= self.world.access_bit(key)
        return mask


def _all_of(checks: tuple[Callable[[], bool], ...]) -> Callable[[], bool]:
    if len(checks) == 1:
        return checks[0]
    return lambda: all(check() for check in checks)


def _within(
    fn: Callable[..., Any], contexts: tuple[RunContext, ...], world: World
) -> Callable[..., Any]:
    """``fn`` run inside a fresh ``context(world)`` for each of ``contexts`` (outermost
    first) every time it is called."""

    def run(*args: Any) -> Any:
        with ExitStack() as stack:
            for context in contexts:
                stack.enter_context(context(world))
            return fn(*args)

    run.__qualname__ = getattr(fn, "__qualname__", "system")
    run.__name__ = getattr(fn, "__name__", "system")
    return run
