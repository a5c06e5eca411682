"""Emitting diagnostics: the spec's ``fa_diagnostic!``/``fa_emit!``/``fa_assert!`` in Python.

Diagnostics go to the ``logging`` logger ``"framealloc"`` (errors at ``ERROR``, warnings at
``WARNING``, hints and notes at ``INFO``), rendered in the spec's format::

    [framealloc][FA001] error: frame allocation used outside an active frame
      note: this allocation was requested when no frame was active
      help: call alloc.begin_frame() before allocating, or use pool_alloc()/heap_alloc()

Each record carries ``fa_code``, ``fa_kind`` and ``fa_diagnostic`` attributes for handlers
that route by code. In strict mode (see ``strict``) an error -- or a warning, with
``FRAMEALLOC_STRICT=warning`` -- raises :class:`StrictModeViolation` instead of logging.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from framealloc_engine.diagnostics.codes import DiagnosticKind, get_code
from framealloc_engine.diagnostics.context import DiagContext
from framealloc_engine.diagnostics.strict import StrictModeViolation, should_raise

__all__ = [
    "LOGGER_NAME",
    "Diagnostic",
    "fa_assert",
    "fa_diagnostic",
    "fa_emit",
    "fa_emit_ctx",
    "logger",
]

#: Name of the logger diagnostics are written to.
LOGGER_NAME = "framealloc"
#: The ``framealloc`` logger.
logger = logging.getLogger(LOGGER_NAME)

_LEVELS = {
    DiagnosticKind.ERROR: logging.ERROR,
    DiagnosticKind.WARNING: logging.WARNING,
    DiagnosticKind.NOTE: logging.INFO,
    DiagnosticKind.HINT: logging.INFO,
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One emitted diagnostic.

    Attributes:
        kind: Its severity.
        code: The FA code.
        message: The headline.
        note: Optional context line.
        help: Optional fix line.
        context: Runtime context when captured (``fa_emit_ctx``).
    """

    kind: DiagnosticKind
    code: str
    message: str
    note: str | None = None
    help: str | None = None
    context: DiagContext | None = None

    def format(self) -> str:
        """The spec's multi-line rendering."""
        lines = [f"[framealloc][{self.code}] {self.kind.value}: {self.message}"]
        if self.note:
            lines.append(f"  note: {self.note}")
        if self.context is not None:
            lines.append(f"  note: {self.context.describe()}")
        if self.help:
            lines.append(f"  help: {self.help}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _dispatch(diag: Diagnostic) -> Diagnostic:
    if should_raise(diag.kind):
        note = diag.note
        if diag.context is not None:
            ctx = diag.context.describe()
            note = f"{note}; {ctx}" if note else ctx
        raise StrictModeViolation(
            diag.message, code=diag.code, severity=diag.kind.value, note=note, help=diag.help
        )
    level = _LEVELS[diag.kind]
    if logger.isEnabledFor(level):
        logger.log(
            level,
            diag.format(),
            extra={"fa_code": diag.code, "fa_kind": diag.kind.value, "fa_diagnostic": diag},
        )
    return diag


def fa_diagnostic(
    kind: DiagnosticKind | str,
    code: str,
    message: str,
    note: str | None = None,
    help: str | None = None,  # noqa: A002 - mirrors the spec's field name
    *,
    context: DiagContext | None = None,
) -> Diagnostic:
    """Emit a custom diagnostic.

    Example::

        fa_diagnostic("error", "FA001", "frame allocation used outside an active frame",
                      help="call alloc.begin_frame() before allocating")

    Args:
        kind: ``DiagnosticKind`` or its name (``"error"``, ``"warning"``, ``"hint"``,
            ``"note"``).
        code: Any FA code (not checked against the table, so plugins may add their own).
        message: The headline.
        note: Optional context line.
        help: Optional fix line.
        context: Optional captured context, printed as an extra note.

    Returns:
        The emitted :class:`Diagnostic`.

    Raises:
        StrictModeViolation: strict mode forbids a diagnostic of this kind.
    """
    return _dispatch(
        Diagnostic(DiagnosticKind.parse(kind), code.strip().upper(), message, note, help, context)
    )


def fa_emit(
    code: str,
    message: str | None = None,
    *,
    note: str | None = None,
    help: str | None = None,  # noqa: A002 - mirrors the spec's field name
    kind: DiagnosticKind | str | None = None,
    context: DiagContext | None = None,
) -> Diagnostic:
    """Emit a predefined diagnostic from the code table.

    The table gives the severity, message, note and help; any argument overrides its part.
    The library's own runtime warnings go through here, so strict mode applies to them.

    Raises:
        KeyError: ``code`` is not in the table.
        StrictModeViolation: strict mode forbids a diagnostic of this kind.
    """
    entry = get_code(code)
    return _dispatch(
        Diagnostic(
            entry.severity if kind is None else DiagnosticKind.parse(kind),
            entry.code,
            entry.summary if message is None else message,
            (entry.note or None) if note is None else note,
            entry.fix if help is None else help,
            context,
        )
    )


def fa_emit_ctx(
    code: str,
    message: str | None = None,
    *,
    alloc: object | None = None,
    note: str | None = None,
    help: str | None = None,  # noqa: A002 - mirrors the spec's field name
) -> Diagnostic:
    """Like :func:`fa_emit`, with the calling thread's :class:`DiagContext` attached."""
    return fa_emit(code, message, note=note, help=help, context=DiagContext.capture(alloc))


def fa_assert(
    condition: object, code: str, ctx: bool = False, *, alloc: object | None = None
) -> bool:
    """Emit ``code`` when ``condition`` is false; returns ``bool(condition)``.

    Example::

        fa_assert(alloc.frame_active, "FA001", ctx=True)

    Raises:
        StrictModeViolation: the condition failed and strict mode forbids the diagnostic.
    """
    if condition:
        return True
    if ctx:
        fa_emit_ctx(code, alloc=alloc)
    else:
        fa_emit(code)
    return False
