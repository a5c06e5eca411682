"""The analyser's result type: one :class:`Diagnostic` per finding, ranked by :class:`Severity`."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

__all__ = ["Diagnostic", "Rule", "Severity"]


class Severity(enum.IntEnum):
    """How serious a finding is; ordered so ``Severity.HINT < Severity.ERROR``."""

    HINT = 0
    WARNING = 1
    ERROR = 2

    @property
    def label(self) -> str:
        """Lower-case name used in every output format (``"warning"``)."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Read a severity from configuration or the command line.

        Args:
            text: ``"hint"``, ``"warning"``/``"warn"``, ``"error"``/``"deny"`` (any case).

        Raises:
            ValueError: When ``text`` names no severity.
        """
        key = text.strip().lower()
        aliases = {"warn": "warning", "deny": "error", "note": "hint", "info": "hint"}
        key = aliases.get(key, key)
        try:
            return cls[key.upper()]
        except KeyError:
            expected = "expected hint, warning or error"
            raise ValueError(f"unknown severity {text!r} ({expected})") from None


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding, located in a source file.

    Attributes:
        path: File the finding is in, as given to the analyser.
        line: 1-based line.
        column: 1-based column.
        code: FA code, e.g. ``"FA601"``.
        severity: Effective severity (after configuration).
        message: One line saying what is wrong.
        note: Context line (why it matters).
        help: How to fix it.
    """

    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str
    note: str = ""
    help: str = ""

    def with_severity(self, severity: Severity) -> Diagnostic:
        """Return a copy with another severity."""
        return replace(self, severity=severity)

    def to_dict(self) -> dict[str, object]:
        """Plain-data form used by the JSON output."""
        return {
            "code": self.code,
            "severity": self.severity.label,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "note": self.note,
            "help": self.help,
        }


@dataclass(frozen=True)
class Rule:
    """One entry of the lint table: what a code means and how to fix it.

    Attributes:
        code: FA code (``"FA601"``).
        name: Short kebab-case name (``"frame-escape"``).
        category: Family (``"frame"``, ``"thread"``, ``"budget"``, ``"async"``, ``"tags"``).
        severity: Default severity.
        summary: One line for ``fa list`` and rule metadata.
        explanation: A paragraph for ``fa explain``.
        bad: Code that triggers the rule.
        good: The same intent written so it does not.
        help: The fix, one line (also the diagnostic's help line).
    """

    code: str
    name: str
    category: str
    severity: Severity
    summary: str
    explanation: str
    bad: str
    good: str
    help: str
