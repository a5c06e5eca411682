"""``alloc.streaming()``: the allocator's one :class:`StreamingAllocator`, created on first use.

Its budget is reserved against ``AllocConfig.global_memory_limit`` like arenas and slab pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framealloc_engine.config import MIB
from framealloc_engine.core.singleton import SizedSingleton
from framealloc_engine.streaming.allocator import StreamingAllocator

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore

__all__ = ["DEFAULT_STREAMING_BUDGET", "StreamingFeature"]

DEFAULT_STREAMING_BUDGET = 64 * MIB


class StreamingFeature:
    """``streaming()``.

    Args:
        core: The allocator whose memory limit the budget counts against.
    """

    def __init__(self, core: AllocatorCore) -> None:
        debug = core.config.debug
        self._one = SizedSingleton(
            "streaming", "budget_bytes", DEFAULT_STREAMING_BUDGET,
            lambda size: StreamingAllocator(size, debug=debug),
            lambda existing: existing.budget_bytes,
            core.reservations.reserve, core.reservations.release,
        )  # fmt: skip

    def streaming(self, budget_bytes: int | None = None) -> StreamingAllocator:
        """The allocator's :class:`StreamingAllocator`, created on first call.

        Args:
            budget_bytes: Its budget; only the first call may set it (default 64 MiB).

        Raises:
            ValueError: a later call asks for a different budget.
            GlobalBudgetExceededError: (FA301) the budget does not fit the global limit.
        """
        return self._one.get(budget_bytes)
