"""Double-buffered events, Bevy style.

An event sent in frame N can be read during frames N and N+1; the buffers swap at the start
of every frame (before ``First``'s systems), so a reader that runs once per frame sees each
event exactly once whatever the order of sender and reader.

Example::

    app.add_event(Collision)

    def detect(out: EventWriter[Collision]) -> None:
        out.send(Collision(a, b))

    def react(events: EventReader[Collision]) -> None:
        for hit in events.read():
            ...
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from framealloc_engine.app.errors import SystemParamError
from framealloc_engine.app.system_param import type_argument

if TYPE_CHECKING:
    from framealloc_engine.app.system_param import ParamBuilder

__all__ = ["AppExit", "EventKey", "EventReader", "EventWriter", "Events"]

E = TypeVar("E")


class Events(Generic[E]):
    """Storage of one event type: the previous frame's events and this frame's.

    Args:
        event_type: The type of the events stored.
    """

    __slots__ = ("_count", "_new", "_new_start", "_old", "_old_start", "event_type")

    def __init__(self, event_type: type[E]) -> None:
        self.event_type = event_type
        self._old: list[E] = []
        self._new: list[E] = []
        self._old_start = 0  # id of _old[0]
        self._new_start = 0  # id of _new[0]
        self._count = 0  # id the next event will get

    def send(self, event: E) -> None:
        """Append ``event`` to this frame's buffer."""
        self._new.append(event)
        self._count += 1

    def send_batch(self, events: Iterable[E]) -> None:
        """Append several events."""
        before = len(self._new)
        self._new.extend(events)
        self._count += len(self._new) - before

    def update(self) -> None:
        """Swap buffers: last frame's events are dropped, this frame's become the old ones."""
        old = self._old
        old.clear()
        self._old = self._new
        self._old_start = self._new_start
        self._new = old
        self._new_start = self._count

    def clear(self) -> None:
        """Drop every stored event (readers skip them)."""
        self._old.clear()
        self._new.clear()
        self._old_start = self._new_start = self._count

    def read_since(self, cursor: int) -> tuple[list[E], int]:
        """Events with id >= ``cursor`` still stored, and the cursor after them."""
        count = self._count
        if cursor >= count:
            return [], count
        new_start = self._new_start
        if cursor >= new_start:
            return self._new[cursor - new_start :], count
        out = self._old[max(cursor - self._old_start, 0) :]
        out.extend(self._new)
        return out, count

    def peek_all(self) -> list[E]:
        """Every stored event, oldest first, without consuming anything."""
        return [*self._old, *self._new]

    @property
    def event_count(self) -> int:
        """Events sent since creation."""
        return self._count

    def __len__(self) -> int:
        return len(self._old) + len(self._new)

    def __repr__(self) -> str:
        return f"Events[{self.event_type.__name__}](stored={len(self)}, sent={self._count})"


@dataclass(frozen=True, slots=True)
class EventKey:
    """Access key of the event storage of one event type."""

    event_type: type


def _event_storage(builder: ParamBuilder, wrapper: str, write: bool) -> Events[Any]:
    event = type_argument(builder, wrapper)
    world = builder.world
    if not world.has_event(event):
        raise SystemParamError(
            f"{builder.where}: event type {event.__name__} is not registered",
            help=f"register it with app.add_event({event.__name__})",
        )
    if write:
        builder.write(EventKey(event))
    else:
        builder.read(EventKey(event))
    return world.events(event)


class EventReader(Generic[E]):
    """A system parameter reading events of one type; each reader has its own cursor."""

    __slots__ = ("_cursor", "_events")

    def __init__(self, events: Events[E]) -> None:
        self._events = events
        self._cursor = 0

    def read(self) -> list[E]:
        """Return the events this reader has not seen yet (oldest first) and mark them read."""
        out, self._cursor = self._events.read_since(self._cursor)
        return out

    def __len__(self) -> int:
        """Number of unread events."""
        ev = self._events
        return min(ev.event_count - self._cursor, len(ev))

    def is_empty(self) -> bool:
        """True if there is nothing unread."""
        return len(self) == 0

    def clear(self) -> None:
        """Mark every stored event as read."""
        self._cursor = self._events.event_count

    @classmethod
    def build_param(cls, builder: ParamBuilder) -> EventReader[Any]:
        """A reader with its own cursor; reads the event type's storage."""
        return cls(_event_storage(builder, "EventReader", write=False))


class EventWriter(Generic[E]):
    """A system parameter sending events of one type."""

    __slots__ = ("_events",)

    def __init__(self, events: Events[E]) -> None:
        self._events = events

    def send(self, event: E) -> None:
        """Send one event; readers see it this frame (if they run later) and next frame."""
        self._events.send(event)

    def send_batch(self, events: Iterable[E]) -> None:
        """Send several events."""
        self._events.send_batch(events)

    @classmethod
    def build_param(cls, builder: ParamBuilder) -> EventWriter[Any]:
        """A writer; writes the event type's storage."""
        return cls(_event_storage(builder, "EventWriter", write=True))


@dataclass(frozen=True, slots=True)
class AppExit:
    """The event that stops the app's runner; ``App.run()`` returns its ``code``.

    Send it with ``EventWriter[AppExit]`` or ``commands.exit(code)``.

    Attributes:
        code: Process exit code, 0 for success.
    """

    code: int = 0

    def __post_init__(self) -> None:
        code = self.code
        if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code < 256:
            raise ValueError(f"AppExit code must be an int in [0, 255], got {self.code!r}")

    @classmethod
    def success(cls) -> AppExit:
        """Exit code 0."""
        return cls(0)

    @classmethod
    def error(cls, code: int = 1) -> AppExit:
        """A non-zero exit code.

        Raises:
            ValueError: ``code`` is 0.
        """
        if code == 0:
            raise ValueError("AppExit.error() needs a non-zero code; use AppExit.success()")
        return cls(code)

    @property
    def is_success(self) -> bool:
        """True for code 0."""
        return self.code == 0
