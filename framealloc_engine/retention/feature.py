"""Frame retention: ``frame_retained`` and ending a frame with promotions.

Pending retained allocations are kept per thread (in ``ThreadState.extensions``). They are
promoted, in allocation order and while the frame's memory is still intact, by
``end_frame_with_promotions()``; plain ``end_frame()`` discards them (a frame-end hook,
installed on first use, counts them in that frame's summary). A retained allocation that a
rollback freed is dropped silently: it no longer exists.

Promotions are charged to the tag path and phase the allocation was made under, so tag
budgets and statistics see promoted memory where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

from framealloc_engine.allocators.layout import DTypeSpec, ShapeSpec, layout_of
from framealloc_engine.core.boxes import HeapBox, PoolBox
from framealloc_engine.core.stats import KindCounts
from framealloc_engine.errors import (
    AllocationSizeError,
    BudgetExceededError,
    FrameNotActiveError,
    FrameStateError,
    StaleHandleError,
)
from framealloc_engine.retention.model import (
    AllocationMeta,
    FailureReason,
    FailuresByReason,
    FrameSummary,
    Importance,
    PromotedAllocation,
    PromotedHeap,
    PromotedPool,
    PromotedScratch,
    PromotionFailed,
    PromotionResult,
    RetentionKind,
    RetentionPolicy,
)

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore
    from framealloc_engine.core.thread_state import ThreadState
    from framealloc_engine.scratch.feature import ScratchFeature

__all__ = ["RetentionFeature"]

_KEY = "retention"


@dataclass(slots=True)
class _Pending:
    array: np.ndarray
    meta: AllocationMeta
    tag_stack: tuple[str, ...]
    phase_stack: tuple[str, ...]
    generation: int
    seq: int


@dataclass(slots=True)
class _Tally:
    """Counts of one frame's retention outcomes, frozen into a FrameSummary later."""

    frame_number: int
    counts: dict[str, int] = field(default_factory=dict)
    failures: dict[FailureReason, int] = field(default_factory=dict)

    def add(self, what: str, size: int) -> None:
        counts = self.counts
        counts[what + "_count"] = counts.get(what + "_count", 0) + 1
        counts[what + "_bytes"] = counts.get(what + "_bytes", 0) + size

    def record(self, outcome: PromotedAllocation, size: int) -> None:
        if isinstance(outcome, PromotedPool):
            self.add("promoted_pool", size)
        elif isinstance(outcome, PromotedHeap):
            self.add("promoted_heap", size)
        elif isinstance(outcome, PromotedScratch):
            self.add("promoted_scratch", size)
        elif isinstance(outcome, PromotionFailed):
            self.add("failed", size)
            self.failures[outcome.reason] = self.failures.get(outcome.reason, 0) + 1


@dataclass(slots=True)
class _ThreadRetention:
    pending: list[_Pending] = field(default_factory=list)
    tally: _Tally | None = None


def _summary(tally: _Tally | None, state: ThreadState, *, so_far: bool = False) -> FrameSummary:
    # The last ended frame's summary, or (so_far) the active frame's up to now.
    if so_far:
        state.flush_attribution()
        by_tag: dict[str, KindCounts] = {}
        by_phase: dict[str, KindCounts] = {}
        for (tag, phase), counts in state.frame_buckets.items():
            by_tag.setdefault(tag, KindCounts()).add(counts)
            by_phase.setdefault(phase, KindCounts()).add(counts)
        frame = state.frame_number
    else:
        by_tag = {k: v.copy() for k, v in state.last_frame_by_tag.items()}
        by_phase = {k: v.copy() for k, v in state.last_frame_by_phase.items()}
        frame = state.frame_number - (1 if state.arena.active else 0)
    total = KindCounts()
    for counts in by_tag.values():
        total.add(counts)
    if tally is None or tally.frame_number != frame:
        tally = _Tally(frame)
    f = tally.failures
    failures = FailuresByReason(
        budget_exceeded=f.get(FailureReason.BUDGET_EXCEEDED, 0),
        scratch_pool_not_found=f.get(FailureReason.SCRATCH_POOL_NOT_FOUND, 0),
        scratch_pool_full=f.get(FailureReason.SCRATCH_POOL_FULL, 0),
        too_large=f.get(FailureReason.TOO_LARGE, 0),
    )
    return FrameSummary(
        frame_number=frame,
        failures_by_reason=failures,
        frame_allocations=total.frame_count,
        frame_bytes=total.frame_bytes,
        by_tag=by_tag,
        by_phase=by_phase,
        **tally.counts,
    )


