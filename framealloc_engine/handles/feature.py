"""``alloc.handles()``: the allocator's one :class:`HandleAllocator`, created on first use.

Its buffer is reserved against ``AllocConfig.global_memory_limit`` like arenas and slab pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framealloc_engine.config import MIB
from framealloc_engine.core.singleton import SizedSingleton
from framealloc_engine.handles.allocator import HandleAllocator

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore

__all__ = ["DEFAULT_HANDLE_CAPACITY", "HandlesFeature"]

DEFAULT_HANDLE_CAPACITY = 1 * MIB


class HandlesFeature:
    """``handles()``.

    Args:
        core: The allocator whose memory limit the buffer counts against.
    """

    def __init__(self, core: AllocatorCore) -> None:
        debug = core.config.debug
        self._one = SizedSingleton(
            "handles", "capacity_bytes", DEFAULT_HANDLE_CAPACITY,
            lambda size: HandleAllocator(size, debug=debug),
            lambda existing: existing.capacity,
            core.reservations.reserve, core.reservations.release,
        )  # fmt: skip

    def handles(self, capacity_bytes: int | None = None) -> HandleAllocator:
        """The allocator's :class:`HandleAllocator`, created on first call.

        Args:
            capacity_bytes: Its capacity; only the first call may set it (default 1 MiB).

        Raises:
            ValueError: a later call asks for a different capacity.
            GlobalBudgetExceededError: (FA301) the capacity does not fit the global limit.
        """
        return self._one.get(capacity_bytes)
