"""``groups()``: allocations freed together."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from framealloc_engine.allocators.groups import AllocationGroups
from framealloc_engine.facade.base import FacadeBase

if TYPE_CHECKING:
    from framealloc_engine.allocators.groups import GroupsAllocator

__all__ = ["GroupsApi"]


class GroupsApi(FacadeBase):
    """Access to the allocator's allocation groups (created on first use)."""

    _groups_registry: AllocationGroups | None = None

    def groups(self) -> AllocationGroups:
        """The allocation groups::

        level = alloc.groups().create_group("level_1")
        alloc.groups().alloc_val(level, mesh_data)
        alloc.groups().free_group(level)
        """
        registry = self._groups_registry
        if registry is None:
            with self._threads_lock:
                registry = self._groups_registry
                if registry is None:
                    registry = AllocationGroups(
                        cast("GroupsAllocator", self), self.config.max_pool_size
                    )
                    self._groups_registry = registry
        return registry
