"""The resource parameters: ``Res[T]``, ``ResMut[T]`` and ``Local[T]``.

=========================  =================================  ===============
annotation                 the system receives                access
=========================  =================================  ===============
``Res[T]``                 ``Res`` (``.value`` is the T)       read T
``ResMut[T]``              ``ResMut`` (``.value`` settable)    write T
``Local[T]``               ``Local`` private to the system     none
=========================  =================================  ===============

Each resolves itself through the system-parameter protocol (``build_param``, see
:mod:`framealloc_engine.app.system_param`), like ``EventReader``/``EventWriter``, ``Time`` and
``Commands`` in their own modules. A resource class with ``main_thread_only = True`` (the
pygame display, for instance) makes every system that asks for it run on the main thread.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

from framealloc_engine.app.errors import MissingResourceError, SystemParamError
from framealloc_engine.app.system_param import ParamBuilder, type_argument
from framealloc_engine.app.world import MISSING, ResourceSlot

__all__ = ["Local", "Res", "ResMut"]

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

    @classmethod
    def build_param(cls, builder: ParamBuilder) -> Res[Any]:
        """Bind to the resource's slot: reads ``T`` (``ResMut`` writes it)."""
        key = type_argument(builder, cls.__name__)
        if cls is ResMut:
            builder.write(key)
        else:
            builder.read(key)
        if getattr(key, "main_thread_only", False) is True:
            builder.require_main_thread()
        builder.need_resource(key)
        return cls(builder.world.slot(key), builder.where)


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

    @classmethod
    def build_param(cls, builder: ParamBuilder) -> Local[Any]:
        """A fresh ``T()`` for this system; no shared access."""
        kind = type_argument(builder, "Local")
        try:
            initial = kind()
        except TypeError as exc:
            raise SystemParamError(
                f"{builder.where}: Local[{kind.__name__}] starts as {kind.__name__}(), which "
                f"failed ({exc})",
                help=f"give {kind.__name__} defaults for every field",
            ) from exc
        return cls(initial)


def _missing(key: type, where: str) -> MissingResourceError:
    name = key.__name__
    prefix = f"{where} " if where else ""
    return MissingResourceError(
        f"{prefix}needs resource {name}, which does not exist",
        help=f"insert it with app.insert_resource({name}(...)) or app.init_resource({name}), "
        f"or guard the system with .run_if(resource_exists({name}))",
    )
