"""The slab registry: the global source of pool pages, behind one lock.

Each size class owns pages of ``slab_page_size`` bytes cut into equal blocks. Threads take a
whole page's blocks at a time (a refill), so the lock is touched once per page, never per
allocation. Blocks freed on behalf of a thread that has exited come back here as orphans and
are handed out again before any new page is reserved.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from framealloc_engine.allocators import backend
from framealloc_engine.allocators.buffer import data_address

if TYPE_CHECKING:
    from framealloc_engine.allocators.backend import Backend
    from framealloc_engine.allocators.pool import DeferredPolicy

__all__ = ["Block", "SlabRegistry"]


class Block:
    """One pool block: where it lives and the view last built over it.

    ``owner`` is the thread pool that hands the block out; ``layout`` and ``view`` cache the
    last array built over the block so a repeat request of the same layout reuses it.
    """

    __slots__ = (
        "class_index", "flat", "layout", "offset", "owner", "page", "site", "size", "view",
    )  # fmt: skip

    def __init__(self, page: np.ndarray, offset: int, size: int, class_index: int) -> None:
        self.page = page
        self.offset = offset
        self.size = size
        self.class_index = class_index
        self.owner: Any = None
        self.layout: object = None
        #: The last array built over the block, and the 1-d array it reshapes (the same
        #: object for a 1-d array): what proves nothing references the block any more.
        self.view: np.ndarray | None = None
        self.flat: np.ndarray | None = None
        #: Debug mode: the allocation's stack.
        self.site: list[Any] | None = None

    def memory(self) -> memoryview:
        """The block's bytes as a writable ``memoryview``."""
        return self.page.data[self.offset : self.offset + self.size]


class SlabRegistry:
    """Pages per size class, shared by every thread.

    Args:
        size_classes: Block sizes, increasing.
        page_size: Bytes per page.
        pages_per_class: Pages reserved for each class up front.
        reserve: Called with a byte count before any page is created; raises to refuse
            (the global memory limit).
        parts: The backend making pages and blocks (the default backend when omitted).
    """

    def __init__(
        self,
        size_classes: tuple[int, ...],
        page_size: int,
        pages_per_class: int,
        reserve: Callable[[int], None],
        parts: Backend | None = None,
    ) -> None:
        self.parts = parts if parts is not None else backend.DEFAULT
        self.size_classes = size_classes
        self.page_size = page_size
        self._reserve = reserve
        self._lock = threading.Lock()
        self._spare: list[list[list[Block]]] = [[] for _ in size_classes]
        self._orphans: list[list[Block]] = [[] for _ in size_classes]
        self._page_starts: list[int] = []
        self._page_ends: list[int] = []
        self.pages_created = 0
        self.refills = 0
        #: Deferred-free policy shared by every thread's pools (None: unbounded, drained at
        #: frame begin); see ``SmartAlloc.set_deferred_config``.
        self.deferred_control: DeferredPolicy | None = None
        for class_index in range(len(size_classes)):
            for _ in range(pages_per_class):
                self._spare[class_index].append(self._new_page(class_index))

    def _new_page(self, class_index: int) -> list[Block]:
        size = self.size_classes[class_index]
        self._reserve(self.page_size)
        page = self.parts.new_page(self.page_size)
        start = data_address(page)
        i = bisect.bisect_left(self._page_starts, start)
        self._page_starts.insert(i, start)
        self._page_ends.insert(i, start + self.page_size)
        self.pages_created += 1
        # Reverse order so list.pop() hands out ascending addresses.
        new_block = self.parts.new_block
        return [
            new_block(page, off, size, class_index)
            for off in range(self.page_size - size - (self.page_size % size), -1, -size)
        ]

    def refill(self, class_index: int) -> list[Block]:
        """Blocks for one refill of ``class_index``: orphans first, else a whole page."""
        with self._lock:
            self.refills += 1
            orphans = self._orphans[class_index]
            if orphans:
                self._orphans[class_index] = []
                return orphans
            spare = self._spare[class_index]
            if spare:
                return spare.pop()
            return self._new_page(class_index)

    def give_back(self, blocks: list[Block]) -> None:
        """Return blocks whose owning thread has gone; they are handed out again."""
        with self._lock:
            for block in blocks:
                block.owner = None
                self._orphans[block.class_index].append(block)

    def contains_address(self, address: int) -> bool:
        """Whether ``address`` lies in any page of this registry."""
        i = bisect.bisect_right(self._page_starts, address) - 1
        return i >= 0 and address < self._page_ends[i]