class RetentionFeature:
    """``frame_retained``, ``frame_with_importance`` and the promoting frame ends.

    Args:
        core: The allocator whose frames, pools and heap the promotions use.
        scratch: Where ``PROMOTE_TO_SCRATCH`` finds its pools.
    """

    def __init__(self, core: AllocatorCore, scratch: ScratchFeature) -> None:
        self._core = core
        self._scratch = scratch
        self._hooked = False

    # --- per-thread bookkeeping ----------------------------------------------------------------

    def _retention(self, state: ThreadState) -> _ThreadRetention:
        record = state.extensions.get(_KEY)
        if record is None:
            record = state.extensions[_KEY] = _ThreadRetention()
            if not self._hooked:
                with self._core.threads_lock:
                    hook = not self._hooked
                    self._hooked = True
                if hook:
                    self._core.add_frame_end_hook(self._discard_pending)
        return cast("_ThreadRetention", record)

    def _discard_pending(self, state: ThreadState) -> None:
        """Frame-end hook: a plain ``end_frame()`` discards what is still pending."""
        record = cast("_ThreadRetention | None", state.extensions.get(_KEY))
        if record is None:
            return
        tally = record.tally
        if tally is None or tally.frame_number != state.frame_number:
            tally = record.tally = _Tally(state.frame_number)
        for item in self._live_pending(state, record):
            tally.add("discarded", item.meta.size)
        record.pending = []

    @staticmethod
    def _live_pending(state: ThreadState, record: _ThreadRetention) -> list[_Pending]:
        return [p for p in record.pending if state.box_alive(p.generation, p.seq)]

    # --- allocation -----------------------------------------------------------------------------

    def frame_retained(
        self,
        dtype: DTypeSpec,
        shape: ShapeSpec = (),
        policy: RetentionPolicy | Importance = RetentionPolicy.DISCARD,
    ) -> np.ndarray:
        """A frame array that ``end_frame_with_promotions()`` copies out per ``policy``::

            nav = alloc.frame_retained(np.float32, (64, 64), RetentionPolicy.PROMOTE_TO_POOL)

        Until then it is an ordinary frame array (a rollback past it drops it).

        Raises:
            FrameNotActiveError: (FA001) no frame is active on this thread.
            TypeError: ``policy`` is not a RetentionPolicy or Importance.
        """
        if isinstance(policy, Importance):
            policy = policy.policy
        elif not isinstance(policy, RetentionPolicy):
            raise TypeError(
                f"policy must be a RetentionPolicy or Importance, got {type(policy).__name__}"
            )
        array = self._core.frame_alloc(dtype, shape)
        state = self._core.current_state()
        layout = layout_of(dtype, shape)
        generation, seq = state.next_box()
        meta = AllocationMeta(
            layout.dtype,
            layout.shape,
            layout.nbytes,
            state.tag_path,
            state.phase_path,
            policy,
            state.frame_number,
        )
        self._retention(state).pending.append(
            _Pending(array, meta, tuple(state.tag_stack), tuple(state.phase_stack), generation, seq)
        )
        return array

    def frame_with_importance(
        self, dtype: DTypeSpec, shape: ShapeSpec = (), importance: Importance = Importance.EPHEMERAL
    ) -> np.ndarray:
        """:meth:`frame_retained` by intent: ``Importance.REUSABLE`` promotes to the pool,
        ``PERSISTENT`` to the heap, ``SCRATCH(name)`` to a scratch pool, ``EPHEMERAL``
        discards."""
        if not isinstance(importance, Importance):
            raise TypeError(f"importance must be an Importance, got {type(importance).__name__}")
        return self.frame_retained(dtype, shape, importance.policy)

    def retained_count(self) -> int:
        """Retained allocations pending on this thread (rolled-back ones excluded)."""
        state = self._core.current_state()
        record = state.extensions.get(_KEY)
        if record is None:
            return 0
        return len(self._live_pending(state, cast("_ThreadRetention", record)))

    def clear_retained(self) -> int:
        """Forget this thread's pending retained allocations (they become ordinary frame
        memory, not counted in the summary); returns how many were pending."""
        count = self.retained_count()
        record = self._core.current_state().extensions.get(_KEY)
        if record is not None:
            cast("_ThreadRetention", record).pending = []
        return count

    # --- ending the frame ----------------------------------------------------------------------

    def promote_retained(self) -> PromotionResult:
        """Promote this thread's pending retained allocations now, without ending the frame.

        The way to promote inside an engine ``App``, whose ``SmartAllocPlugin`` ends frames
        itself: call it from a system in ``Last`` (``alloc.promote_retained()``). The summary
        covers the frame so far; allocations retained after the call are pending again (a
        plain frame end discards and counts them).

        Raises:
            FrameNotActiveError: (FA001) no frame is active on this thread.
        """
        state = self._core.current_state()
        if not state.arena.active:
            raise FrameNotActiveError(
                "promote_retained() used outside an active frame",
                note="retained allocations live in the active frame until it ends",
            )
        promoted, tally = self._promote_pending(state)
        return PromotionResult(promoted, _summary(tally, state, so_far=True))

    def end_frame_with_promotions(self) -> PromotionResult:
        """End the frame, promoting every pending retained allocation first.

        Each outcome is a :class:`PromotedPool`/:class:`PromotedHeap` (owning a box: keep it,
        ``close()`` it to free), a :class:`PromotedScratch`, or a :class:`PromotionFailed`
        with its reason; ``DISCARD`` allocations are only counted in the summary.

        Raises:
            FrameStateError: (FA001) no frame is active on this thread.
        """
        state = self._core.current_state()
        if not state.arena.active:
            raise FrameStateError(
                "end_frame_with_promotions() called with no active frame",
                help="call begin_frame() first (each thread begins and ends its own frames)",
            )
        promoted, tally = self._promote_pending(state)
        self._core.end_frame()
        return PromotionResult(promoted, _summary(tally, state))

    def _promote_pending(self, state: ThreadState) -> tuple[list[PromotedAllocation], _Tally]:
        record = self._retention(state)
        pending = self._live_pending(state, record)
        record.pending = []
        tally = record.tally
        if tally is None or tally.frame_number != state.frame_number:
            tally = record.tally = _Tally(state.frame_number)
        promoted: list[PromotedAllocation] = []
        for item in pending:
            if item.meta.policy.kind is RetentionKind.DISCARD:
                tally.add("discarded", item.meta.size)
                continue
            outcome = self._promote_attributed(state, item)
            tally.record(outcome, item.meta.size)
            promoted.append(outcome)
        return promoted, tally

    def end_frame_with_summary(self) -> FrameSummary:
        """End the frame with promotions and return only the summary.

        The promoted pool and heap blocks are released as soon as this returns (nobody holds
        them); use :meth:`end_frame_with_promotions` to keep them.
        """
        result = self.end_frame_with_promotions()
        result.close()
        return result.summary

    def last_frame_summary(self) -> FrameSummary:
        """The summary of this thread's last ended frame, however it was ended."""
        state = self._core.current_state()
        record = cast("_ThreadRetention | None", state.extensions.get(_KEY))
        return _summary(record.tally if record is not None else None, state)

    # --- promotion ------------------------------------------------------------------------------

    def _promote_attributed(self, state: ThreadState, item: _Pending) -> PromotedAllocation:
        # Charge the copy to the tag path and phase the allocation was made under.
        state.flush_attribution()
        saved = state.tag_stack, state.tag_path, state.phase_stack, state.phase_path
        state.tag_stack, state.tag_path = list(item.tag_stack), item.meta.tag
        state.phase_stack, state.phase_path = list(item.phase_stack), item.meta.phase
        try:
            outcome = self._promote(item)
        finally:
            state.flush_attribution()
            state.tag_stack, state.tag_path, state.phase_stack, state.phase_path = saved
        if not isinstance(outcome, PromotionFailed):
            # Observers that count promotions (the behaviour filter's FA520) hear of each.
            to_kind = item.meta.policy.kind.name.lower()
            self._core.report_promotion(state, item.meta.tag, "frame", to_kind, item.meta.size)
        return outcome

    def _promote(self, item: _Pending) -> PromotedAllocation:
        meta = item.meta
        source = item.array
        policy = meta.policy
        blocks = self._core
        try:
            if policy.kind is RetentionKind.POOL:
                if meta.size > self._core.config.max_pool_size:
                    return PromotionFailed(
                        FailureReason.TOO_LARGE,
                        meta,
                        f"{meta.size} bytes exceed the largest pool class "
                        f"({self._core.config.max_pool_size}); use PROMOTE_TO_HEAP",
                    )
                array = blocks.pool_alloc(source.dtype, source.shape)
                array[...] = source
                return PromotedPool(PoolBox(array, blocks.pool_free), meta.size, meta)
            if policy.kind is RetentionKind.HEAP:
                array = blocks.heap_alloc(source.dtype, source.shape)
                array[...] = source
                return PromotedHeap(HeapBox(array, blocks.heap_free), meta.size, meta)
            return self._promote_to_scratch(item, policy.scratch_name or "")
        except BudgetExceededError as exc:
            return PromotionFailed(FailureReason.BUDGET_EXCEEDED, meta, exc.message)
        except AllocationSizeError as exc:
            return PromotionFailed(FailureReason.TOO_LARGE, meta, exc.message)

    def _promote_to_scratch(self, item: _Pending, name: str) -> PromotedAllocation:
        meta = item.meta
        pool = self._scratch.scratch().get(name)
        if pool is None:
            return PromotionFailed(
                FailureReason.SCRATCH_POOL_NOT_FOUND,
                meta,
                f"no scratch pool {name!r}; create it with alloc.scratch_pool({name!r})",
            )
        if meta.size > pool.capacity:
            return PromotionFailed(
                FailureReason.TOO_LARGE,
                meta,
                f"{meta.size} bytes exceed scratch pool {name!r} ({pool.capacity} bytes)",
            )
        source = item.array
        try:
            array = pool.try_alloc(source.dtype, source.shape)
        except StaleHandleError:
            return PromotionFailed(
                FailureReason.SCRATCH_POOL_NOT_FOUND, meta, f"scratch pool {name!r} was removed"
            )
        if array is None:
            return PromotionFailed(
                FailureReason.SCRATCH_POOL_FULL,
                meta,
                f"scratch pool {name!r} has {pool.remaining} of {pool.capacity} bytes free",
            )
        array[...] = source
        return PromotedScratch(array, meta.size, name, meta)
