"""Pool and heap allocation: blocks that live until freed."""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from framealloc_engine.boxes import HeapBox, PoolBox, as_storable_array
from framealloc_engine.facade.base import FacadeBase
from framealloc_engine.layout import DTypeSpec, ShapeSpec

__all__ = ["BlockApi"]

T = TypeVar("T")


class BlockApi(FacadeBase):
    """``pool_*`` and ``heap_*``: explicit-lifetime allocations."""

    if TYPE_CHECKING:

        def pool_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
            """An uninitialised array in a pool block of the calling thread."""

        def pool_free(self, array: np.ndarray) -> int:
            """Free a pool array; returns the block size."""

    else:
        # One Python frame per call: the property fetches the thread's bound pool method in
        # C (see PerThread).
        pool_alloc = property(
            attrgetter("_tls.pool_alloc"),
            doc="""pool_alloc(dtype, shape=()) -> an uninitialised array in a pool block of
            the calling thread (no lock on a hit). Free it with ``pool_free`` from any thread.

            Raises:
                AllocationSizeError: (FA004) larger than the largest size class: use the heap.
            """,
        )
        pool_free = property(
            attrgetter("_tls.pool_free"),
            doc="""pool_free(array) -> free a pool array (returns the block size). From another
            thread the free is deferred to the owner.

            Raises:
                DoubleFreeError: (FA401) freed twice.
                InvalidFreeError: (FA401) not an array from pool_alloc().
            """,
        )

    def heap_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        """An uninitialised array on the shared heap (for large blocks); takes a lock."""
        if self._observers:
            observed: np.ndarray = self._observed_heap_alloc(dtype, shape)
            return observed
        return self._heap_alloc_plain(dtype, shape)

    def _heap_alloc_plain(self, dtype: DTypeSpec, shape: ShapeSpec) -> np.ndarray:
        array, size = self._heap.alloc(dtype, shape)
        state = self._tls.state
        state.heap_allocs += 1
        state.heap_bytes += size
        self._note_peak()
        return array

    def heap_free(self, array: np.ndarray) -> None:
        """Free a heap array (from any thread).

        Raises:
            DoubleFreeError: (FA401) freed twice.
            InvalidFreeError: (FA401) not an array from heap_alloc().
        """
        if self._observers:
            self._observed_heap_free(array)
        else:
            self._heap_free_sized(array)

    def _heap_free_sized(self, array: np.ndarray) -> int:
        size = self._heap.free(array)
        state = self._tls.state
        state.heap_frees += 1
        state.heap_bytes_freed += size
        return size

    def pool_box(self, value: T) -> PoolBox[T]:
        """Box ``value`` in a pool block, freed on ``close()``/``with`` exit/collection."""
        stored = as_storable_array(value)
        if stored is None:
            return PoolBox(None, None, value)
        array = self.pool_alloc(stored.dtype, stored.shape)
        array[...] = stored
        return PoolBox(array, self.pool_free)

    def heap_box(self, value: T) -> HeapBox[T]:
        """Box ``value`` in a heap block, freed on ``close()``/``with`` exit/collection."""
        stored = as_storable_array(value)
        if stored is None:
            return HeapBox(None, None, value)
        array = self.heap_alloc(stored.dtype, stored.shape)
        array[...] = stored
        return HeapBox(array, self.heap_free)
