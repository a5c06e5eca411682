"""Memory the allocator reserves from the system, checked against the global limit."""

from __future__ import annotations

import threading

from framealloc_engine.errors import GlobalBudgetExceededError

__all__ = ["Reservations"]


class Reservations:
    """Counts bytes reserved from the system (arenas, slab pages, heap regions).

    Args:
        limit: Refuse reservations past this many bytes; 0 means no limit.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self.reserved = 0
        self.peak_reserved = 0

    def reserve(self, nbytes: int) -> None:
        """Account for ``nbytes`` more, or raise FA301 if that passes the limit."""
        with self._lock:
            total = self.reserved + nbytes
            if self.limit and total > self.limit:
                raise GlobalBudgetExceededError(
                    f"global memory limit exceeded: reserving {nbytes} bytes would bring the "
                    f"allocator to {total} of {self.limit} bytes",
                    note=f"{self.reserved} bytes are reserved (frame arenas, slab pages, heap "
                    "regions)",
                )
            self.reserved = total
            if total > self.peak_reserved:
                self.peak_reserved = total

    def release(self, nbytes: int) -> None:
        """Give ``nbytes`` back."""
        with self._lock:
            self.reserved -= nbytes
