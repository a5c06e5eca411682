"""``frame_box_for_transfer``: explicit cross-thread hand-over (see
:mod:`framealloc_engine.sync.transfer`)."""

from __future__ import annotations

from typing import TypeVar

from framealloc_engine.boxes import as_storable_array
from framealloc_engine.facade.extensions import ExtensionBase
from framealloc_engine.facade.frames import FrameApi
from framealloc_engine.sync.transfer import TransferHandle, TransferRegistry, TransferStats

__all__ = ["TransferApi"]

T = TypeVar("T")


class TransferApi(FrameApi, ExtensionBase):
    """Transfer handles and their statistics."""

    def _transfer_registry(self) -> TransferRegistry:
        registry = self._transfers
        if registry is None:
            registry = TransferRegistry(debug=self.config.debug)
            registry.lifecycle = self._lifecycle if self._lifecycle_enabled else None
            self._transfers = registry
        return registry

    def frame_box_for_transfer(self, value: T) -> TransferHandle[T]:
        """Capture ``value`` for exactly one receiving thread.

        Numpy-representable values are copied once into a buffer the handle owns (never the
        sender's arena, which its ``end_frame`` resets); other objects are held by reference.
        Send the handle to another thread and call ``receive()`` there::

            handle = alloc.frame_box_for_transfer(np.arange(4.0))
            work_queue.put(handle.send())
            # on the worker: values = work_queue.get().receive()
        """
        return self._transfer_registry().create(self, value, as_storable_array(value))

    def transfer_stats(self) -> TransferStats:
        """Counters of every transfer made through this allocator."""
        return self._transfer_registry().stats()
