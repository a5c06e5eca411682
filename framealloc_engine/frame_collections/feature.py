"""``frame_vec`` and ``frame_map``: bounded collections that live for one frame."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

import numpy as np

from framealloc_engine.errors import AllocationSizeError, FrameNotActiveError
from framealloc_engine.frame_collections import FrameMap, FrameVec, item_dtype

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore

__all__ = ["FrameCollectionsFeature"]


def _capacity(capacity: object) -> int:
    try:
        n = operator.index(capacity)  # type: ignore[arg-type]
    except TypeError:
        n = -1
    if n < 0:
        raise AllocationSizeError(
            f"collection capacity must be an int >= 0, got {capacity!r}",
            help="frame collections have a fixed capacity chosen when they are made",
        )
    return int(n)


class FrameCollectionsFeature:
    """Making :class:`FrameVec` and :class:`FrameMap` in the calling thread's frame.

    Args:
        core: The allocator whose frame arena holds the collections (through
            ``frame_alloc``, so installed observers see the arrays).
    """

    def __init__(self, core: AllocatorCore) -> None:
        self._frames = core

    def _require_frame(self, what: str) -> None:
        if not self._frames.frame_active:
            raise FrameNotActiveError(
                f"{what}() used outside an active frame",
                note="frame collections live until end_frame(); no frame is active on this thread",
            )

    def frame_vec(self, item_type: Any, capacity: int) -> FrameVec[Any]:
        """A vector of up to ``capacity`` items, valid until ``end_frame()``.

        Numpy-representable item types (``np.float32``, ``int``, structured dtypes) are
        stored in frame memory; other types (``object``, ``str``, classes) by reference::

            ids = alloc.frame_vec(np.uint32, 128)
            ids.push(7)

        Raises:
            FrameNotActiveError: (FA001) no frame is active on this thread.
            ArenaExhaustedError: (FA003) the arena has no room for the items.
            AllocationTypeError, AllocationSizeError: (FA004) a bad type or capacity.
        """
        n = _capacity(capacity)
        dtype = item_dtype(item_type)
        state = self._frames.current_state()
        if dtype is None:
            self._require_frame("frame_vec")
            return FrameVec(state, np.empty(n, dtype=object))
        return FrameVec(state, self._frames.frame_alloc(dtype, n))

    def frame_map(self, key_type: Any, value_type: Any, capacity: int) -> FrameMap[Any, Any]:
        """A hash map of up to ``capacity`` entries, valid until ``end_frame()``.

        Integer (or bool) keys with numpy-representable values live in frame arrays, with
        ``keys_view()``/``values_view()``; other types fall back to a bounded ``dict``::

            lookup = alloc.frame_map(np.int64, np.float32, 64)
            lookup[42] = 1.5

        Raises:
            FrameNotActiveError: (FA001) no frame is active on this thread.
            ArenaExhaustedError: (FA003) the arena has no room for the table.
            AllocationTypeError, AllocationSizeError: (FA004) a bad type or capacity.
        """
        n = _capacity(capacity)
        kdt = item_dtype(key_type)
        vdt = item_dtype(value_type)
        state = self._frames.current_state()
        if kdt is None or vdt is None or kdt.kind not in "iub" or kdt.shape:
            self._require_frame("frame_map")
            return FrameMap(state, n)
        frames = self._frames
        keys = frames.frame_alloc(kdt, n)
        values = frames.frame_alloc(vdt, n)
        index = frames.frame_alloc(np.int32 if n < 2**30 else np.int64, FrameMap.index_size(n))
        return FrameMap(state, n, keys, values, index)
