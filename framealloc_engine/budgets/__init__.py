"""Memory budgets: per tag and overall (``tag_budgets``), per thread (``thread_budgets``), and
the allocator's part of both (``feature``).

Example::

    alloc = SmartAlloc(AllocConfig().with_budgets(True))
    alloc.budgets().register_tag("ai", soft_limit=512 * KIB, hard_limit=1 * MIB)
"""

from __future__ import annotations

from framealloc_engine.budgets.tag_budgets import (
    BudgetCallback,
    BudgetEvent,
    BudgetEventKind,
    BudgetManager,
    TagBudget,
)
from framealloc_engine.budgets.thread_budgets import (
    BudgetExceededPolicy,
    ThreadBudgetConfig,
    ThreadBudgetManager,
    ThreadBudgetStats,
)

__all__ = [
    "BudgetCallback",
    "BudgetEvent",
    "BudgetEventKind",
    "BudgetExceededPolicy",
    "BudgetManager",
    "TagBudget",
    "ThreadBudgetConfig",
    "ThreadBudgetManager",
    "ThreadBudgetStats",
]
