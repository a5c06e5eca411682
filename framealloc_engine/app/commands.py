"""``Commands``: deferred world changes, applied at the end of the schedule.

A system cannot change which resources exist while others run; it queues the change::

    def setup(commands: Commands) -> None:
        commands.insert_resource(Score(0))

Queues are applied after the schedule's last system, in the schedule's system order, so
parallel and single-threaded runs apply them identically.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from framealloc_engine.app.events import AppExit

if TYPE_CHECKING:
    from framealloc_engine.app.system_param import ParamBuilder
    from framealloc_engine.app.world import World

__all__ = ["Command", "Commands"]

Command = Callable[["World"], object]
"""A deferred command: a callable applied to the world."""


class Commands:
    """A system's queue of deferred commands (one queue per system, reused every run)."""

    __slots__ = ("_queue",)

    def __init__(self) -> None:
        self._queue: list[Command] = []

    @classmethod
    def build_param(cls, builder: ParamBuilder) -> Commands:
        """The system's own queue (refused in run conditions)."""
        commands = cls()
        builder.set_commands(commands)
        return commands

    def insert_resource(self, value: object) -> None:
        """Insert or replace the resource of type ``type(value)``."""
        self._queue.append(lambda world: world.insert_resource(value))

    def init_resource(self, key: type) -> None:
        """Insert ``key()`` unless the resource exists."""
        self._queue.append(lambda world: world.init_resource(key))

    def remove_resource(self, key: type) -> None:
        """Remove the resource of type ``key`` (no error if absent)."""
        self._queue.append(lambda world: world.remove_resource(key))

    def send_event(self, event: object) -> None:
        """Send ``event`` when the queue is applied."""
        self._queue.append(lambda world: world.send_event(event))

    def exit(self, code: int = 0) -> None:
        """Ask the runner to stop; ``App.run()`` returns ``code``."""
        event = AppExit(code)
        self._queue.append(lambda world: world.send_event(event))

    def add(self, command: Command) -> None:
        """Queue a custom command (a callable taking the world; its result is ignored)."""
        self._queue.append(command)

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def pending(self) -> bool:
        """Whether commands are queued (the executor applies the queue only then)."""
        return bool(self._queue)

    def apply(self, world: World) -> None:
        """Run and clear the queued commands (engine use)."""
        queue = self._queue
        if queue:
            self._queue = []
            for command in queue:
                command(world)
