"""``AllocResource``: the allocator as seen by systems (``alloc: AllocResource``).

A thin facade over one shared :class:`~framealloc_engine.smart.SmartAlloc`. Every method
acts on the *calling* thread's state, so the same object is used from any worker thread; the
executor has begun the frame of every thread before it runs a system there. The frame
lifecycle (``begin_frame``/``end_frame``) belongs to ``SmartAllocPlugin`` and is not exposed
here; any other ``SmartAlloc`` method is reachable by attribute delegation, and the
allocator itself is :attr:`AllocResource.alloc`.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from framealloc_engine.boxes import FrameBox, HeapBox, PoolBox
from framealloc_engine.layout import DTypeSpec, ShapeSpec
from framealloc_engine.smart import SmartAlloc
from framealloc_engine.stats import AllocStats

__all__ = ["AllocResource"]

T = TypeVar("T")

_LIFECYCLE = frozenset(
    {
        "begin_frame",
        "end_frame",
        "frame_scope",
        "end_frame_with_promotions",
        "end_frame_with_summary",
    }
)


class AllocResource:
    """The allocator resource inserted by ``SmartAllocPlugin``.

    Args:
        alloc: The shared allocator.

    Example::

        def build_mesh(alloc: AllocResource) -> None:
            verts = alloc.frame_alloc(np.float32, (4096, 3))  # freed at frame end
    """

    __slots__ = ("_alloc",)

    def __init__(self, alloc: SmartAlloc) -> None:
        self._alloc = alloc

    @property
    def alloc(self) -> SmartAlloc:
        """The underlying allocator (its frame lifecycle belongs to the plugin)."""
        return self._alloc

    # --- frame memory -----------------------------------------------------------------------

    def frame_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        """An uninitialised array in the calling thread's arena, valid until frame end."""
        return self._alloc.frame_alloc(dtype, shape)

    def try_frame_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray | None:
        """Like :meth:`frame_alloc`, but None when the arena is full."""
        return self._alloc.try_frame_alloc(dtype, shape)

    def frame_slice(self, dtype: DTypeSpec, n: int) -> np.ndarray:
        """A zero-filled 1-D frame array of ``n`` items."""
        return self._alloc.frame_slice(dtype, n)

    def frame_box(self, value: T) -> FrameBox[T]:
        """Box ``value`` until the end of this frame."""
        return self._alloc.frame_box(value)

    def frame_remaining(self) -> int:
        """Bytes left in the calling thread's arena this frame."""
        return self._alloc.frame_remaining()

    @property
    def frame_active(self) -> bool:
        """Whether the calling thread has a frame open."""
        return self._alloc.frame_active

    @property
    def frame_number(self) -> int:
        """Frames begun on the calling thread."""
        return self._alloc.frame_number

    # --- pool and heap ----------------------------------------------------------------------

    def pool_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        """A small block that lives until :meth:`pool_free`."""
        return self._alloc.pool_alloc(dtype, shape)

    def pool_free(self, array: np.ndarray) -> None:
        """Free a pool block (from any thread)."""
        self._alloc.pool_free(array)

    def heap_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
        """A large block that lives until :meth:`heap_free`."""
        return self._alloc.heap_alloc(dtype, shape)

    def heap_free(self, array: np.ndarray) -> None:
        """Free a heap block."""
        self._alloc.heap_free(array)

    def pool_box(self, value: T) -> PoolBox[T]:
        """Box ``value`` in pool memory until closed."""
        return self._alloc.pool_box(value)

    def heap_box(self, value: T) -> HeapBox[T]:
        """Box ``value`` in heap memory until closed."""
        return self._alloc.heap_box(value)

    def stats(self) -> AllocStats:
        """Allocator-wide statistics."""
        return self._alloc.stats()

    def __getattr__(self, name: str) -> Any:
        if name in _LIFECYCLE:
            raise AttributeError(
                f"AllocResource.{name}() is not available: SmartAllocPlugin begins and ends "
                "every thread's frame; use AllocResource.alloc for manual control"
            )
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._alloc, name)

    def __repr__(self) -> str:
        return f"AllocResource({self._alloc!r})"
