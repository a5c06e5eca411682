"""Run conditions: ``system(f).run_if(resource_exists(Score))``.

A condition is a read-only system returning a bool: any function whose parameters are
read-only system parameters works, and so do the built-ins below. Conditions are evaluated
by the executor just before the system would start; their reads count as the system's
reads when deciding what may run in parallel. Each use of a condition has its own state
(``run_once()`` on two systems runs each once).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from framealloc_engine.app.errors import SystemParamError
from framealloc_engine.app.events import EventKey, EventReader
from framealloc_engine.app.system_param import bind_params, callable_name
from framealloc_engine.app.world import MISSING, World

__all__ = [
    "BoundCondition",
    "Condition",
    "ConditionLike",
    "as_condition",
    "not_",
    "on_event",
    "resource_exists",
    "run_once",
]


@dataclass(slots=True)
class BoundCondition:
    """A condition bound to a world: call ``check()`` to evaluate it."""

    check: Callable[[], bool]
    reads: set[Hashable] = field(default_factory=set)
    needs: list[tuple[type, str]] = field(default_factory=list)


class Condition:
    """Base class of run conditions; combine them with ``~``, ``&`` and ``|``."""

    name: str = "condition"

    def bind(self, world: World, owner: str) -> BoundCondition:
        """Bind to ``world``; ``owner`` names the system in messages."""
        raise NotImplementedError

    def __invert__(self) -> Condition:
        return not_(self)

    def __and__(self, other: ConditionLike) -> Condition:
        return _Combined(self, as_condition(other), all_=True)

    def __or__(self, other: ConditionLike) -> Condition:
        return _Combined(self, as_condition(other), all_=False)

    def __repr__(self) -> str:
        return self.name


ConditionLike = Condition | Callable[..., bool]


class _FunctionCondition(Condition):
    def __init__(self, fn: Callable[..., bool]) -> None:
        self.fn = fn
        self.name = callable_name(fn)

    def bind(self, world: World, owner: str) -> BoundCondition:
        bound = bind_params(
            self.fn, f"run condition '{self.name}' of {owner}", world, read_only=True
        )
        fn, args = self.fn, bound.args
        return BoundCondition(lambda: bool(fn(*args)), bound.reads, bound.needs)


class _ResourceExists(Condition):
    def __init__(self, key: type) -> None:
        self.key = key
        self.name = f"resource_exists({key.__name__})"

    def bind(self, world: World, owner: str) -> BoundCondition:
        slot = world.slot(self.key)
        return BoundCondition(lambda: slot.value is not MISSING, {self.key})


class _OnEvent(Condition):
    def __init__(self, event: type) -> None:
        self.event = event
        self.name = f"on_event({event.__name__})"

    def bind(self, world: World, owner: str) -> BoundCondition:
        if not world.has_event(self.event):
            raise SystemParamError(
                f"run condition {self.name} of {owner}: event type {self.event.__name__} "
                "is not registered",
                help=f"register it with app.add_event({self.event.__name__})",
            )
        reader: EventReader[Any] = EventReader(world.events(self.event))
        return BoundCondition(lambda: bool(reader.read()), {EventKey(self.event)})


class _RunOnce(Condition):
    name = "run_once()"

    def bind(self, world: World, owner: str) -> BoundCondition:
        state = [True]

        def check() -> bool:
            if state[0]:
                state[0] = False
                return True
            return False

        return BoundCondition(check)


class _Not(Condition):
    def __init__(self, inner: Condition) -> None:
        self.inner = inner
        self.name = f"not_({inner.name})"

    def bind(self, world: World, owner: str) -> BoundCondition:
        inner = self.inner.bind(world, owner)
        check = inner.check
        return BoundCondition(lambda: not check(), inner.reads, inner.needs)


class _Combined(Condition):
    def __init__(self, left: Condition, right: Condition, *, all_: bool) -> None:
        self.left, self.right, self.all_ = left, right, all_
        self.name = f"({left.name} {'&' if all_ else '|'} {right.name})"

    def bind(self, world: World, owner: str) -> BoundCondition:
        left = self.left.bind(world, owner)
        right = self.right.bind(world, owner)
        lc, rc = left.check, right.check
        check: Callable[[], bool] = (
            (lambda: lc() and rc()) if self.all_ else (lambda: lc() or rc())
        )
        return BoundCondition(check, left.reads | right.reads, left.needs + right.needs)


def as_condition(value: Any) -> Condition:
    """Wrap a function as a condition (conditions pass through).

    Raises:
        TypeError: ``value`` is neither.
    """
    if isinstance(value, Condition):
        return value
    if callable(value):
        return _FunctionCondition(value)
    raise TypeError(f"run_if() needs a condition or a function returning bool, got {value!r}")


def resource_exists(key: type) -> Condition:
    """True while a resource of type ``key`` exists."""
    return _ResourceExists(key)


def on_event(event: type) -> Condition:
    """True when events of type ``event`` arrived since the last check (consumes them)."""
    return _OnEvent(event)


def run_once() -> Condition:
    """True the first time it is evaluated, then False forever."""
    return _RunOnce()


def not_(condition: ConditionLike) -> Condition:
    """The negation of ``condition``."""
    return _Not(as_condition(condition))
