"""``alloc.streaming()`` and ``alloc.handles()``: one lazily created instance each.

Their memory is reserved against ``AllocConfig.global_memory_limit`` like arenas and slab
pages, so the global limit covers it.
"""

from __future__ import annotations

import threading

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
        with _create_lock:
            streaming = self._streaming
            if streaming is None:
                budget = DEFAULT_STREAMING_BUDGET if budget_bytes is None else budget_bytes
                self._reservations.reserve(budget)
                try:
                    streaming = StreamingAllocator(budget, debug=self.config.debug)
                except BaseException:
                    self._reservations.release(budget)
                    raise
                self._streaming = streaming
            elif budget_bytes is not None and budget_bytes != streaming.budget_bytes:
                raise ValueError(
                    f"streaming() already exists with a {streaming.budget_bytes}-byte budget; "
                    f"got budget_bytes={budget_bytes}"
                )
            return streaming

    def handles(self, capacity_bytes: int | None = None) -> HandleAllocator:
        """The allocator's :class:`HandleAllocator`, created on first call.

        Args:
            capacity_bytes: Its capacity; only the first call may set it (default 1 MiB).

        Raises:
            ValueError: a later call asks for a different capacity.
            GlobalBudgetExceededError: (FA301) the capacity does not fit the global limit.
        """
        with _create_lock:
            handles = self._handles
            if handles is None:
                capacity = DEFAULT_HANDLE_CAPACITY if capacity_bytes is None else capacity_bytes
                self._reservations.reserve(capacity)
                try:
                    handles = HandleAllocator(capacity, debug=self.config.debug)
                except BaseException:
                    self._reservations.release(capacity)
                    raise
                self._handles = handles
            elif capacity_bytes is not None and capacity_bytes != handles.capacity:
                raise ValueError(
                    f"handles() already exists with {handles.capacity} bytes; "
                    f"got capacity_bytes={capacity_bytes}"
                )
            return handles
