"""The lint table: every FA code the analyser reports, with its default severity and docs."""

from __future__ import annotations

from framealloc_lint.model import Rule
from framealloc_lint.rules_concurrency import CONCURRENCY_RULES
from framealloc_lint.rules_memory import MEMORY_RULES

__all__ = [
    "ANALYSIS_ERROR",
    "CATEGORIES",
    "PARSE_ERROR",
    "RENAMED",
    "RULES",
    "canonical_code",
    "get_rule",
    "is_code",
    "rules_in",
]

#: Every rule, ordered by code.
RULES: dict[str, Rule] = {
    rule.code: rule for rule in sorted((*MEMORY_RULES, *CONCURRENCY_RULES), key=lambda r: r.code)
}
#: Category names in display order.
CATEGORIES: tuple[str, ...] = ("frame", "budget", "thread", "async", "tags", "parse", "internal")
#: Code reported for files that cannot be read or parsed.
PARSE_ERROR = "FA900"
#: Code reported when a check could not finish on a file.
ANALYSIS_ERROR = "FA902"
#: Codes the analyser reported under another number before: old code -> current code.
#: (FA301 is the runtime's "global memory budget exceeded"; the static check is FA606.)
RENAMED: dict[str, str] = {"FA301": "FA606"}


def is_code(code: str) -> bool:
    """Return whether ``code`` (any case) names a rule."""
    return code.strip().upper() in RULES


def canonical_code(code: str) -> tuple[str, str | None]:
    """The current code for ``code`` (any case) and, when it was renamed, a note saying so.

    Raises:
        KeyError: When ``code`` is neither a rule nor a renamed one.
    """
    key = code.strip().upper()
    if key in RULES:
        return key, None
    if key in RENAMED:
        new = RENAMED[key]
        return new, (
            f"{key} was renamed {new} in fa 0.2.0 ({key} is a runtime code with another "
            f"meaning; see `fa explain {key}`): write {new}"
        )
    raise KeyError(code)


def get_rule(code: str) -> Rule:
    """Look up a rule by code (any case).

    Raises:
        KeyError: When no rule has that code.
    """
    return RULES[code.strip().upper()]


def rules_in(category: str | None = None) -> list[Rule]:
    """Rules of one category (all rules when ``category`` is None), ordered by code."""
    return [r for r in RULES.values() if category is None or r.category == category]
