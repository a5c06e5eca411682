"""Scratch pools: named bump regions whose memory persists across frames until ``reset()``.

A pool is one aligned buffer with a bump offset behind a lock (any thread may allocate from
it). ``reset()`` makes all of it free again at once; arrays handed out before a reset must not
be used afterwards (debug mode poisons the bytes and freezes those arrays). The registry maps
names to pools and charges their buffers to the allocator's global memory limit.

Example::

    pool = alloc.scratch_pool("pathfinding")
    nodes = pool.alloc(PathNode, 1024)     # lives across frames
    pool.reset()                           # level unload
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from framealloc_engine.allocators.layout import layout_of
from framealloc_engine.allocators.region import BumpRegion
from framealloc_engine.config import MIB
from framealloc_engine.errors import ScratchPoolFullError, StaleHandleError

__all__ = ["DEFAULT_SCRATCH_CAPACITY", "ScratchPool", "ScratchRegistry", "ScratchStats"]

#: Capacity of a scratch pool created without one.
DEFAULT_SCRATCH_CAPACITY = 1 * MIB


@dataclass(frozen=True, slots=True)
class ScratchStats:
    """One pool's usage: ``allocated`` of ``capacity`` bytes (padding included)."""

    name: str
    allocated: int
    capacity: int
    allocation_count: int
    peak: int
    resets: int

    @property
    def remaining(self) -> int:
        """Bytes still free."""
        return self.capacity - self.allocated


class ScratchPool:
    """A named bump allocator whose memory outlives frames.

    Args:
        name: The pool's name in its registry.
        capacity: Bytes of the pool (> 0).
        debug: Poison reset memory and freeze arrays handed out before a reset.
    """

    def __init__(self, name: str, capacity: int, *, debug: bool = False) -> None:
        if capacity <= 0:
            raise ValueError(f"scratch pool capacity must be > 0 bytes, got {capacity}")
        self.name = name
        self.debug = debug
        self._capacity = capacity
        self._region: BumpRegion | None = BumpRegion(capacity, debug=debug)
        self._lock = threading.Lock()
        self._count = 0
        self._peak = 0
        self._resets = 0
        self._removed = False
        self._outstanding: list[np.ndarray] = []

    @property
    def capacity(self) -> int:
        """Bytes of the pool."""
        return self._capacity

    @property
    def allocated(self) -> int:
        """Bytes in use (the bump offset, alignment padding included)."""
        region = self._region
        return 0 if region is None else region.offset

    @property
    def remaining(self) -> int:
        """Bytes still free at the end of the pool."""
        return self._capacity - self.allocated

    @property
    def generation(self) -> int:
        """How many times the pool was reset (arrays of older generations are dead)."""
        return self._resets

    @property
    def removed(self) -> bool:
        """Whether the pool was removed from its registry (it can no longer allocate)."""
        return self._removed

    def fits(self, dtype: Any, shape: Any = ()) -> bool:
        """Whether an allocation of ``dtype``/``shape`` would succeed now."""
        layout = layout_of(dtype, shape)
        with self._lock:
            region = self._region
            return region is not None and region.fits(layout.nbytes, layout.align)

    def alloc(self, dtype: Any, shape: Any = ()) -> np.ndarray:
        """An uninitialised array that lives until :meth:`reset` (from any thread).

        Raises:
            ScratchPoolFullError: (FA003) the pool has no room.
            StaleHandleError: (FA401) the pool was removed.
            AllocationTypeError, AllocationSizeError: (FA004) a bad dtype or shape.
        """
        array = self.try_alloc(dtype, shape)
        if array is None:
            layout = layout_of(dtype, shape)
            raise ScratchPoolFullError(
                f"scratch pool {self.name!r} is full: requested {layout.nbytes} bytes with "
                f"{self.remaining} of {self._capacity} free",
                note=f"{self._count} allocations are live in the pool",
                help="reset() the pool when its data is no longer needed, or create it with a "
                "larger capacity: alloc.scratch_pool(name, capacity=bytes)",
            )
        return array

    def try_alloc(self, dtype: Any, shape: Any = ()) -> np.ndarray | None:
        """Like :meth:`alloc`, but ``None`` when the pool has no room."""
        layout = layout_of(dtype, shape)
        with self._lock:
            region = self._region
            if region is None:
                raise StaleHandleError(
                    f"scratch pool {self.name!r} was removed from its registry",
                    help="get a live pool with alloc.scratch_pool(name)",
                )
            view = region.take(layout.shape, layout.dtype, layout.nbytes, layout.align)
            if view is None:
                return None
            self._count += 1
            if region.offset > self._peak:
                self._peak = region.offset
            if self.debug:
                self._outstanding.append(view)
            return view

    def reset(self) -> None:
        """Free everything in the pool at once; earlier arrays must not be used."""
        with self._lock:
            self._count = 0
            self._resets += 1
            if self.debug:
                for view in self._outstanding:
                    view.flags.writeable = False
                self._outstanding = []
            if self._region is not None:
                self._region.reset()

    def stats(self) -> ScratchStats:
        """A snapshot of the pool's usage."""
        with self._lock:
            return ScratchStats(
                self.name, self.allocated, self._capacity, self._count, self._peak, self._resets
            )

    def close(self) -> None:
        """Release the pool's buffer; it can no longer allocate (its registry calls this when
        the pool is removed)."""
        with self._lock:
            self._removed = True
            self._outstanding = []
            self._region = None

    def __repr__(self) -> str:
        return f"<ScratchPool {self.name!r} {self.allocated}/{self._capacity}>"


