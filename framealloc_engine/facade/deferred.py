"""Deferred-free control on the allocator (see :mod:`framealloc_engine.deferred`)."""

from __future__ import annotations

from framealloc_engine.allocators.deferred_queue import DeferredControl
from framealloc_engine.deferred import DeferredConfig, DeferredProcessing, DeferredStats
from framealloc_engine.facade.extensions import ExtensionBase

__all__ = ["DeferredApi"]


class DeferredApi(ExtensionBase):
    """``set_deferred_config``, ``set_deferred_processing`` and ``deferred_stats``."""

    def _deferred_control(self) -> DeferredControl:
        control = self._slabs.deferred_control
        if control is None:
            control = DeferredControl(DeferredConfig())
            control.listener = self._lifecycle if self._lifecycle_enabled else None
            self._slabs.deferred_control = control
        return control

    @property
    def deferred_config(self) -> DeferredConfig:
        """The current deferred-free configuration."""
        control = self._slabs.deferred_control
        return DeferredConfig() if control is None else control.config

    def set_deferred_config(self, config: DeferredConfig) -> None:
        """Apply ``config`` to every thread, now and later.

        Queues already longer than a new capacity keep their frees; the bound applies to new
        ones.
        """
        if not isinstance(config, DeferredConfig):
            raise TypeError(f"config must be a DeferredConfig, got {config!r}")
        control = self._deferred_control()
        was_incremental = control.incremental
        control.config = config
        if control.incremental and not was_incremental:
            self.add_observer(control)
        elif was_incremental and not control.incremental:
            self.remove_observer(control)

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
        pending = 0
        overflow = 0
        for state in self._thread_states(retired=False):
            pools = state.pools
            pending += len(pools.deferred) + len(pools.overflow)
            overflow += len(pools.overflow)
        control = self._slabs.deferred_control
        if control is None:
            return DeferredStats(0, 0, pending, 0, 0, 0, 0, overflow, 0)
        return DeferredStats(
            queued=control.queued,
            processed=control.processed,
            pending=pending,
            peak_depth=control.peak_depth,
            full_events=control.full_events,
            processed_immediately=control.processed_immediately,
            dropped_to_overflow=control.dropped_to_overflow,
            overflow_pending=overflow,
            failed=control.failed,
        )
