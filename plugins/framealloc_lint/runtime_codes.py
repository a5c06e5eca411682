"""The allocator's runtime FA codes (FA0xx-FA5xx, FA9xx), read lazily for ``fa explain``.

The runtime table lives in ``framealloc_engine.diagnostics.codes``. Importing it runs
``framealloc_engine/__init__.py``, which imports numpy, so nothing here is imported when ``fa``
starts: only ``fa explain`` and ``fa list --runtime`` call :func:`runtime_codes`, the two
commands that show runtime codes. ``fa check`` never does.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

__all__ = ["RuntimeCode", "RuntimeTableError", "runtime_codes"]

_MODULE = "framealloc_engine.diagnostics.codes"


class RuntimeTableError(Exception):
    """The runtime code table cannot be loaded (the runtime package is not importable)."""


@dataclass(frozen=True)
class RuntimeCode:
    """One runtime code, as ``fa`` shows it.

    Attributes:
        code: ``"FA003"``.
        category: Runtime area (``frame``, ``thread``, ``budget``...).
        severity: ``"error"``, ``"warning"``, ``"note"`` or ``"hint"``.
        summary: One line.
        text: The runtime's full explanation (``python -m framealloc_engine explain``).
    """

    code: str
    category: str
    severity: str
    summary: str
    text: str


def runtime_codes() -> dict[str, RuntimeCode]:
    """Every runtime code, ordered by code.

    Raises:
        RuntimeTableError: ``framealloc_engine`` (or numpy, which it needs) cannot be imported.
    """
    try:
        table = importlib.import_module(_MODULE)
    except Exception as err:  # noqa: BLE001 - any import failure means "no runtime table"
        raise RuntimeTableError(f"cannot import {_MODULE}: {type(err).__name__}: {err}") from None
    return {
        entry.code: RuntimeCode(entry.code, entry.category, entry.severity.value, entry.summary,
                                entry.render())  # fmt: skip
        for entry in table.all_codes()
    }
