"""The diagnostics channel every part reports through: FA codes, emitting, strict mode, context.

``codes`` is the runtime FA table, ``emit`` formats and logs diagnostics (``fa_emit``),
``strict`` turns them into errors (``FRAMEALLOC_STRICT``), ``context`` captures where a
diagnostic happened. It knows no allocator feature; the tools that watch allocations live in
:mod:`framealloc_engine.behavior` and :mod:`framealloc_engine.monitoring`.
"""

from __future__ import annotations

from framealloc_engine.diagnostics.codes import (
    CODES,
    DiagnosticCode,
    DiagnosticKind,
    all_codes,
    explain,
    get_code,
)
from framealloc_engine.diagnostics.context import (
    DiagContext,
    FrameInfoSource,
    is_engine_context,
    set_context_allocator,
    set_engine_context,
)
from framealloc_engine.diagnostics.emit import (
    LOGGER_NAME,
    Diagnostic,
    fa_assert,
    fa_diagnostic,
    fa_emit,
    fa_emit_ctx,
)
from framealloc_engine.diagnostics.strict import (
    StrictMode,
    StrictModeGuard,
    StrictModeViolation,
    set_strict_mode,
    strict_mode,
)

__all__ = [
    "CODES",
    "LOGGER_NAME",
    "DiagContext",
    "Diagnostic",
    "DiagnosticCode",
    "DiagnosticKind",
    "FrameInfoSource",
    "StrictMode",
    "StrictModeGuard",
    "StrictModeViolation",
    "all_codes",
    "explain",
    "fa_assert",
    "fa_diagnostic",
    "fa_emit",
    "fa_emit_ctx",
    "get_code",
    "is_engine_context",
    "set_context_allocator",
    "set_engine_context",
    "set_strict_mode",
    "strict_mode",
]