class ScratchRegistry:
    """The allocator's named scratch pools (thread-safe).

    Args:
        reserve: Called with a pool's capacity before it is created; raises to refuse
            (the global memory limit).
        release: Called with a pool's capacity when it is removed.
        debug: Debug mode for new pools.
    """

    def __init__(
        self,
        reserve: Callable[[int], None],
        release: Callable[[int], None],
        *,
        debug: bool = False,
    ) -> None:
        self._reserve = reserve
        self._release = release
        self._debug = debug
        self._lock = threading.Lock()
        self._pools: dict[str, ScratchPool] = {}

    def pool(self, name: str, capacity: int | None = None) -> ScratchPool:
        """The pool called ``name``, created with ``capacity`` bytes (1 MiB) if missing.

        Raises:
            ValueError: ``capacity`` differs from an existing pool's, or is not positive.
            GlobalBudgetExceededError: (FA301) the pool would pass the global memory limit.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"scratch pool name must be a non-empty string, got {name!r}")
        with self._lock:
            pool = self._pools.get(name)
            if pool is not None:
                if capacity is not None and capacity != pool.capacity:
                    raise ValueError(
                        f"scratch pool {name!r} exists with capacity {pool.capacity}, not "
                        f"{capacity}; remove() it first to change its size"
                    )
                return pool
            size = DEFAULT_SCRATCH_CAPACITY if capacity is None else capacity
            if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
                raise ValueError(f"scratch pool capacity must be an int > 0, got {size!r}")
            self._reserve(size)
            try:
                pool = ScratchPool(name, size, debug=self._debug)
            except BaseException:
                self._release(size)
                raise
            self._pools[name] = pool
            return pool

    def get(self, name: str) -> ScratchPool | None:
        """The pool called ``name``, or ``None``."""
        with self._lock:
            return self._pools.get(name)

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._pools

    def __len__(self) -> int:
        with self._lock:
            return len(self._pools)

    def names(self) -> list[str]:
        """The pools' names, sorted."""
        with self._lock:
            return sorted(self._pools)

    def stats(self) -> list[ScratchStats]:
        """Usage of every pool, sorted by name."""
        with self._lock:
            pools = sorted(self._pools.values(), key=lambda p: p.name)
        return [p.stats() for p in pools]

    def total_allocated(self) -> int:
        """Bytes in use over every pool."""
        return sum(s.allocated for s in self.stats())

    def reset_all(self) -> None:
        """Reset every pool."""
        with self._lock:
            pools = list(self._pools.values())
        for pool in pools:
            pool.reset()

    def remove(self, name: str) -> bool:
        """Remove the pool called ``name`` and give its memory back; ``False`` if absent.

        The removed pool object raises FA401 on further allocation.
        """
        with self._lock:
            pool = self._pools.pop(name, None)
        if pool is None:
            return False
        pool.close()
        self._release(pool.capacity)
        return True
