"""The runtime side of :mod:`framealloc_engine.sync.deferred`: bounded deferred-free queues.

A :class:`DeferredControl` is shared by every thread's pools of one allocator. With no
control installed (``LocalPools.control is None``) the pools keep their original behaviour:
an unbounded queue drained at ``begin_frame`` and on a pool miss. Every method here runs on a
cross-thread free or a drain, never on the pool hit path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from framealloc_engine.diagnostics import fa_emit
from framealloc_engine.sync.deferred import (
    DeferredConfig,
    DeferredProcessing,
    DeferredQueueFullError,
    QueueFullPolicy,
)

if TYPE_CHECKING:
    import numpy as np

    from framealloc_engine.allocators.pool import LocalPools
    from framealloc_engine.allocators.slab import Block
    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["DeferredControl", "DeferredListener"]

_log = logging.getLogger("framealloc")


class DeferredListener(Protocol):
    """Receives deferred-free events (the lifecycle manager implements it)."""

    def cross_thread_free_queued(self, from_thread: int, to_thread: int, size: int) -> None:
        """A free was queued for ``to_thread`` by ``from_thread``."""

    def deferred_processed(self, thread_id: int, count: int, nbytes: int) -> None:
        """``thread_id`` applied ``count`` queued frees of ``nbytes`` bytes."""

    def deferred_overflow(
        self, owner_thread: int, from_thread: int, moved: int, pending: int
    ) -> None:
        """A full queue dropped its oldest free to the slab registry (``DROP_OLDEST``)."""


class DeferredControl:
    """Queue bounds, policies, processing mode and counters for one allocator.

    Args:
        config: The deferred configuration.
    """

    def __init__(self, config: DeferredConfig) -> None:
        self.config = config
        self.listener: DeferredListener | None = None
        self._lock = threading.Lock()
        self.queued = 0
        self.processed = 0
        self.peak_depth = 0
        self.full_events = 0
        self.processed_immediately = 0
        self.dropped_to_overflow = 0
        self.failed = 0

    # --- the freeing thread -----------------------------------------------------------------

    def enqueue(
        self, owner: LocalPools, block: Block, sender: int, release: Callable[[], None]
    ) -> None:
        """Queue ``block`` for ``owner`` under the configured bound and policy.

        ``release`` finishes the free on the sender's side (counts it, poisons in debug
        mode); it runs only once the free is admitted, before the block is published.

        Raises:
            DeferredQueueFullError: (FA204) the queue is full and the policy is ``FAIL``;
                nothing was changed.
        """
        config = self.config
        queue = owner.deferred
        moved = 0
        orphaned: list[Block] = []
        with self._lock:
            capacity = config.capacity
            if capacity and len(queue) >= capacity:
                self.full_events += 1
                policy = config.on_full
                if policy is QueueFullPolicy.FAIL:
                    self.failed += 1
                    raise DeferredQueueFullError(
                        f"deferred-free queue of thread {owner.thread_id} is full "
                        f"({len(queue)} of {capacity})",
                        note=f"a {block.size}-byte pool block freed on thread {sender} was "
                        "not freed; the array is still live",
                    )
                release()
                if policy is QueueFullPolicy.DROP_OLDEST:
                    # The queue's bound holds: its oldest free leaves it for the slab
                    # registry (the shared free blocks), so nothing is lost either.
                    try:
                        oldest = queue.popleft()
                    except IndexError:  # the owner drained it meanwhile
                        pass
                    else:
                        orphaned.append(oldest)
                        self.dropped_to_overflow += 1
                        moved = self.dropped_to_overflow
                    queue.append(block)
                elif policy is QueueFullPolicy.PROCESS_IMMEDIATELY:
                    while True:
                        try:
                            orphaned.append(queue.popleft())
                        except IndexError:
                            break
                    orphaned.append(block)
                    self.processed_immediately += len(orphaned)
                else:
                    queue.append(block)
            else:
                release()
                queue.append(block)
            self.queued += 1
            depth = len(queue)
            if depth > self.peak_depth:
                self.peak_depth = depth
        if orphaned:
            owner.give_back_orphans(orphaned)
        listener = self.listener
        if listener is not None:
            listener.cross_thread_free_queued(sender, owner.thread_id, block.size)
            if moved:
                listener.deferred_overflow(owner.thread_id, sender, 1, depth)
        if moved == 1:  # through fa_emit, so strict mode sees it; once per allocator
            fa_emit(
                "FA204",
                f"deferred-free queue of thread {owner.thread_id} is full (capacity "
                f"{config.capacity}): its oldest free went to the slab registry",
                note="DROP_OLDEST keeps the owner's queue bounded; the dropped block is "
                "reused by whichever thread refills that size class next (reported once)",
            )

    # --- the owning thread ------------------------------------------------------------------

    def note_processed(self, owner: LocalPools, count: int, nbytes: int) -> None:
        """Count ``count`` applied frees and report them."""
        with self._lock:
            self.processed += count
        listener = self.listener
        if listener is not None:
            listener.deferred_processed(owner.thread_id, count, nbytes)

    # --- incremental mode: an allocation observer -------------------------------------------

    def before_alloc(self, state: ThreadState, kind: str, nbytes: int) -> None:
        """Nothing to check before an allocation."""

    def after_alloc(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """In ``INCREMENTAL`` mode, apply a few queued frees after each pool allocation."""
        pools = state.pools
        if kind == "pool" and pools.deferred:
            pools.process_deferred(self.config.per_alloc)

    def after_free(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Nothing to do after a free."""

    def on_frame_begin(self, state: ThreadState) -> None:
        """Nothing to do at frame begin (the facade drains per mode)."""

    def on_frame_end(self, state: ThreadState, count: int, nbytes: int) -> None:
        """Nothing to do at frame end (the facade drains per mode)."""

    @property
    def drains_at_begin(self) -> bool:
        """Whether owners apply their queue at ``begin_frame``."""
        return self.config.drains_at_begin

    @property
    def drains_at_end(self) -> bool:
        """Whether owners apply their queue at ``end_frame``."""
        return self.config.drains_at_end

    @property
    def drains_on_miss(self) -> bool:
        """Whether owners apply their queue on a pool miss."""
        return self.config.drains_on_miss

    @property
    def incremental(self) -> bool:
        """Whether the mode is ``INCREMENTAL``."""
        return self.config.mode is DeferredProcessing.INCREMENTAL
