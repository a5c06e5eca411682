"""The allocator's part of allocation groups: ``alloc.groups()``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from framealloc_engine.groups.groups import AllocationGroups

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore

__all__ = ["GroupsFeature"]


class GroupsFeature:
    """Access to the allocator's allocation groups (created on first use).

    Args:
        core: The allocator whose pool and heap hold the members.
    """

    def __init__(self, core: AllocatorCore) -> None:
        self._core = core
        self._registry: AllocationGroups | None = None

    def groups(self) -> AllocationGroups:
        """The allocation groups::

        level = alloc.groups().create_group("level_1")
        alloc.groups().alloc_val(level, mesh_data)
        alloc.groups().free_group(level)
        """
        registry = self._registry
        if registry is None:
            core = self._core
            with core.threads_lock:
                registry = self._registry
                if registry is None:
                    registry = AllocationGroups(core, core.config.max_pool_size)
                    self._registry = registry
        return registry
