"""Allocation groups: allocations freed together (a level's assets, a scene's data).

Members are pool blocks when they fit the largest size class and heap blocks otherwise;
non-numeric values are held by reference. ``free_group`` releases every member at once, and a
:class:`GroupMember` of a freed group raises
:class:`~framealloc_engine.errors.StaleHandleError` (FA401) on use. Group ids are never
reused, so a stale id is always detected. One lock guards the registry; the allocations
themselves go through the allocator's pool and heap (and are attributed to the current tag).

Example::

    groups = alloc.groups()
    level = groups.create_group("level_1")
    mesh = groups.alloc(level, Vertex, 4096)
    groups.alloc_val(level, {"name": "castle"})
    groups.free_group(level)                    # everything at once
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any, NewType, Protocol, TypeVar

import numpy as np

from framealloc_engine.allocators.layout import DTypeSpec, ShapeSpec, layout_of
from framealloc_engine.core.boxes import Box, as_storable_array
from framealloc_engine.errors import FrameAllocError, StaleHandleError

__all__ = ["AllocationGroups", "GroupId", "GroupMember", "GroupStats", "GroupsAllocator"]

T = TypeVar("T")

#: Identifies a group; ids are never reused.
GroupId = NewType("GroupId", int)

POOL = "pool"
HEAP = "heap"
OBJECT = "object"


class GroupsAllocator(Protocol):
    """What groups need from the allocator (``SmartAlloc`` provides it)."""

    def pool_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        """Allocate a pool block."""

    def pool_free(self, array: np.ndarray) -> object:
        """Free a pool block."""

    def heap_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        """Allocate a heap block."""

    def heap_free(self, array: np.ndarray) -> None:
        """Free a heap block."""


class _Group:
    __slots__ = ("alive", "bytes", "id", "members", "name")

    def __init__(self, group_id: GroupId, name: str) -> None:
        self.id = group_id
        self.name = name
        self.alive = True
        self.members: list[GroupMember[Any]] = []
        self.bytes = 0


class GroupMember(Box[T]):
    """One allocation of a group; valid until the group is freed.

    ``get()``/``set()`` read and write the value; ``array`` is the memory itself for
    vectorised work. Both check the group first. An array kept past ``free_group`` is *not*
    checked: its block may already belong to someone else (debug mode makes it read-only).
    """

    __slots__ = ("_group", "kind", "nbytes")
    _kind = "group member"

    def __init__(
        self, group: _Group, kind: str, nbytes: int, array: np.ndarray | None, obj: object
    ) -> None:
        self._group = group
        self.kind = kind
        self.nbytes = nbytes
        self._array = array
        self._object = obj

    @property
    def group(self) -> GroupId:
        """The group this member belongs to."""
        return self._group.id

    @property
    def is_valid(self) -> bool:
        """Whether the group is still alive."""
        return self._group.alive

    def _check(self) -> None:
        group = self._group
        if not group.alive:
            raise StaleHandleError(
                f"member of group {group.name!r} used after free_group()",
                note=f"group id {group.id} was freed with all its members",
                help="copy the data out before freeing the group, or free it later",
            )

    def release(self) -> np.ndarray | None:
        """Detach the member from its memory (``free_group`` calls this); returns the array
        it held, for the group to free."""
        array = self._array
        self._array = None
        self._object = None
        return array

    def __repr__(self) -> str:
        state = "live" if self._group.alive else "freed"
        return f"<GroupMember {self.kind} {self.nbytes}B of {self._group.name!r} ({state})>"


@dataclass(frozen=True, slots=True)
class GroupStats:
    """One group's member count and bytes (the data sizes of its members)."""

    id: GroupId
    name: str
    count: int
    bytes: int


