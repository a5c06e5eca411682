"""Frame lifecycle tracking on the allocator (see :mod:`framealloc_engine.lifecycle`)."""

from __future__ import annotations

import threading

from framealloc_engine.facade.extensions import ExtensionBase
from framealloc_engine.lifecycle import FrameEventCallback, LifecycleManager, ThreadFrameStats

__all__ = ["LifecycleApi"]


class LifecycleApi(ExtensionBase):
    """``enable_lifecycle_tracking``, ``on_frame_event`` and ``thread_frame_stats``."""

    def enable_lifecycle_tracking(self, *, per_allocation: bool = True) -> LifecycleManager:
        """Start delivering :class:`~framealloc_engine.lifecycle.FrameEvent` s.

        Args:
            per_allocation: Also deliver ``Alloc``/``Free`` events (statistics are kept
                either way).

        Returns:
            The lifecycle manager (statistics survive disabling and re-enabling).
        """
        manager = self._lifecycle
        if manager is None:
            manager = self._lifecycle = LifecycleManager(per_allocation=per_allocation)
        manager.per_allocation = per_allocation
        self._lifecycle_enabled = True
        self._wire_lifecycle(manager)
        self.add_observer(manager)
        return manager

    def disable_lifecycle_tracking(self) -> None:
        """Stop tracking; the allocator is back to zero cost. Callbacks stay registered."""
        manager = self._lifecycle
        if manager is None or not self._lifecycle_enabled:
            return
        self._lifecycle_enabled = False
        self.remove_observer(manager)
        self._wire_lifecycle(None)

    def _wire_lifecycle(self, manager: LifecycleManager | None) -> None:
        control = self._slabs.deferred_control
        if manager is not None and control is None:
            from framealloc_engine.allocators.deferred_queue import DeferredControl
            from framealloc_engine.deferred import DeferredConfig

            # Cross-thread frees are reported by the deferred control; the default one
            # behaves exactly like no control (unbounded, drained at frame begin).
            control = self._slabs.deferred_control = DeferredControl(DeferredConfig())
        if control is not None:
            control.listener = manager
        if self._thread_budgets is not None:
            self._thread_budgets.lifecycle = manager
        if self._transfers is not None:
            self._transfers.lifecycle = manager

    @property
    def lifecycle_tracking(self) -> bool:
        """Whether lifecycle tracking is on."""
        return self._lifecycle_enabled

    @property
    def lifecycle(self) -> LifecycleManager | None:
        """The lifecycle manager (``None`` until tracking was first enabled)."""
        return self._lifecycle

    def on_frame_event(self, callback: FrameEventCallback) -> FrameEventCallback:
        """Register ``callback`` for frame events (returned: usable as a decorator).

        Registering does not enable tracking; call :meth:`enable_lifecycle_tracking`.
        """
        manager = self._lifecycle
        if manager is None:
            manager = self._lifecycle = LifecycleManager()
        return manager.on_event(callback)

    def remove_frame_event_callback(self, callback: FrameEventCallback) -> bool:
        """Unregister ``callback``; returns whether it was registered."""
        manager = self._lifecycle
        return manager is not None and manager.remove_callback(callback)

    def thread_frame_stats(
        self, thread_id: int | threading.Thread | None = None
    ) -> ThreadFrameStats | None:
        """Lifecycle statistics of a thread (default: the calling one), or ``None`` if
        tracking never saw it."""
        manager = self._lifecycle
        if manager is None:
            return None
        if thread_id is None:
            tid = threading.get_ident()
        elif isinstance(thread_id, threading.Thread):
            tid = thread_id.ident or 0
        else:
            tid = thread_id
        return manager.thread_stats(tid)
