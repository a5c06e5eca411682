"""``World``: the app's resources (one object per type) and event storages.

Systems do not touch the world directly: their parameters are bound to resource *slots*
once, at build time, so a resource replaced later (``insert_resource`` again, or through
``Commands``) is seen by every system without re-resolving anything.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, TypeVar, cast

from framealloc_engine.app.errors import MissingResourceError
from framealloc_engine.app.events import Events

__all__ = ["MISSING", "ResourceSlot", "World"]

R = TypeVar("R")
E = TypeVar("E")


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""The value of a slot whose resource is absent."""


class ResourceSlot:
    """Holds the current value of one resource type (``MISSING`` when absent)."""

    __slots__ = ("key", "value")

    def __init__(self, key: type) -> None:
        self.key = key
        self.value: Any = MISSING

    @property
    def present(self) -> bool:
        """True when the resource exists."""
        return self.value is not MISSING


class World:
    """Resources keyed by their exact type, plus one :class:`Events` per event type."""

    __slots__ = ("_access_ids", "_events", "_slots")

    def __init__(self) -> None:
        self._slots: dict[type, ResourceSlot] = {}
        self._events: dict[type, Events[Any]] = {}
        self._access_ids: dict[Hashable, int] = {}

    # --- resources --------------------------------------------------------------------------

    def slot(self, key: type) -> ResourceSlot:
        """The slot of resource type ``key`` (created empty on first request)."""
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = ResourceSlot(key)
        return slot

    def insert_resource(self, value: object) -> None:
        """Insert or replace the resource of type ``type(value)``."""
        self.slot(type(value)).value = value

    def init_resource(self, key: type[R]) -> R:
        """Insert ``key()`` (or ``key.from_world(world)``) unless present; return the resource.

        Raises:
            TypeError: the type cannot be built without arguments.
        """
        slot = self.slot(key)
        if slot.value is MISSING:
            factory = getattr(key, "from_world", None)
            try:
                slot.value = factory(self) if callable(factory) else key()
            except TypeError as exc:
                raise TypeError(
                    f"init_resource({key.__name__}) needs {key.__name__}() to work without "
                    f"arguments ({exc}); insert an instance with insert_resource() instead, "
                    "or give the class a from_world(world) classmethod"
                ) from exc
        return cast(R, slot.value)

    def remove_resource(self, key: type[R]) -> R | None:
        """Remove and return the resource of type ``key`` (None if absent)."""
        slot = self._slots.get(key)
        if slot is None or slot.value is MISSING:
            return None
        value = slot.value
        slot.value = MISSING
        return cast(R, value)

    def contains_resource(self, key: type) -> bool:
        """True if a resource of type ``key`` exists."""
        slot = self._slots.get(key)
        return slot is not None and slot.value is not MISSING

    def get_resource(self, key: type[R]) -> R | None:
        """The resource of type ``key``, or None."""
        slot = self._slots.get(key)
        if slot is None or slot.value is MISSING:
            return None
        return cast(R, slot.value)

    def resource(self, key: type[R]) -> R:
        """The resource of type ``key``.

        Raises:
            MissingResourceError: it does not exist.
        """
        slot = self._slots.get(key)
        if slot is None or slot.value is MISSING:
            raise MissingResourceError(
                f"resource {key.__name__} does not exist",
                help=f"insert it with app.insert_resource({key.__name__}(...)) "
                f"or app.init_resource({key.__name__})",
            )
        return cast(R, slot.value)

    def resource_types(self) -> list[type]:
        """Types of the resources present."""
        return [k for k, s in self._slots.items() if s.value is not MISSING]

    # --- events -----------------------------------------------------------------------------

    def add_event(self, event_type: type[E]) -> Events[E]:
        """Register ``event_type`` (idempotent) and return its storage."""
        events = self._events.get(event_type)
        if events is None:
            events = self._events[event_type] = Events(event_type)
        return events

    def has_event(self, event_type: type) -> bool:
        """True if ``event_type`` was registered."""
        return event_type in self._events

    def events(self, event_type: type[E]) -> Events[E]:
        """The storage of a registered event type.

        Raises:
            MissingResourceError: the type was not registered with ``add_event``.
        """
        try:
            return self._events[event_type]
        except KeyError:
            raise MissingResourceError(
                f"event type {event_type.__name__} is not registered",
                help=f"register it with app.add_event({event_type.__name__})",
            ) from None

    def send_event(self, event: object) -> None:
        """Send ``event`` to the storage of ``type(event)``."""
        self.events(type(event)).send(event)

    def event_storages(self) -> list[Events[Any]]:
        """Every registered event storage, in registration order."""
        return list(self._events.values())

    # --- access ids for conflict masks ---------------------------------------------------------

    def access_bit(self, key: Hashable) -> int:
        """A one-bit mask unique to ``key`` (a resource type or an event key) in this world."""
        index = self._access_ids.get(key)
        if index is None:
            index = self._access_ids[key] = len(self._access_ids)
        return 1 << index
