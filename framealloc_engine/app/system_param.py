"""The system-parameter protocol: a parameter type resolves itself against the world.

As in Bevy (``SystemParam``), the engine knows no concrete parameter. A system's parameters are
resolved once, at build time, from their annotations: for each one the engine calls the
annotated class's ``build_param(builder)`` classmethod (for ``Res[Score]`` the class is ``Res``;
the full annotation is ``builder.annotation``). The class declares what it reads and writes
through the builder and returns the value the system receives on every run::

    class Gravity:
        @classmethod
        def build_param(cls, builder: ParamBuilder) -> Gravity:
            builder.read(Gravity)              # conflicts with systems writing Gravity
            return builder.world.resource(Gravity)

    def fall(gravity: Gravity) -> None: ...

The access sets decide which systems may run at the same time (see ``executor``).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from framealloc_engine.app.errors import SystemParamError

if TYPE_CHECKING:
    from framealloc_engine.app.commands import Commands
    from framealloc_engine.app.world import World

__all__ = [
    "BoundParams",
    "ParamBuilder",
    "SystemParam",
    "bind_params",
    "callable_name",
    "type_argument",
]

#: Named in messages about unknown annotations.
KNOWN_PARAMS = (
    "Res[T], ResMut[T], Local[T], EventReader[E], EventWriter[E], Time, Commands, "
    "AllocResource (with SmartAllocPlugin), or any class with a build_param classmethod"
)


@runtime_checkable
class SystemParam(Protocol):
    """What a system-parameter type provides."""

    @classmethod
    def build_param(cls, builder: ParamBuilder) -> object:
        """Resolve the parameter once, declaring its access; returns what the system gets.

        Raises:
            SystemParamError: the annotation is malformed or the access is not allowed.
        """


@dataclass(slots=True)
class BoundParams:
    """The result of resolving a callable's parameters against a world.

    Attributes:
        args: The values passed positionally on every run.
        reads: Access keys read (resource types, ``EventKey``, ...).
        writes: Access keys written.
        main_thread: A parameter requires the main thread.
        commands: The system's command queue, if it asked for one.
        needs: Resources that must exist when the schedule first runs:
            ``(type, parameter description)``.
    """

    args: tuple[Any, ...] = ()
    reads: set[Hashable] = field(default_factory=set)
    writes: set[Hashable] = field(default_factory=set)
    main_thread: bool = False
    commands: Commands | None = None
    needs: list[tuple[type, str]] = field(default_factory=list)


class ParamBuilder:
    """What one parameter sees while it resolves itself (passed to ``build_param``).

    Attributes:
        world: The world the system runs against.
        owner: The system, as named in messages (``"system 'game.move'"``).
        where: This parameter, as named in messages.
        annotation: The parameter's full annotation (``Res[Score]``).
        read_only: The callable is a run condition: writing access is refused.
    """

    __slots__ = ("_bound", "_seen", "annotation", "owner", "read_only", "where", "world")

    def __init__(self, world: World, owner: str, read_only: bool, bound: BoundParams) -> None:
        self.world = world
        self.owner = owner
        self.read_only = read_only
        self.where = owner
        self.annotation: Any = None
        self._bound = bound
        # access key -> (written, parameter description), across the system's parameters
        self._seen: dict[Hashable, tuple[bool, str]] = {}

    def read(self, key: Hashable) -> None:
        """Declare that the parameter reads ``key``."""
        self._access(key, write=False)

    def write(self, key: Hashable) -> None:
        """Declare that the parameter writes ``key`` (refused in run conditions).

        Raises:
            SystemParamError: another parameter of the system accesses ``key`` too, or the
                callable is a run condition.
        """
        self._access(key, write=True)

    def _access(self, key: Hashable, write: bool) -> None:
        previous = self._seen.get(key)
        if previous is not None and (previous[0] or write):
            raise SystemParamError(
                f"{self.owner}: parameters {previous[1]} and {self.where} access the same "
                "data, and at least one of them writes it",
                help="keep a single parameter for it: the mutable one (ResMut/EventWriter) "
                "also reads",
            )
        self._seen[key] = (write or (previous is not None and previous[0]), self.where)
        if write:
            if self.read_only:
                raise SystemParamError(
                    f"{self.owner}: run conditions only read, but {self.where} writes",
                    help="use Res[T] / EventReader[E] in conditions; mutate in a system",
                )
            self._bound.writes.add(key)
        else:
            self._bound.reads.add(key)

    def require_main_thread(self) -> None:
        """The system must run on the main thread (display, event queue)."""
        self._bound.main_thread = True

    def need_resource(self, key: type) -> None:
        """Resource ``key`` must exist when the schedule first runs (FA-checked then)."""
        self._bound.needs.append((key, self.where))

    def set_commands(self, commands: Commands) -> None:
        """Give the system its command queue, applied at the end of the schedule.

        Raises:
            SystemParamError: in a run condition, or a second queue.
        """
        if self.read_only:
            raise SystemParamError(
                f"{self.where}: run conditions cannot queue commands",
                help="move the command into a system",
            )
        if self._bound.commands is not None:
            raise SystemParamError(
                f"{self.where}: a system gets one Commands queue", help="drop the second one"
            )
        self._bound.commands = commands


def callable_name(fn: Callable[..., Any]) -> str:
    """``module.qualname`` of a function (used in every message)."""
    module = getattr(fn, "__module__", None) or "?"
    qualname = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{module}.{qualname}"


def type_argument(builder: ParamBuilder, wrapper: str) -> type:
    """The single class argument of ``builder.annotation`` (``Score`` in ``Res[Score]``).

    Raises:
        SystemParamError: not exactly one class argument.
    """
    args = typing.get_args(builder.annotation)
    if len(args) != 1 or not isinstance(args[0], type):
        raise SystemParamError(
            f"{builder.where}: {wrapper}[...] needs exactly one class argument, got {args!r}",
            help=f"write {wrapper}[MyType] with a class, e.g. {wrapper}[Score]",
        )
    return args[0]


def _type_hints(fn: Callable[..., Any], owner: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn)
    except (NameError, TypeError) as exc:
        raise SystemParamError(
            f"{owner}: cannot resolve its parameter annotations ({exc})",
            help="annotations are resolved in the function's module: define the annotated "
            "types at module level (not inside another function)",
        ) from exc


def bind_params(
    fn: Callable[..., Any],
    owner: str,
    world: World,
    *,
    read_only: bool = False,
) -> BoundParams:
    """Resolve the parameters of ``fn`` against ``world`` through their ``build_param``.

    Args:
        fn: The system (or run condition).
        owner: How to name it in messages, e.g. ``"system 'game.move'"``.
        world: The world the parameters bind to.
        read_only: Reject writing parameters (run conditions).

    Returns:
        The bound arguments and the access sets.

    Raises:
        SystemParamError: an unknown annotation, an unsupported parameter kind, or two
            parameters of one system accessing the same data both ways.
        FrameAllocError: whatever a parameter's ``build_param`` raises (for instance FA101
            for ``AllocResource`` without ``SmartAllocPlugin``).
    """
    hints = _type_hints(fn, owner)
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise SystemParamError(f"{owner}: {exc}", help="pass a plain function") from exc
    bound = BoundParams()
    builder = ParamBuilder(world, owner, read_only, bound)
    args: list[Any] = []
    for name, param in signature.parameters.items():
        raw = param.annotation
        text = raw if isinstance(raw, str) else getattr(raw, "__name__", repr(raw))
        where = f"{owner} parameter '{name}: {text}'"
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.KEYWORD_ONLY):
            raise SystemParamError(
                f"{owner} parameter '{name}' is {param.kind.description}",
                help="systems take positional parameters only, each annotated with a "
                f"system parameter type ({KNOWN_PARAMS})",
            )
        if name not in hints:
            raise SystemParamError(
                f"{owner} parameter '{name}' has no annotation",
                help=f"annotate it with one of {KNOWN_PARAMS}",
            )
        annotation = hints[name]
        kind = typing.get_origin(annotation) or annotation
        build = getattr(kind, "build_param", None)
        if not callable(build):
            raise SystemParamError(
                f"{where} is not a system parameter",
                help=f"annotate it with one of {KNOWN_PARAMS}",
            )
        builder.where = where
        builder.annotation = annotation
        args.append(build(builder))
    bound.args = tuple(args)
    return bound
