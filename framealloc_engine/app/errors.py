"""Engine build and run errors (the allocator's own errors live in ``framealloc_engine.errors``).

Every error names what went wrong (the system, the parameter) and says the fix, Bevy-style::

    system 'game.move' parameter 'score: Res[Score]' needs resource Score, which does not exist
      help: insert it with app.insert_resource(Score(...)) or app.init_resource(Score)
"""

from __future__ import annotations

__all__ = [
    "AppError",
    "MissingResourceError",
    "PluginError",
    "ScheduleBuildError",
    "SystemParamError",
    "SystemRunError",
]


class AppError(Exception):
    """Base of the engine's own errors: a message plus an optional ``help`` line.

    Args:
        message: What went wrong, naming the system/parameter/plugin involved.
        help: How to fix it.
    """

    def __init__(self, message: str, *, help: str | None = None) -> None:  # noqa: A002
        super().__init__(message)
        self.message = message
        self.help = help

    def __str__(self) -> str:
        if self.help:
            return f"{self.message}\n  help: {self.help}"
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.message, self.help))


def _rebuild(cls: type[AppError], message: str, help_: str | None) -> AppError:
    return cls(message, help=help_)


class ScheduleBuildError(AppError, ValueError):
    """A schedule cannot be built: ordering cycle, unknown ordering target, duplicate system."""


class SystemParamError(AppError, TypeError):
    """A system parameter cannot be resolved, or two parameters of one system conflict."""


class PluginError(AppError, RuntimeError):
    """A plugin was added twice (unique plugins), or after the app started."""


class MissingResourceError(AppError, LookupError):
    """A resource was read that is not in the world."""


class SystemRunError(AppError, RuntimeError):
    """A system raised; the frame stopped. The original exception is ``__cause__``.

    Attributes:
        system: Name of the system that raised.
        schedule: Name of the schedule it ran in.
    """

    def __init__(self, message: str, *, system: str, schedule: str) -> None:
        super().__init__(message)
        self.system = system
        self.schedule = schedule

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_run, (self.message, self.system, self.schedule))


def _rebuild_run(message: str, system: str, schedule: str) -> SystemRunError:
    return SystemRunError(message, system=system, schedule=schedule)
