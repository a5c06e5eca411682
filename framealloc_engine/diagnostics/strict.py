"""Strict mode: turn emitted diagnostics into exceptions (for CI).

Example::

    set_strict_mode(StrictMode.PANIC_ON_ERROR)
    with StrictModeGuard.panic_on_warning():
        ...  # warnings raise StrictModeViolation here

``FRAMEALLOC_STRICT`` is read when this module is imported: ``warn`` (or ``0``) logs only,
``error`` (or ``1``) raises on errors, ``warning`` (or ``2``) raises on warnings too.
"""

from __future__ import annotations

import enum
import os
from types import TracebackType

from framealloc_engine.diagnostics.codes import DiagnosticKind
from framealloc_engine.errors import FrameAllocError

__all__ = [
    "STRICT_ENV_VAR",
    "StrictMode",
    "StrictModeGuard",
    "StrictModeViolation",
    "init_strict_mode_from_env",
    "set_strict_mode",
    "should_raise",
    "strict_mode",
]

#: The environment variable read at import.
STRICT_ENV_VAR = "FRAMEALLOC_STRICT"


class StrictMode(enum.Enum):
    """How emitted diagnostics are treated."""

    #: Log them (the default).
    WARN = 0
    #: Raise :class:`StrictModeViolation` for errors.
    PANIC_ON_ERROR = 1
    #: Raise for errors and warnings.
    PANIC_ON_WARNING = 2


class StrictModeViolation(FrameAllocError, RuntimeError):  # noqa: N818 - the spec's name
    """A diagnostic was emitted while strict mode forbids it; ``.code`` is the emitted code."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        severity: str = "error",
        note: str | None = None,
        help: str | None = None,  # noqa: A002 - mirrors the spec's field name
    ) -> None:
        super().__init__(message, note=note, help=help, code=code)
        self.severity = severity  # type: ignore[misc]

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild,
            (self.message, self.code, self.severity, self.note, self.help),
        )


def _rebuild(
    message: str, code: str, severity: str, note: str | None, help_: str | None
) -> StrictModeViolation:
    return StrictModeViolation(message, code=code, severity=severity, note=note, help=help_)


_mode = StrictMode.WARN


def set_strict_mode(mode: StrictMode) -> None:
    """Set the process-wide strict mode."""
    global _mode
    if not isinstance(mode, StrictMode):
        raise TypeError(f"expected a StrictMode, got {mode!r}")
    _mode = mode


def strict_mode() -> StrictMode:
    """The current process-wide strict mode."""
    return _mode


def should_raise(kind: DiagnosticKind) -> bool:
    """Whether emitting a diagnostic of ``kind`` raises under the current mode."""
    if kind is DiagnosticKind.ERROR:
        return _mode is not StrictMode.WARN
    if kind is DiagnosticKind.WARNING:
        return _mode is StrictMode.PANIC_ON_WARNING
    return False


_ENV_VALUES = {
    "0": StrictMode.WARN,
    "warn": StrictMode.WARN,
    "false": StrictMode.WARN,
    "off": StrictMode.WARN,
    "1": StrictMode.PANIC_ON_ERROR,
    "error": StrictMode.PANIC_ON_ERROR,
    "true": StrictMode.PANIC_ON_ERROR,
    "2": StrictMode.PANIC_ON_WARNING,
    "warning": StrictMode.PANIC_ON_WARNING,
    "all": StrictMode.PANIC_ON_WARNING,
}


def init_strict_mode_from_env(environ: dict[str, str] | None = None) -> StrictMode | None:
    """Apply ``FRAMEALLOC_STRICT`` (``warn|error|warning``); returns the mode set, if any.

    An unrecognised value leaves the mode unchanged and returns ``None``.
    """
    env = os.environ if environ is None else environ
    raw = env.get(STRICT_ENV_VAR)
    if raw is None:
        return None
    mode = _ENV_VALUES.get(raw.strip().lower())
    if mode is not None:
        set_strict_mode(mode)
    return mode


class StrictModeGuard:
    """Sets a strict mode for a ``with`` block (or until :meth:`restore`), then restores it."""

    __slots__ = ("_previous",)

    def __init__(self, mode: StrictMode) -> None:
        self._previous: StrictMode | None = strict_mode()
        set_strict_mode(mode)

    @classmethod
    def panic_on_error(cls) -> StrictModeGuard:
        """A guard raising on errors."""
        return cls(StrictMode.PANIC_ON_ERROR)

    @classmethod
    def panic_on_warning(cls) -> StrictModeGuard:
        """A guard raising on errors and warnings."""
        return cls(StrictMode.PANIC_ON_WARNING)

    def restore(self) -> None:
        """Put the previous mode back (once)."""
        if self._previous is not None:
            set_strict_mode(self._previous)
            self._previous = None

    def __enter__(self) -> StrictModeGuard:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.restore()


init_strict_mode_from_env()
