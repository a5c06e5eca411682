"""The lint table: every FA code the analyser reports, with its default severity and docs."""

from __future__ import annotations

from framealloc_lint.model import Rule
from framealloc_lint.rules_concurrency import CONCURRENCY_RULES
from framealloc_lint.rules_memory import MEMORY_RULES

__all__ = ["CATEGORIES", "PARSE_ERROR", "RULES", "get_rule", "is_code", "rules_in"]

#: Every rule, ordered by code.
RULES: dict[str, Rule] = {
    rule.code: rule for rule in sorted((*MEMORY_RULES, *CONCURRENCY_RULES), key=lambda r: r.code)
}
#: Category names in display order.
CATEGORIES: tuple[str, ...] = ("frame", "budget", "thread", "async", "tags", "parse")
#: Code reported for files that cannot be parsed.
PARSE_ERROR = "FA900"


def is_code(code: str) -> bool:
    """Return whether ``code`` (any case) names a rule."""
    return code.strip().upper() in RULES


def get_rule(code: str) -> Rule:
    """Look up a rule by code (any case).

    Raises:
        KeyError: When no rule has that code.
    """
    return RULES[code.strip().upper()]


def rules_in(category: str | None = None) -> list[Rule]:
    """Rules of one category (all rules when ``category`` is None), ordered by code."""
    return [r for r in RULES.values() if category is None or r.category == category]