class AllocationGroups:
    """The allocator's groups (``alloc.groups()``); safe to use from any thread.

    Args:
        allocator: Where member memory comes from.
        max_pool_size: Members up to this many bytes go to the pool, larger ones to the heap.
    """

    def __init__(self, allocator: GroupsAllocator, max_pool_size: int) -> None:
        self._alloc = allocator
        self._max_pool = max_pool_size
        self._lock = threading.Lock()
        self._groups: dict[GroupId, _Group] = {}
        self._ids = itertools.count(1)
        self.freed_groups = 0

    def create_group(self, name: str) -> GroupId:
        """A new empty group called ``name`` (names need not be unique)."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"group name must be a non-empty string, got {name!r}")
        with self._lock:
            group_id = GroupId(next(self._ids))
            self._groups[group_id] = _Group(group_id, name)
            return group_id

    def _group(self, group_id: GroupId) -> _Group:
        group = self._groups.get(group_id)
        if group is None:
            raise StaleHandleError(
                f"group {group_id!r} does not exist (never created, or already freed)",
                help="create groups with groups.create_group(name); free each once",
            )
        return group

    def _add(
        self,
        group_id: GroupId,
        member_args: tuple[str, int, np.ndarray | None, object],
    ) -> GroupMember[Any]:
        kind, nbytes, array, obj = member_args
        with self._lock:
            group = self._groups.get(group_id)
            if group is not None:
                member: GroupMember[Any] = GroupMember(group, kind, nbytes, array, obj)
                group.members.append(member)
                group.bytes += nbytes
                return member
        # freed while we allocated: give the memory back, then report the stale id
        if array is not None:
            self._free_array(kind, array)
        with self._lock:
            raise self._stale(group_id)

    def _stale(self, group_id: GroupId) -> StaleHandleError:
        try:
            self._group(group_id)
        except StaleHandleError as exc:
            return exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _free_array(self, kind: str, array: np.ndarray) -> None:
        if kind == POOL:
            self._alloc.pool_free(array)
        else:
            self._alloc.heap_free(array)

    def alloc(self, group_id: GroupId, dtype: DTypeSpec, shape: ShapeSpec = ()) -> GroupMember[Any]:
        """An uninitialised array in ``group_id``; pool when it fits, else heap.

        Raises:
            StaleHandleError: (FA401) the group does not exist.
            AllocationTypeError, AllocationSizeError: (FA004) a bad dtype or shape.
        """
        with self._lock:
            self._group(group_id)
        layout = layout_of(dtype, shape)
        if layout.nbytes <= self._max_pool and layout.align <= 16:
            return self._add(
                group_id, (POOL, layout.nbytes, self._alloc.pool_alloc(dtype, shape), None)
            )
        return self._add(
            group_id, (HEAP, layout.nbytes, self._alloc.heap_alloc(dtype, shape), None)
        )

    def alloc_val(self, group_id: GroupId, value: T) -> GroupMember[T]:
        """Store ``value`` in ``group_id``: numpy-representable values are copied into
        pool/heap memory, other objects are held by reference until the group is freed.

        Raises:
            StaleHandleError: (FA401) the group does not exist.
        """
        stored = as_storable_array(value)
        if stored is None:
            with self._lock:
                self._group(group_id)
            return self._add(group_id, (OBJECT, 0, None, value))
        member = self.alloc(group_id, stored.dtype, stored.shape)
        member.array[...] = stored
        return member

    def free_group(self, group_id: GroupId) -> int:
        """Free every member of ``group_id`` at once; returns how many there were.

        Every member that can be freed is, even when some cannot (one freed behind the
        group's back, say); the first such failure is raised afterwards, its note saying how
        many members failed.

        Raises:
            StaleHandleError: (FA401) the group does not exist (or was already freed).
            DoubleFreeError, InvalidFreeError: (FA401) a member could not be freed (raised
                after every other member was freed).
        """
        with self._lock:
            group = self._group(group_id)
            del self._groups[group_id]
            group.alive = False
            members = group.members
            group.members = []
            self.freed_groups += 1
        failures: list[Exception] = []
        for member in members:
            array = member.release()
            if array is None:
                continue
            try:
                self._free_array(member.kind, array)
            except Exception as error:  # noqa: BLE001 - reported below, after the others
                failures.append(error)
        if failures:
            first = failures[0]
            summary = (
                f"{len(failures)} of {len(members)} member(s) of group {group_id} could not "
                "be freed; every other member was freed"
            )
            if isinstance(first, FrameAllocError):
                first.note = f"{first.note}; {summary}" if first.note else summary
            raise first
        return len(members)

    def group_exists(self, group_id: GroupId) -> bool:
        """Whether ``group_id`` is a live group."""
        with self._lock:
            return group_id in self._groups

    def group_size(self, group_id: GroupId) -> int:
        """Bytes of the group's members (their data sizes)."""
        with self._lock:
            return self._group(group_id).bytes

    def group_count(self, group_id: GroupId) -> int:
        """Number of members of the group."""
        with self._lock:
            return len(self._group(group_id).members)

    def group_name(self, group_id: GroupId) -> str:
        """The name the group was created with."""
        with self._lock:
            return self._group(group_id).name

    def stats(self) -> list[GroupStats]:
        """Every live group's members and bytes, by id."""
        with self._lock:
            return [
                GroupStats(g.id, g.name, len(g.members), g.bytes)
                for g in sorted(self._groups.values(), key=lambda g: g.id)
            ]

    def total_bytes(self) -> int:
        """Bytes of every live group's members."""
        with self._lock:
            return sum(g.bytes for g in self._groups.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._groups)
