"""Frame lifecycle events (v0.6): what the lifecycle manager delivers to callbacks.

Every event is a frozen dataclass deriving from :class:`FrameEvent`; match on the class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "Alloc",
    "BudgetExceeded",
    "CrossThreadFreeQueued",
    "DeferredOverflow",
    "DeferredProcessed",
    "Free",
    "FrameBegin",
    "FrameEnd",
    "FrameEvent",
    "FrameEventCallback",
    "MemoryPressure",
    "TransferCompleted",
    "TransferInitiated",
]



@dataclass(frozen=True, slots=True)
class FrameEvent:
    """Base of every lifecycle event; ``thread_id`` is the thread it happened on."""

    thread_id: int


@dataclass(frozen=True, slots=True)
class FrameBegin(FrameEvent):
    """A thread began frame ``frame_number``; ``timestamp`` is ``time.perf_counter()``."""

    frame_number: int
    timestamp: float


@dataclass(frozen=True, slots=True)
class FrameEnd(FrameEvent):
    """A thread ended a frame.

    Attributes:
        frame_number: The frame that ended.
        duration_us: Microseconds from its ``begin_frame`` to its ``end_frame``.
        allocations: Frame allocations live at the end (freed by the reset).
        frame_bytes: Arena bytes in use at the end (freed by the reset).
        peak_memory: The most arena bytes in use at any point of the frame.
    """

    frame_number: int
    duration_us: float
    allocations: int
    frame_bytes: int
    peak_memory: int


@dataclass(frozen=True, slots=True)
class Alloc(FrameEvent):
    """An allocation of ``size`` bytes of ``kind`` (``"frame"``, ``"pool"``, ``"heap"``)."""

    kind: str
    size: int
    tag: str
    frame_number: int


@dataclass(frozen=True, slots=True)
class Free(FrameEvent):
    """A pool or heap free of ``size`` bytes (block size) on this thread."""

    kind: str
    size: int


@dataclass(frozen=True, slots=True)
class CrossThreadFreeQueued(FrameEvent):
    """``thread_id`` queued a free of ``size`` bytes for the owning thread ``to_thread``."""

    to_thread: int
    size: int


@dataclass(frozen=True, slots=True)
class DeferredProcessed(FrameEvent):
    """``thread_id`` applied ``count`` queued frees totalling ``total_bytes``."""

    count: int
    total_bytes: int


@dataclass(frozen=True, slots=True)
class DeferredOverflow(FrameEvent):
    """A full deferred queue of ``owner_thread`` moved its oldest free to the overflow list.

    Raised on the freeing thread (``thread_id``) under ``QueueFullPolicy.DROP_OLDEST``; the
    overflow (``pending`` frees) is applied at the owner's next drain.
    """

    owner_thread: int
    pending: int


@dataclass(frozen=True, slots=True)
class TransferInitiated(FrameEvent):
    """``thread_id`` created transfer ``transfer_id`` of ``size`` bytes."""

    transfer_id: int
    size: int


@dataclass(frozen=True, slots=True)
class TransferCompleted(FrameEvent):
    """``thread_id`` received transfer ``transfer_id`` sent by ``from_thread``."""

    transfer_id: int
    from_thread: int
    size: int


@dataclass(frozen=True, slots=True)
class MemoryPressure(FrameEvent):
    """A thread budget passed its warning threshold (once per frame and kind)."""

    kind: str
    used: int
    budget: int


@dataclass(frozen=True, slots=True)
class BudgetExceeded(FrameEvent):
    """A request would pass a thread budget; ``policy`` is what happened to it."""

    kind: str
    requested: int
    available: int
    budget: int
    policy: str


FrameEventCallback = Callable[[FrameEvent], object]
