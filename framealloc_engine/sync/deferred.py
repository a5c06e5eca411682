"""Deferred-free control (v0.6): when and how frees queued by other threads are applied.

A pool array freed on a thread other than the one that allocated it cannot go straight back
to the owner's free lists (only the owner touches those, without a lock). It is queued on the
owner's *deferred queue* and applied by the owner later. This module says when and how::

    alloc.set_deferred_config(
        DeferredConfig.bounded(1024).full_policy(QueueFullPolicy.DROP_OLDEST)
    )
    alloc.set_deferred_processing(DeferredProcessing.EXPLICIT)
    alloc.process_deferred_frees(64)            # on the owning thread: apply up to 64

Processing modes (:class:`DeferredProcessing`):

* ``AT_FRAME_BEGIN`` (default): the owner applies its queue at ``begin_frame`` and on a pool
  miss (before reserving a new slab page).
* ``AT_FRAME_END``: at ``end_frame`` and on a pool miss.
* ``INCREMENTAL``: up to ``per_alloc`` queued frees are applied after each pool allocation of
  the owner, and all of them on a pool miss.
* ``EXPLICIT``: only ``process_deferred_frees`` and a pool miss apply the queue.
* ``DISABLED``: only ``process_deferred_frees`` applies it (not even a pool miss).

Queue-full policies (:class:`QueueFullPolicy`) of a bounded queue, applied by the *freeing*
thread when the owner's queue holds ``capacity`` frees:

* ``PROCESS_IMMEDIATELY``: the freeing thread drains the owner's queue, this free included,
  into the global slab registry as orphan blocks (it may not touch the owner's free lists);
  any thread's next refill of those size classes reuses them. Counted in
  ``DeferredStats.processed_immediately``.
* ``DROP_OLDEST``: the oldest queued free leaves the owner's queue for the slab registry
  (the shared free blocks, reused by whichever thread refills that size class next) and this
  one takes its place: the queue never holds more than ``capacity`` frees, non-blocking, and
  never lossy. Each drop is counted (``DeferredStats.dropped_to_overflow``) and reported as a
  ``DeferredOverflow`` lifecycle event; the first is an FA204 warning (``fa_emit``: strict
  mode sees it).
* ``FAIL``: the free raises :class:`DeferredQueueFullError` (FA204) and does not happen: the
  array stays live and may be freed again later.
* ``GROW``: the queue grows without bound (the default, and the behaviour of an unbounded
  queue).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from framealloc_engine.errors import FrameAllocError

__all__ = [
    "DeferredConfig",
    "DeferredProcessing",
    "DeferredQueueFullError",
    "DeferredStats",
    "QueueFullPolicy",
]


class DeferredQueueFullError(FrameAllocError, RuntimeError):
    """FA204: a bounded deferred-free queue is full and its policy is ``FAIL``.

    The free did not happen: the array is still live and may be freed again.
    """

    code = "FA204"
    default_help = (
        "let the owning thread drain its queue (process_deferred_frees()), raise the "
        "capacity with DeferredConfig.bounded(n), or choose another QueueFullPolicy"
    )


class DeferredProcessing(enum.Enum):
    """When an owning thread applies the frees other threads queued for it."""

    AT_FRAME_BEGIN = "at_frame_begin"
    AT_FRAME_END = "at_frame_end"
    INCREMENTAL = "incremental"
    EXPLICIT = "explicit"
    DISABLED = "disabled"


class QueueFullPolicy(enum.Enum):
    """What a cross-thread free does when the owner's bounded queue is full."""

    PROCESS_IMMEDIATELY = "process_immediately"
    DROP_OLDEST = "drop_oldest"
    FAIL = "fail"
    GROW = "grow"


