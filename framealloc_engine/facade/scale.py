"""``alloc.streaming()`` and ``alloc.handles()``: one lazily created instance each.

Their memory is reserved against ``AllocConfig.global_memory_limit`` like arenas and slab
pages, so the global limit covers it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from framealloc_engine.allocators.handles import HandleAllocator
from framealloc_engine.allocators.streaming import StreamingAllocator
from framealloc_engine.config import MIB
from framealloc_engine.facade.extensions import ExtensionBase

__all__ = ["DEFAULT_HANDLE_CAPACITY", "DEFAULT_STREAMING_BUDGET", "ScaleApi"]

DEFAULT_STREAMING_BUDGET = 64 * MIB
DEFAULT_HANDLE_CAPACITY = 1 * MIB
_create_lock = threading.Lock()


class ScaleApi(ExtensionBase):
    """Accessors for the allocator's streaming and handle allocators."""

    def streaming(self, budget_bytes: int | None = None) -> StreamingAllocator:
        """The allocator's :class:`StreamingAllocator`, created on first call.

        Args:
            budget_bytes: Its budget; only the first call may set it (default 64 MiB).

        Raises:
            ValueError: a later call asks for a different budget.
            GlobalBudgetExceededError: (FA301) the budget does not fit the global limit.
        """
        streaming: StreamingAllocator = self._singleton(
            "_streaming", "budget_bytes", budget_bytes, DEFAULT_STREAMING_BUDGET,
            lambda size: StreamingAllocator(size, debug=self.config.debug),
            lambda existing: existing.budget_bytes,
        )  # fmt: skip
        return streaming

    def handles(self, capacity_bytes: int | None = None) -> HandleAllocator:
        """The allocator's :class:`HandleAllocator`, created on first call.

        Args:
            capacity_bytes: Its capacity; only the first call may set it (default 1 MiB).

        Raises:
            ValueError: a later call asks for a different capacity.
            GlobalBudgetExceededError: (FA301) the capacity does not fit the global limit.
        """
        handles: HandleAllocator = self._singleton(
            "_handles", "capacity_bytes", capacity_bytes, DEFAULT_HANDLE_CAPACITY,
            lambda size: HandleAllocator(size, debug=self.config.debug),
            lambda existing: existing.capacity,
        )  # fmt: skip
        return handles

    def _singleton(
        self,
        attribute: str,
        argument: str,
        size: int | None,
        default: int,
        create: Callable[[int], Any],
        size_of: Callable[[Any], int],
    ) -> Any:
        # One instance per allocator, its memory reserved against the global limit.
        with _create_lock:
            existing = getattr(self, attribute)
            if existing is None:
                size = default if size is None else size
                self._reservations.reserve(size)
                try:
                    existing = create(size)
                except BaseException:
                    self._reservations.release(size)
                    raise
                setattr(self, attribute, existing)
            elif size is not None and size != size_of(existing):
                raise ValueError(
                    f"{attribute.strip('_')}() already exists with {size_of(existing)} bytes; "
                    f"got {argument}={size}"
                )
            return existing
