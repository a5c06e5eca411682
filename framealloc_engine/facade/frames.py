"""Frame allocation: the frame lifecycle, arena allocation and frame boxes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from operator import attrgetter
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from framealloc_engine.boxes import FrameBox, as_storable_array
from framealloc_engine.errors import FrameNotActiveError
from framealloc_engine.facade.base import FacadeBase
from framealloc_engine.layout import DTypeSpec, ShapeSpec

__all__ = ["FrameApi"]

T = TypeVar("T")


class FrameApi(FacadeBase):
    """``begin_frame``/``end_frame`` and everything allocated in between."""

    def begin_frame(self) -> None:
        """Begin a frame on the calling thread; applies deferred frees queued for it.

        Raises:
            FrameStateError: (FA001) a frame is already active on this thread.
        """
        tls = self._tls
        state = tls.state
        state.begin_frame()
        pools = tls.pools
        if pools.deferred:
            pools.drain_at_frame_begin()
        if self._observers:
            for observer in self._observers:
                observer.on_frame_begin(state)

    def end_frame(self) -> None:
        """End the calling thread's frame: every frame allocation is freed at once.

        Raises:
            FrameStateError: (FA001) no frame is active on this thread.
        """
        state = self._tls.state
        if self._frame_end_hooks and state.arena.active:
            for hook in self._frame_end_hooks:
                hook(state)
        self._note_peak()
        count, nbytes = state.end_frame()
        if state.pools.deferred:
            state.pools.drain_at_frame_end()
        if self._observers:
            for observer in self._observers:
                observer.on_frame_end(state, count, nbytes)

    @contextmanager
    def frame_scope(self) -> Iterator[None]:
        """``begin_frame()`` on entry and ``end_frame()`` on exit (even on error)."""
        self.begin_frame()
        try:
            yield
        finally:
            self.end_frame()

    @property
    def frame_active(self) -> bool:
        """Whether the calling thread has a frame open."""
        return self._tls.arena.active

    @property
    def frame_number(self) -> int:
        """Frames begun on the calling thread (the current frame's number while active)."""
        return self._tls.state.frame_number

    if TYPE_CHECKING:

        def frame_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray:
            """An uninitialised array in the calling thread's frame arena."""

        def try_frame_alloc(self, dtype: DTypeSpec, shape: ShapeSpec = ()) -> np.ndarray | None:
            """Like frame_alloc, but None when the arena is full."""

    else:
        # One Python frame per call: the property fetches the thread's bound arena method
        # in C (see PerThread).
        frame_alloc = property(
            attrgetter("_tls.frame_alloc"),
            doc="""frame_alloc(dtype, shape=()) -> an uninitialised array in the calling
            thread's frame arena, valid until ``end_frame()``.

            Example::

                verts = alloc.frame_alloc(Vertex, 4096)

            Raises:
                FrameNotActiveError: (FA001) no frame is active on this thread.
                ArenaExhaustedError: (FA003) the arena is full.
                AllocationTypeError, AllocationSizeError: (FA004) a bad dtype or shape.
            """,
        )
        try_frame_alloc = property(
            attrgetter("_tls.try_frame_alloc"),
            doc="""try_frame_alloc(dtype, shape=()) -> like ``frame_alloc`` but ``None`` when
            the arena is full (still FA001 with no active frame).""",
        )

    def frame_slice(self, dtype: DTypeSpec, n: int) -> np.ndarray:
        """A zero-filled 1-D frame array of ``n`` items."""
        array: np.ndarray = self._tls.frame_alloc(dtype, n)
        array.fill(0)
        return array

    def frame_box(self, value: T) -> FrameBox[T]:
        """Box ``value`` for the rest of this frame (see :class:`FrameBox`).

        Raises:
            FrameNotActiveError: (FA001) no frame is active on this thread.
        """
        tls = self._tls
        stored = as_storable_array(value)
        if stored is None:
            if not tls.arena.active:
                raise FrameNotActiveError(
                    "frame_box() used outside an active frame",
                    note="frame boxes live until end_frame(); no frame is active on this thread",
                )
            tls.state.frame_objects.append(value)
            return FrameBox(tls.state, None, value)
        array = tls.frame_alloc(stored.dtype, stored.shape)
        array[...] = stored
        return FrameBox(tls.state, array)

    def frame_remaining(self) -> int:
        """Bytes left in the calling thread's arena this frame."""
        arena = self._tls.arena
        return arena.capacity - arena.offset

