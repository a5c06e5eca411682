"""The allocator's part of lifecycle tracking: enabling it and reading its statistics.

Other features that report lifecycle events (deferred frees, transfers, thread budgets) call
:meth:`LifecycleFeature.subscribe` once: they are told the active manager whenever tracking
is switched on or off, so this feature needs to know none of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from framealloc_engine.lifecycle.events import FrameEventCallback
from framealloc_engine.lifecycle.manager import LifecycleManager, ThreadFrameStats

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore

__all__ = ["LifecycleFeature", "LifecycleListener"]

#: Told the active manager (``None`` while tracking is off).
LifecycleListener = Callable[[LifecycleManager | None], None]


class LifecycleFeature:
    """``enable_lifecycle_tracking``, ``on_frame_event`` and ``thread_frame_stats``.

    Args:
        core: The allocator the manager observes.
    """

    def __init__(self, core: AllocatorCore) -> None:
        self._core = core
        self._manager: LifecycleManager | None = None
        self._enabled = False
        self._listeners: list[LifecycleListener] = []

    def subscribe(self, listener: LifecycleListener) -> None:
        """Tell ``listener`` the active manager now and whenever tracking switches."""
        self._listeners.append(listener)
        listener(self.active)

    @property
    def active(self) -> LifecycleManager | None:
        """The manager while tracking is on, else ``None``."""
        return self._manager if self._enabled else None

    def _announce(self) -> None:
        active = self.active
        for listener in self._listeners:
            listener(active)

    def enable_lifecycle_tracking(self, *, per_allocation: bool = True) -> LifecycleManager:
        """Start delivering :class:`~framealloc_engine.lifecycle.events.FrameEvent` s.

        Args:
            per_allocation: Also deliver ``Alloc``/``Free`` events (statistics are kept
                either way).

        Returns:
            The lifecycle manager (statistics survive disabling and re-enabling).
        """
        manager = self._manager
        if manager is None:
            manager = self._manager = LifecycleManager(per_allocation=per_allocation)
        manager.per_allocation = per_allocation
        self._enabled = True
        self._announce()
        self._core.add_observer(manager)
        return manager

    def disable_lifecycle_tracking(self) -> None:
        """Stop tracking; the allocator is back to zero cost. Callbacks stay registered."""
        manager = self._manager
        if manager is None or not self._enabled:
            return
        self._enabled = False
        self._core.remove_observer(manager)
        self._announce()

    @property
    def lifecycle_tracking(self) -> bool:
        """Whether lifecycle tracking is on."""
        return self._enabled

    @property
    def lifecycle(self) -> LifecycleManager | None:
        """The lifecycle manager (``None`` until tracking was first enabled)."""
        return self._manager

    def on_frame_event(self, callback: FrameEventCallback) -> FrameEventCallback:
        """Register ``callback`` for frame events (returned: usable as a decorator).

        Registering does not enable tracking; call :meth:`enable_lifecycle_tracking`.
        """
        manager = self._manager
        if manager is None:
            manager = self._manager = LifecycleManager()
        return manager.on_event(callback)

    def remove_frame_event_callback(self, callback: FrameEventCallback) -> bool:
        """Unregister ``callback``; returns whether it was registered."""
        manager = self._manager
        return manager is not None and manager.remove_callback(callback)

    def thread_frame_stats(
        self, thread_id: int | threading.Thread | None = None
    ) -> ThreadFrameStats | None:
        """Lifecycle statistics of a thread (default: the calling one), or ``None`` if
        tracking never saw it."""
        manager = self._manager
        if manager is None:
            return None
        if thread_id is None:
            return manager.thread_stats(threading.current_thread())
        return manager.thread_stats(thread_id)
