"""``alloc.budgets()``: the allocator's :class:`~framealloc_engine.budgets.BudgetManager`."""

from __future__ import annotations

import threading
from typing import Any

from framealloc_engine.budgets import BudgetManager
from framealloc_engine.errors import GlobalBudgetExceededError
from framealloc_engine.facade.extensions import ExtensionBase
from framealloc_engine.layout import DTypeSpec, ShapeSpec, layout_of

__all__ = ["BudgetApi"]


class BudgetApi(ExtensionBase):
    """Per-tag and global memory budgets (see :mod:`framealloc_engine.budgets`)."""

    def budgets(self) -> BudgetManager:
        """The budget manager, installed on first use.

        With ``AllocConfig().with_budgets(True)`` it is installed when the allocator is
        created, so every allocation is tracked; otherwise tracking starts at this call.
        """
        return self._install_budgets()

    @property
    def budget_manager(self) -> BudgetManager | None:
        """The budget manager if budgets are on, else ``None``."""
        return self._budget_manager

    def _observe_alloc(self, kind: str, dtype: DTypeSpec, shape: ShapeSpec, fn: Any) -> Any:
        try:
            return super()._observe_alloc(kind, dtype, shape, fn)
        except GlobalBudgetExceededError as err:
            # A refusal by the reservation limit (memory reserved from the system) is the
            # same global limit seen one level down: report it like the allocation cap.
            manager = self._budget_manager
            if manager is not None and not getattr(err, "budget_reported", False):
                err.budget_reported = True  # type: ignore[attr-defined]
                manager.report_global_refusal(
                    layout_of(dtype, shape).nbytes,
                    threading.get_ident(),
                    self._reservations.reserved,
                )
            raise
