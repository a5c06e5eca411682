"""Allocation groups: allocations freed together (``groups``), and the allocator's part
(``feature``: ``alloc.groups()``)."""

from __future__ import annotations

from framealloc_engine.groups.groups import AllocationGroups, GroupId, GroupMember, GroupStats

__all__ = ["AllocationGroups", "GroupId", "GroupMember", "GroupStats"]