@dataclass(frozen=True, slots=True)
class DeferredConfig:
    """How deferred frees are queued and applied (one configuration per allocator).

    Attributes:
        mode: When owners apply their queues.
        capacity: Queue capacity per owning thread; 0 means unbounded.
        on_full: The policy once a bounded queue is full.
        per_alloc: Frees applied per pool allocation in ``INCREMENTAL`` mode.
    """

    mode: DeferredProcessing = DeferredProcessing.AT_FRAME_BEGIN
    capacity: int = 0
    on_full: QueueFullPolicy = QueueFullPolicy.GROW
    per_alloc: int = 16

    def __post_init__(self) -> None:
        if not isinstance(self.mode, DeferredProcessing):
            raise ValueError(f"mode must be a DeferredProcessing, got {self.mode!r}")
        if not isinstance(self.on_full, QueueFullPolicy):
            raise ValueError(f"on_full must be a QueueFullPolicy, got {self.on_full!r}")
        for name in ("capacity", "per_alloc"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")
        if self.mode is DeferredProcessing.INCREMENTAL and self.per_alloc < 1:
            raise ValueError("INCREMENTAL processing needs per_alloc >= 1")

    @classmethod
    def bounded(cls, capacity: int) -> DeferredConfig:
        """A queue of ``capacity`` frees per owner, ``PROCESS_IMMEDIATELY`` when full."""
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        return cls(capacity=capacity, on_full=QueueFullPolicy.PROCESS_IMMEDIATELY)

    @classmethod
    def incremental(cls, per_alloc: int) -> DeferredConfig:
        """Apply up to ``per_alloc`` queued frees after each pool allocation."""
        return cls(mode=DeferredProcessing.INCREMENTAL, per_alloc=per_alloc)

    @classmethod
    def explicit(cls) -> DeferredConfig:
        """Apply queued frees only in ``process_deferred_frees`` (and on a pool miss)."""
        return cls(mode=DeferredProcessing.EXPLICIT)

    def full_policy(self, policy: QueueFullPolicy) -> DeferredConfig:
        """Return a copy with the queue-full policy set."""
        return dataclasses.replace(self, on_full=policy)

    def with_mode(self, mode: DeferredProcessing) -> DeferredConfig:
        """Return a copy with the processing mode set."""
        return dataclasses.replace(self, mode=mode)

    def with_capacity(self, capacity: int) -> DeferredConfig:
        """Return a copy with the per-owner capacity set (0: unbounded)."""
        return dataclasses.replace(self, capacity=capacity)

    @property
    def drains_at_begin(self) -> bool:
        """Whether owners apply their queue at ``begin_frame``."""
        return self.mode is DeferredProcessing.AT_FRAME_BEGIN

    @property
    def drains_at_end(self) -> bool:
        """Whether owners apply their queue at ``end_frame``."""
        return self.mode is DeferredProcessing.AT_FRAME_END

    @property
    def drains_on_miss(self) -> bool:
        """Whether a pool miss applies the queue before reserving new memory."""
        return self.mode is not DeferredProcessing.DISABLED


@dataclass(frozen=True, slots=True)
class DeferredStats:
    """Allocator-wide deferred-free counters since the control was installed.

    Attributes:
        queued: Cross-thread frees queued on an owner's queue.
        processed: Queued frees applied by their owners.
        pending: Frees waiting in live owners' queues now (an exited owner's are applied).
        peak_depth: The longest any owner's queue has been.
        full_events: Times a free found a bounded queue full.
        processed_immediately: Blocks a freeing thread handed to the slab registry under
            ``PROCESS_IMMEDIATELY``.
        dropped_to_overflow: Queued frees a full queue handed to the slab registry under
            ``DROP_OLDEST``.
        overflow_pending: Always 0: dropped frees are reusable at once (kept so code
            reading it keeps working).
        failed: Frees refused under ``FAIL``.
    """

    queued: int
    processed: int
    pending: int
    peak_depth: int
    full_events: int
    processed_immediately: int
    dropped_to_overflow: int
    overflow_pending: int
    failed: int
