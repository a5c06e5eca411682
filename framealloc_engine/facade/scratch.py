"""``scratch_pool`` and ``scratch``: named pools whose memory outlives frames."""

from __future__ import annotations

from framealloc_engine.allocators.scratch import ScratchPool, ScratchRegistry
from framealloc_engine.facade.base import FacadeBase

__all__ = ["ScratchApi"]


class ScratchApi(FacadeBase):
    """Access to the allocator's scratch-pool registry (created on first use)."""

    _scratch_registry: ScratchRegistry | None = None

    def scratch(self) -> ScratchRegistry:
        """The registry of every scratch pool: ``stats()``, ``reset_all()``, ``remove(name)``::

        for s in alloc.scratch().stats():
            print(f"{s.name}: {s.allocated} / {s.capacity} bytes")
        """
        registry = self._scratch_registry
        if registry is None:
            with self._threads_lock:
                registry = self._scratch_registry
                if registry is None:
                    reservations = self._reservations
                    registry = ScratchRegistry(
                        reservations.reserve, reservations.release, debug=self.config.debug
                    )
                    self._scratch_registry = registry
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
