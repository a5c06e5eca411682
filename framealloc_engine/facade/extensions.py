"""State shared by the v0.6 facade pieces (budgets, thread budgets, deferred control,
transfers, lifecycle events, streaming and handles), created by ``_init_extensions``.

Every piece is created lazily, so an allocator that uses none of them pays nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framealloc_engine.facade.observers import ObserverApi

if TYPE_CHECKING:
    from framealloc_engine.allocators.handles import HandleAllocator
    from framealloc_engine.allocators.streaming import StreamingAllocator
    from framealloc_engine.budgets import BudgetManager
    from framealloc_engine.lifecycle import LifecycleManager
    from framealloc_engine.sync.transfer import TransferRegistry
    from framealloc_engine.thread_budgets import ThreadBudgetManager

__all__ = ["ExtensionBase"]


class ExtensionBase(ObserverApi):
    """Declares the lazily created v0.6 components."""

    _budget_manager: BudgetManager | None
    _thread_budgets: ThreadBudgetManager | None
    _lifecycle: LifecycleManager | None
    _lifecycle_enabled: bool
    _transfers: TransferRegistry | None
    _streaming: StreamingAllocator | None
    _handles: HandleAllocator | None

    def _init_extensions(self) -> None:
        """Called once at the end of ``SmartAlloc.__init__``."""
        self._budget_manager = None
        self._thread_budgets = None
        self._lifecycle = None
        self._lifecycle_enabled = False
        self._transfers = None
        self._streaming = None
        self._handles = None
        if self.config.enable_budgets:
            self._install_budgets()

    def _install_budgets(self) -> BudgetManager:
        from framealloc_engine.budgets import BudgetManager

        manager = self._budget_manager
        if manager is None:
            manager = self._budget_manager = BudgetManager(self.config.global_memory_limit)
            self.add_observer(manager)
        return manager

