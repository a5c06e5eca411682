"""The allocator's part of scratch pools: ``scratch_pool(name)`` and ``scratch()``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from framealloc_engine.scratch.pools import ScratchPool, ScratchRegistry

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore

__all__ = ["ScratchFeature"]


class ScratchFeature:
    """Access to the allocator's scratch-pool registry (created on first use).

    Args:
        core: The allocator whose memory limit the pools count against.
    """

    def __init__(self, core: AllocatorCore) -> None:
        self._core = core
        self._registry: ScratchRegistry | None = None

    def scratch(self) -> ScratchRegistry:
        """The registry of every scratch pool: ``stats()``, ``reset_all()``, ``remove(name)``::

        for s in alloc.scratch().stats():
            print(f"{s.name}: {s.allocated} / {s.capacity} bytes")
        """
        registry = self._registry
        if registry is None:
            core = self._core
            with core.threads_lock:
                registry = self._registry
                if registry is None:
                    reservations = core.reservations
                    registry = ScratchRegistry(
                        reservations.reserve, reservations.release, debug=core.config.debug
                    )
                    self._registry = registry
        return registry

    def scratch_pool(self, name: str, capacity: int | None = None) -> ScratchPool:
        """Get or create the scratch pool ``name`` (``capacity`` bytes, 1 MiB by default).

        Its allocations persist across frames until ``pool.reset()``::

            pool = alloc.scratch_pool("pathfinding")
            nodes = pool.alloc(PathNode, 1024)

        Raises:
            ValueError: ``capacity`` differs from the existing pool's.
            GlobalBudgetExceededError: (FA301) creating it would pass the memory limit.
        """
        return self.scratch().pool(name, capacity)
