"""System parameters: what a system asks for, resolved once from its annotations.

=========================  =================================  ===============
annotation                 the system receives                access
=========================  =================================  ===============
``AllocResource``          the allocator facade               read
``Res[T]``                 ``Res`` (``.value`` is the T)       read T
``ResMut[T]``              ``ResMut`` (``.value`` settable)    write T
``Local[T]``               ``Local`` private to the system     none
``EventReader[E]``         a reader with its own cursor        read events E
``EventWriter[E]``         a writer                            write events E
``Time``                   the ``Time`` resource               read Time
``Commands``               the system's command queue          none
=========================  =================================  ===============

The access sets decide which systems may run at the same time (see ``executor``).
A resource class with ``main_thread_only = True`` (the pygame display, for instance) makes
every system that asks for it run on the main thread.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from framealloc_engine.app.alloc_resource import AllocResource
from framealloc_engine.app.commands import Commands
from framealloc_engine.app.errors import MissingResourceError, SystemParamError
from framealloc_engine.app.events import EventReader, EventWriter
from framealloc_engine.app.time import Time
from framealloc_engine.app.world import MISSING, ResourceSlot, World
from framealloc_engine.errors import PluginMissingError

__all__ = [
    "BoundParams",
    "EventKey",
    "Local",
    "Res",
    "ResMut",
    "bind_params",
    "callable_name",
]

T = TypeVar("T")


class Res(Generic[T]):
    """Read access to the resource ``T``: ``score.value``.

    The handle is bound once; ``.value`` always returns the resource currently in the world.
    """

    __slots__ = ("_slot", "_where")

    def __init__(self, slot: ResourceSlot, where: str = "") -> None:
        self._slot = slot
        self._where = where

    @property
    def value(self) -> T:
        """The resource.

        Raises:
            MissingResourceError: it was removed (or never inserted).
        """
        value = self._slot.value
        if value is MISSING:
            raise _missing(self._slot.key, self._where)
        return cast(T, value)

    @property
    def exists(self) -> bool:
        """True if the resource is in the world."""
        return self._slot.value is not MISSING

    def __repr__(self) -> str:
        return f"{type(self).__name__}[{self._slot.key.__name__}]({self._slot.value!r})"


class ResMut(Res[T]):
    """Write access to the resource ``T``: mutate ``.value`` in place or assign a new one."""

    __slots__ = ()

    @property
    def value(self) -> T:
        """The resource (assignable)."""
        value = self._slot.value
        if value is MISSING:
            raise _missing(self._slot.key, self._where)
        return cast(T, value)

    @value.setter
    def value(self, new: T) -> None:
        if type(new) is not self._slot.key:
            raise TypeError(
                f"ResMut[{self._slot.key.__name__}].value must be a {self._slot.key.__name__}, "
                f"got {type(new).__name__}"
            )
        self._slot.value = new


class Local(Generic[T]):
    """State private to one system, kept across frames: ``counter.value += 1``.

    Starts as ``T()``.
    """

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Local({self.value!r})"


@dataclass(frozen=True, slots=True)
class EventKey:
    """Access key of the event storage of one event type."""

    event_type: type


@dataclass(slots=True)
class BoundParams:
    """The result of resolving a callable's parameters against a world.

    Attributes:
        args: The values passed positionally on every run.
        reads: Access keys read (resource types, ``EventKey``).
        writes: Access keys written.
        main_thread: A parameter requires the main thread.
        commands: The system's command queue, if it asked for one.
        uses_alloc: It asked for ``AllocResource``.
        needs: Resources that must exist when the schedule first runs:
            ``(type, parameter description)``.
    """

    args: tuple[Any, ...] = ()
    reads: set[Hashable] = field(default_factory=set)
    writes: set[Hashable] = field(default_factory=set)
    main_thread: bool = False
    commands: Commands | None = None
    uses_alloc: bool = False
    needs: list[tuple[type, str]] = field(default_factory=list)


def callable_name(fn: Callable[..., Any]) -> str:
    """``module.qualname`` of a function (used in every message)."""
    module = getattr(fn, "__module__", None) or "?"
    qualname = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{module}.{qualname}"


def _missing(key: type, where: str) -> MissingResourceError:
    name = key.__name__
    prefix = f"{where} " if where else ""
    return MissingResourceError(
        f"{prefix}needs resource {name}, which does not exist",
        help=f"insert it with app.insert_resource({name}(...)) or app.init_resource({name}), "
        f"or guard the system with .run_if(resource_exists({name}))",
    )


_KNOWN = (
    "AllocResource, Res[T], ResMut[T], Local[T], EventReader[E], EventWriter[E], Time, Commands"
)


def _type_hints(fn: Callable[..., Any], owner: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn)
    except (NameError, TypeError) as exc:
        raise SystemParamError(
            f"{owner}: cannot resolve its parameter annotations ({exc})",
            help="annotations are resolved in the function's module: define the annotated "
            "types at module level (not inside another function)",
        ) from exc


def _type_arg(annotation: Any, where: str, wrapper: str) -> type:
    args = typing.get_args(annotation)
    if len(args) != 1 or not isinstance(args[0], type):
        raise SystemParamError(
            f"{where}: {wrapper}[...] needs exactly one class argument, got {args!r}",
            help=f"write {wrapper}[MyType] with a class, e.g. {wrapper}[Score]",
        )
    return args[0]


def bind_params(
    fn: Callable[..., Any],
    owner: str,
    world: World,
    *,
    read_only: bool = False,
) -> BoundParams:
    """Resolve the parameters of ``fn`` against ``world``.

    Args:
        fn: The system (or run condition).
        owner: How to name it in messages, e.g. ``"system 'game.move'"``.
        world: The world the parameters bind to.
        read_only: Reject writing parameters (run conditions).

    Returns:
        The bound arguments and the access sets.

    Raises:
        SystemParamError: an unknown annotation, an unsupported parameter kind, or two
            parameters of one system accessing the same resource both ways.
        PluginMissingError: (FA101) ``AllocResource`` without ``SmartAllocPlugin``.
    """
    hints = _type_hints(fn, owner)
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise SystemParamError(f"{owner}: {exc}", help="pass a plain function") from exc
    bound = BoundParams()
    args: list[Any] = []
    seen: dict[Hashable, tuple[bool, str]] = {}  # key -> (writes, parameter description)

    def access(key: Hashable, write: bool, where: str) -> None:
        previous = seen.get(key)
        if previous is not None and (previous[0] or write):
            raise SystemParamError(
                f"{owner}: parameters {previous[1]} and {where} access the same data, "
                "and at least one of them writes it",
                help="keep a single parameter for it: the mutable one (ResMut/EventWriter) "
                "also reads",
            )
        seen[key] = (write or (previous is not None and previous[0]), where)
        if write:
            if read_only:
                raise SystemParamError(
                    f"{owner}: run conditions only read, but {where} writes",
                    help="use Res[T] / EventReader[E] in conditions; mutate in a system",
                )
            bound.writes.add(key)
        else:
            bound.reads.add(key)

    for name, param in signature.parameters.items():
        raw = param.annotation
        text = raw if isinstance(raw, str) else getattr(raw, "__name__", repr(raw))
        where = f"{owner} parameter '{name}: {text}'"
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.KEYWORD_ONLY):
            raise SystemParamError(
                f"{owner} parameter '{name}' is {param.kind.description}",
                help="systems take positional parameters only, each annotated with a "
                f"system parameter type ({_KNOWN})",
            )
        if name not in hints:
            raise SystemParamError(
                f"{owner} parameter '{name}' has no annotation",
                help=f"annotate it with one of {_KNOWN}",
            )
        annotation = hints[name]
        origin = typing.get_origin(annotation)
        if annotation is AllocResource:
            access(AllocResource, False, where)
            resource = world.get_resource(AllocResource)
            if resource is None:
                raise PluginMissingError(
                    f"{where} needs AllocResource, but SmartAllocPlugin was not added",
                    note="AllocResource is the allocator resource that SmartAllocPlugin inserts",
                )
            bound.uses_alloc = True
            args.append(resource)
        elif annotation is Time:
            access(Time, False, where)
            args.append(world.resource(Time))
        elif annotation is Commands:
            if read_only:
                raise SystemParamError(
                    f"{where}: run conditions cannot queue commands",
                    help="move the command into a system",
                )
            if bound.commands is not None:
                raise SystemParamError(
                    f"{where}: a system gets one Commands queue", help="drop the second one"
                )
            bound.commands = Commands()
            args.append(bound.commands)
        elif origin is Res or origin is ResMut:
            key = _type_arg(annotation, where, origin.__name__)
            write = origin is ResMut
            access(key, write, where)
            if getattr(key, "main_thread_only", False) is True:
                bound.main_thread = True
            bound.needs.append((key, where))
            args.append(origin(world.slot(key), where))
        elif origin is Local:
            kind = _type_arg(annotation, where, "Local")
            try:
                initial = kind()
            except TypeError as exc:
                raise SystemParamError(
                    f"{where}: Local[{kind.__name__}] starts as {kind.__name__}(), which "
                    f"failed ({exc})",
                    help=f"give {kind.__name__} defaults for every field",
                ) from exc
            args.append(Local(initial))
        elif origin is EventReader or origin is EventWriter:
            event = _type_arg(annotation, where, origin.__name__)
            if not world.has_event(event):
                raise SystemParamError(
                    f"{where}: event type {event.__name__} is not registered",
                    help=f"register it with app.add_event({event.__name__})",
                )
            access(EventKey(event), origin is EventWriter, where)
            args.append(origin(world.events(event)))
        else:
            raise SystemParamError(
                f"{where} is not a system parameter",
                help=f"annotate it with one of {_KNOWN}",
            )
    bound.args = tuple(args)
    return bound
