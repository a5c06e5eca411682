"""Frame retention and promotion: the types (the behaviour is in ``facade.retention``).

Frame allocations vanish at ``end_frame()``. One made with ``frame_retained(..., policy)``
may instead be *promoted* when the frame ends with ``end_frame_with_promotions()``: its bytes
are copied into a pool block, a heap block or a named scratch pool. This is not garbage
collection: every promotion is asked for explicitly and decided at the frame's end, in
allocation order, subject to budgets and limits.

Example::

    path = alloc.frame_retained(np.int32, 256, RetentionPolicy.PROMOTE_TO_POOL)
    result = alloc.end_frame_with_promotions()
    for item in result.promoted:
        match item:
            case PromotedAllocation.Pool(box=box):
                keep(box)                          # a PoolBox: close() frees it
            case PromotedAllocation.Failed(reason=reason, meta=meta):
                print(f"failed to promote {meta.type_name}: {reason}")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from framealloc_engine.core.boxes import HeapBox, PoolBox
from framealloc_engine.core.stats import KindCounts

__all__ = [
    "AllocationMeta",
    "FailureReason",
    "FailuresByReason",
    "FrameSummary",
    "Importance",
    "PromotedAllocation",
    "PromotedBlock",
    "PromotedHeap",
    "PromotedPool",
    "PromotedScratch",
    "PromotionFailed",
    "PromotionResult",
    "RetentionKind",
    "RetentionPolicy",
]

#: The box type a promoted block owns.
B = TypeVar("B", PoolBox[Any], HeapBox[Any])


class RetentionKind(Enum):
    """Where a retained allocation goes at the end of its frame."""

    DISCARD = "discard"
    POOL = "pool"
    HEAP = "heap"
    SCRATCH = "scratch"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """What happens to a frame allocation at ``end_frame_with_promotions()``.

    Use the constants ``DISCARD`` (the default: freed with the frame), ``PROMOTE_TO_POOL``,
    ``PROMOTE_TO_HEAP``, or ``PROMOTE_TO_SCRATCH("name")`` for a named scratch pool.
    """

    kind: RetentionKind
    scratch_name: str | None = None

    DISCARD: ClassVar[RetentionPolicy]
    PROMOTE_TO_POOL: ClassVar[RetentionPolicy]
    PROMOTE_TO_HEAP: ClassVar[RetentionPolicy]

    def __post_init__(self) -> None:
        if (self.kind is RetentionKind.SCRATCH) != (self.scratch_name is not None):
            raise ValueError("only PROMOTE_TO_SCRATCH(name) names a scratch pool")

    @staticmethod
    def PROMOTE_TO_SCRATCH(name: str) -> RetentionPolicy:  # noqa: N802 - an enum variant
        """Copy into the scratch pool ``name`` (which must exist at the frame's end)."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"scratch pool name must be a non-empty string, got {name!r}")
        return RetentionPolicy(RetentionKind.SCRATCH, name)

    def __repr__(self) -> str:
        if self.kind is RetentionKind.SCRATCH:
            return f"RetentionPolicy.PROMOTE_TO_SCRATCH({self.scratch_name!r})"
        names = {
            RetentionKind.DISCARD: "DISCARD",
            RetentionKind.POOL: "PROMOTE_TO_POOL",
            RetentionKind.HEAP: "PROMOTE_TO_HEAP",
        }
        return f"RetentionPolicy.{names[self.kind]}"


RetentionPolicy.DISCARD = RetentionPolicy(RetentionKind.DISCARD)
RetentionPolicy.PROMOTE_TO_POOL = RetentionPolicy(RetentionKind.POOL)
RetentionPolicy.PROMOTE_TO_HEAP = RetentionPolicy(RetentionKind.HEAP)


@dataclass(frozen=True, slots=True)
class Importance:
    """Retention by intent: ``EPHEMERAL`` (discard), ``REUSABLE`` (pool), ``PERSISTENT``
    (heap), ``SCRATCH("name")`` (scratch pool)."""

    policy: RetentionPolicy
    name: str

    EPHEMERAL: ClassVar[Importance]
    REUSABLE: ClassVar[Importance]
    PERSISTENT: ClassVar[Importance]

    @staticmethod
    def SCRATCH(name: str) -> Importance:  # noqa: N802 - an enum variant
        """Subsystem scratch that persists: promote to the scratch pool ``name``."""
        return Importance(RetentionPolicy.PROMOTE_TO_SCRATCH(name), f"SCRATCH({name!r})")

    def __repr__(self) -> str:
        return f"Importance.{self.name}"


Importance.EPHEMERAL = Importance(RetentionPolicy.DISCARD, "EPHEMERAL")
Importance.REUSABLE = Importance(RetentionPolicy.PROMOTE_TO_POOL, "REUSABLE")
Importance.PERSISTENT = Importance(RetentionPolicy.PROMOTE_TO_HEAP, "PERSISTENT")


class FailureReason(Enum):
    """Why a promotion failed."""

    BUDGET_EXCEEDED = "budget exceeded"
    SCRATCH_POOL_NOT_FOUND = "scratch pool not found"
    SCRATCH_POOL_FULL = "scratch pool full"
    TOO_LARGE = "too large"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class AllocationMeta:
    """What was retained: layout, size, tag path, phase and policy."""

    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    size: int
    tag: str
    phase: str
    policy: RetentionPolicy
    frame_number: int

    @property
    def type_name(self) -> str:
        """The dtype and shape, e.g. ``"float32[256]"``."""
        dims = ", ".join(map(str, self.shape))
        return f"{self.dtype}[{dims}]" if self.shape else str(self.dtype)


class PromotedAllocation:
    """Base of the promotion outcomes; match on ``PromotedAllocation.Pool`` / ``.Heap`` /
    ``.Scratch`` / ``.Failed``."""

    __slots__ = ()

    Pool: ClassVar[type[PromotedPool]]
    Heap: ClassVar[type[PromotedHeap]]
    Scratch: ClassVar[type[PromotedScratch]]
    Failed: ClassVar[type[PromotionFailed]]


@dataclass(frozen=True, slots=True, eq=False)
class PromotedBlock(PromotedAllocation, Generic[B]):
    """The bytes now live in a block owned by ``box`` (``close()`` frees it)."""

    box: B
    size: int
    meta: AllocationMeta

    @property
    def array(self) -> np.ndarray:
        """The array holding the data."""
        return self.box.array

    def close(self) -> None:
        """Free the block."""
        self.box.close()


class PromotedPool(PromotedBlock[PoolBox[Any]]):
    """The bytes now live in a pool block owned by ``box`` (``close()`` frees it)."""

    __slots__ = ()


class PromotedHeap(PromotedBlock[HeapBox[Any]]):
    """The bytes now live in a heap block owned by ``box`` (``close()`` frees it)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True, eq=False)
class PromotedScratch(PromotedAllocation):
    """The bytes now live in scratch pool ``pool_name`` (freed by its ``reset()``)."""

    array: np.ndarray
    size: int
    pool_name: str
    meta: AllocationMeta


@dataclass(frozen=True, slots=True, eq=False)
class PromotionFailed(PromotedAllocation):
    """The promotion failed; the data was discarded with the frame."""

    reason: FailureReason
    meta: AllocationMeta
    detail: str = ""


PromotedAllocation.Pool = PromotedPool
PromotedAllocation.Heap = PromotedHeap
PromotedAllocation.Scratch = PromotedScratch
PromotedAllocation.Failed = PromotionFailed


@dataclass(frozen=True, slots=True)
class FailuresByReason:
    """Failed promotions counted by :class:`FailureReason`."""

    budget_exceeded: int = 0
    scratch_pool_not_found: int = 0
    scratch_pool_full: int = 0
    too_large: int = 0

    @property
    def total(self) -> int:
        """Every failure."""
        return (
            self.budget_exceeded
            + self.scratch_pool_not_found
            + self.scratch_pool_full
            + self.too_large
        )


@dataclass(frozen=True, slots=True)
class FrameSummary:
    """What happened to one thread's frame at its end.

    Byte counts of retained allocations are their data sizes (``meta.size``).

    Attributes:
        frame_number: The frame summarised.
        discarded_bytes, discarded_count: Retained allocations freed with the frame (policy
            ``DISCARD``, or pending when the frame ended with plain ``end_frame()``).
        promoted_pool_bytes, promoted_pool_count: Copied into pool blocks.
        promoted_heap_bytes, promoted_heap_count: Copied into heap blocks.
        promoted_scratch_bytes, promoted_scratch_count: Copied into scratch pools.
        failed_bytes, failed_count: Promotions that failed (the data was discarded).
        failures_by_reason: ``failed_count`` split by reason.
        frame_allocations, frame_bytes: Every frame allocation of the frame.
        by_tag: The frame's allocations (all kinds, promotions included) per tag path.
        by_phase: The same per phase path (``""``: outside any phase).
    """

    frame_number: int = 0
    discarded_bytes: int = 0
    discarded_count: int = 0
    promoted_pool_bytes: int = 0
    promoted_pool_count: int = 0
    promoted_heap_bytes: int = 0
    promoted_heap_count: int = 0
    promoted_scratch_bytes: int = 0
    promoted_scratch_count: int = 0
    failed_bytes: int = 0
    failed_count: int = 0
    failures_by_reason: FailuresByReason = field(default_factory=FailuresByReason)
    frame_allocations: int = 0
    frame_bytes: int = 0
    by_tag: dict[str, KindCounts] = field(default_factory=dict)
    by_phase: dict[str, KindCounts] = field(default_factory=dict)

    @property
    def promoted_count(self) -> int:
        """Promotions that succeeded, every destination."""
        return self.promoted_pool_count + self.promoted_heap_count + self.promoted_scratch_count

    @property
    def promoted_bytes(self) -> int:
        """Bytes promoted, every destination."""
        return self.promoted_pool_bytes + self.promoted_heap_bytes + self.promoted_scratch_bytes


@dataclass(frozen=True, slots=True)
class PromotionResult:
    """What ``end_frame_with_promotions()`` returns: the outcomes, in allocation order,
    and the frame's summary. ``DISCARD`` allocations have no outcome entry."""

    promoted: list[PromotedAllocation]
    summary: FrameSummary

    @property
    def failed(self) -> list[PromotionFailed]:
        """The failed promotions."""
        return [p for p in self.promoted if isinstance(p, PromotionFailed)]

    def close(self) -> None:
        """Free every promoted pool and heap block (scratch data stays until its reset)."""
        for item in self.promoted:
            if isinstance(item, PromotedPool | PromotedHeap):
                item.close()
