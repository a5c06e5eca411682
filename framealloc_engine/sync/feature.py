"""The allocator's part of cross-thread work: deferred-free control and transfer handles.

Example::

    alloc.set_deferred_config(DeferredConfig.bounded(1024))
    handle = alloc.frame_box_for_transfer(np.arange(4.0))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from framealloc_engine.core.boxes import as_storable_array
from framealloc_engine.sync.deferred import DeferredConfig, DeferredProcessing, DeferredStats
from framealloc_engine.sync.deferred_control import DeferredControl
from framealloc_engine.sync.transfer import TransferHandle, TransferRegistry, TransferStats

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore
    from framealloc_engine.lifecycle.feature import LifecycleFeature
    from framealloc_engine.lifecycle.manager import LifecycleManager

__all__ = ["DeferredFeature", "TransferFeature"]

T = TypeVar("T")


class DeferredFeature:
    """``set_deferred_config``, ``set_deferred_processing`` and ``deferred_stats``.

    Args:
        core: The allocator whose pools follow the configuration.
        lifecycle: Told of cross-thread frees, drains and overflows while tracking is on.
    """

    def __init__(self, core: AllocatorCore, lifecycle: LifecycleFeature) -> None:
        self._core = core
        self._control: DeferredControl | None = None
        self._listener: LifecycleManager | None = None
        lifecycle.subscribe(self._set_lifecycle)

    def _set_lifecycle(self, manager: LifecycleManager | None) -> None:
        self._listener = manager
        if manager is not None:
            # Cross-thread frees are reported by the control; the default one behaves
            # exactly like none (unbounded, drained at frame begin).
            self._installed()
        if self._control is not None:
            self._control.listener = manager

    def _installed(self) -> DeferredControl:
        control = self._control
        if control is None:
            control = self._control = DeferredControl(DeferredConfig())
            control.listener = self._listener
            self._core.set_deferred_policy(control)
        return control

    @property
    def deferred_config(self) -> DeferredConfig:
        """The current deferred-free configuration."""
        control = self._control
        return DeferredConfig() if control is None else control.config

    def set_deferred_config(self, config: DeferredConfig) -> None:
        """Apply ``config`` to every thread, now and later.

        Queues already longer than a new capacity keep their frees; the bound applies to new
        ones.
        """
        if not isinstance(config, DeferredConfig):
            raise TypeError(f"config must be a DeferredConfig, got {config!r}")
        control = self._installed()
        was_incremental = control.incremental
        control.config = config
        if control.incremental and not was_incremental:
            self._core.add_observer(control)
        elif was_incremental and not control.incremental:
            self._core.remove_observer(control)

    def set_deferred_processing(
        self, mode: DeferredProcessing, per_alloc: int | None = None
    ) -> None:
        """Switch when queued frees are applied, keeping capacity and policy.

        Args:
            mode: The processing mode.
            per_alloc: Frees per pool allocation for ``INCREMENTAL`` (kept if omitted).
        """
        config = self.deferred_config.with_mode(mode)
        if per_alloc is not None:
            config = DeferredConfig(config.mode, config.capacity, config.on_full, per_alloc)
        self.set_deferred_config(config)

    def deferred_stats(self) -> DeferredStats:
        """Allocator-wide deferred-free counters (zeros until a control is installed)."""
        self._core.reclaim_dead_threads()  # an exited owner's queue is applied, not pending
        pending = 0
        for state in self._core.thread_states(retired=False):
            pending += len(state.pools.deferred)
        control = self._control
        if control is None:
            return DeferredStats(0, 0, pending, 0, 0, 0, 0, 0, 0)
        return DeferredStats(
            queued=control.queued,
            processed=control.processed,
            pending=pending,
            peak_depth=control.peak_depth,
            full_events=control.full_events,
            processed_immediately=control.processed_immediately,
            dropped_to_overflow=control.dropped_to_overflow,
            overflow_pending=0,
            failed=control.failed,
        )


class TransferFeature:
    """``frame_box_for_transfer`` and ``transfer_stats``.

    Args:
        core: The allocator whose heap holds captured values.
        lifecycle: Told of transfers while tracking is on.
    """

    def __init__(self, core: AllocatorCore, lifecycle: LifecycleFeature) -> None:
        self._core = core
        self._registry = TransferRegistry(debug=core.config.debug)
        lifecycle.subscribe(self._set_lifecycle)

    def _set_lifecycle(self, manager: LifecycleManager | None) -> None:
        self._registry.lifecycle = manager

    def frame_box_for_transfer(self, value: T) -> TransferHandle[T]:
        """Capture ``value`` for exactly one receiving thread.

        Numpy-representable values are copied once into a buffer the handle owns (never the
        sender's arena, which its ``end_frame`` resets); other objects are held by reference.
        Send the handle to another thread and call ``receive()`` there::

            handle = alloc.frame_box_for_transfer(np.arange(4.0))
            work_queue.put(handle.send())
            # on the worker: values = work_queue.get().receive()
        """
        return self._registry.create(self._core, value, as_storable_array(value))

    def transfer_stats(self) -> TransferStats:
        """Counters of every transfer made through this allocator."""
        return self._registry.stats()
