"""``SmartAlloc``: the allocator users hold, shared by every thread.

Example::

    alloc = SmartAlloc.with_defaults()
    with alloc.frame_scope():
        tmp = alloc.frame_alloc(np.float32, (1024, 3))

This file is the whole composition. :class:`~framealloc_engine.core.allocator.AllocatorCore`
gives frames, pools, the heap, observers and statistics (the hot paths); every feature is an
object the allocator owns, in a folder of its own, and each public method below says which
one serves it. ``forward`` makes a feature's method an attribute of the allocator at no extra
cost per call.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from framealloc_engine.behavior.feature import BehaviorFeature
from framealloc_engine.behavior.filter import BehaviorFilter
from framealloc_engine.budgets.feature import BudgetsFeature
from framealloc_engine.budgets.tag_budgets import BudgetManager
from framealloc_engine.capture.feature import NumpyCaptureFeature
from framealloc_engine.config import AllocConfig
from framealloc_engine.core.allocator import AllocatorCore
from framealloc_engine.core.attribution import Attribution
from framealloc_engine.core.checkpoints import Checkpoints
from framealloc_engine.core.forward import forward
from framealloc_engine.frame_collections.feature import FrameCollectionsFeature
from framealloc_engine.groups.feature import GroupsFeature
from framealloc_engine.handles.feature import HandlesFeature
from framealloc_engine.lifecycle.feature import LifecycleFeature
from framealloc_engine.lifecycle.manager import LifecycleManager
from framealloc_engine.monitoring.feature import MonitoringFeature
from framealloc_engine.monitoring.profiler import ProfilerHooks
from framealloc_engine.retention.feature import RetentionFeature
from framealloc_engine.scratch.feature import ScratchFeature
from framealloc_engine.streaming.feature import StreamingFeature
from framealloc_engine.sync.deferred import DeferredConfig
from framealloc_engine.sync.feature import DeferredFeature, TransferFeature

__all__ = ["SmartAlloc"]


class SmartAlloc(AllocatorCore):
    """The frame-aware allocator: the core plus every feature.

    Args:
        config: Allocator configuration; ``AllocConfig()`` when omitted.
    """

    def __init__(self, config: AllocConfig | None = None) -> None:
        super().__init__(config)
        self._lifecycle = LifecycleFeature(self)
        self._budgets = BudgetsFeature(self, self._lifecycle)
        self._deferred = DeferredFeature(self, self._lifecycle)
        self._transfers = TransferFeature(self, self._lifecycle)
        self._scratch = ScratchFeature(self)
        self._retention = RetentionFeature(self, self._scratch)
        self._groups = GroupsFeature(self)
        self._handles = HandlesFeature(self)
        self._streaming = StreamingFeature(self)
        self._collections = FrameCollectionsFeature(self)
        self._behavior = BehaviorFeature(self)
        self._monitoring = MonitoringFeature(self, self._budgets, self._behavior)
        self._capture = NumpyCaptureFeature(
            self, lambda: self._behavior.behavior_filter, lambda: self._budgets.budget_manager
        )

    # --- frames with numpy captured (capture/) ---------------------------------------------
    capture_numpy = forward("_capture", NumpyCaptureFeature.capture_numpy)
    numpy_capture_stats = forward("_capture", NumpyCaptureFeature.numpy_capture_stats)

    @contextmanager
    def frame_scope(self, *, capture_numpy: bool = False) -> Iterator[None]:
        """``begin_frame()`` on entry and ``end_frame()`` on exit (even on error); with
        ``capture_numpy=True`` numpy's own allocations inside come from frame memory too
        (see :meth:`capture_numpy`)."""
        self.begin_frame()
        try:
            if capture_numpy:
                with self._capture.capture_numpy():
                    yield
            else:
                yield
        finally:
            self.end_frame()

    # --- tags and phases (core/attribution.py) ----------------------------------------------
    with_tag = forward("_attribution", Attribution.with_tag)
    current_tag = forward("_attribution", Attribution.current_tag)
    tag_path = forward("_attribution", Attribution.tag_path)
    begin_phase = forward("_attribution", Attribution.begin_phase)
    end_phase = forward("_attribution", Attribution.end_phase)
    phase_scope = forward("_attribution", Attribution.phase_scope)
    phase_stats = forward("_attribution", Attribution.phase_stats)
    tag_stats = forward("_attribution", Attribution.tag_stats)
    frame_tag_stats = forward("_attribution", Attribution.frame_tag_stats)

    current_phase = forward("_attribution", Attribution.current_phase)

    # --- checkpoints (core/checkpoints.py) --------------------------------------------------
    frame_checkpoint = forward("_checkpoints", Checkpoints.frame_checkpoint)
    rollback_to = forward("_checkpoints", Checkpoints.rollback_to)
    checkpoint_guard = forward("_checkpoints", Checkpoints.checkpoint_guard)
    speculative = forward("_checkpoints", Checkpoints.speculative)

    # --- frame collections (frame_collections/) ---------------------------------------------
    frame_vec = forward("_collections", FrameCollectionsFeature.frame_vec)
    frame_map = forward("_collections", FrameCollectionsFeature.frame_map)

    # --- retention and promotion (retention/) -----------------------------------------------
    frame_retained = forward("_retention", RetentionFeature.frame_retained)
    frame_with_importance = forward("_retention", RetentionFeature.frame_with_importance)
    retained_count = forward("_retention", RetentionFeature.retained_count)
    clear_retained = forward("_retention", RetentionFeature.clear_retained)
    promote_retained = forward("_retention", RetentionFeature.promote_retained)
    end_frame_with_promotions = forward("_retention", RetentionFeature.end_frame_with_promotions)
    end_frame_with_summary = forward("_retention", RetentionFeature.end_frame_with_summary)
    last_frame_summary = forward("_retention", RetentionFeature.last_frame_summary)

    # --- scratch pools (scratch/) and groups (groups/) --------------------------------------
    scratch = forward("_scratch", ScratchFeature.scratch)
    scratch_pool = forward("_scratch", ScratchFeature.scratch_pool)
    groups = forward("_groups", GroupsFeature.groups)

    # --- handles (handles/) and streaming (streaming/) --------------------------------------
    handles = forward("_handles", HandlesFeature.handles)
    streaming = forward("_streaming", StreamingFeature.streaming)

    # --- budgets (budgets/) -----------------------------------------------------------------
    budgets = forward("_budgets", BudgetsFeature.budgets)
    set_thread_budget_config = forward("_budgets", BudgetsFeature.set_thread_budget_config)
    thread_budget_config = forward("_budgets", BudgetsFeature.thread_budget_config)
    thread_budget_stats = forward("_budgets", BudgetsFeature.thread_budget_stats)

    def frame_remaining(self) -> int:
        """Bytes this thread may still frame-allocate this frame: the arena's room, capped by
        the thread's frame budget when it has one."""
        return self._budgets.frame_remaining()

    @property
    def budget_manager(self) -> BudgetManager | None:
        """The budget manager if budgets are on, else ``None``."""
        return self._budgets.budget_manager

    # --- deferred frees and transfers (sync/) -----------------------------------------------
    set_deferred_config = forward("_deferred", DeferredFeature.set_deferred_config)
    set_deferred_processing = forward("_deferred", DeferredFeature.set_deferred_processing)
    deferred_stats = forward("_deferred", DeferredFeature.deferred_stats)
    frame_box_for_transfer = forward("_transfers", TransferFeature.frame_box_for_transfer)
    transfer_stats = forward("_transfers", TransferFeature.transfer_stats)

    @property
    def deferred_config(self) -> DeferredConfig:
        """The current deferred-free configuration."""
        return self._deferred.deferred_config

    # --- lifecycle events (lifecycle/) ------------------------------------------------------
    enable_lifecycle_tracking = forward("_lifecycle", LifecycleFeature.enable_lifecycle_tracking)
    disable_lifecycle_tracking = forward(
        "_lifecycle", LifecycleFeature.disable_lifecycle_tracking
    )
    on_frame_event = forward("_lifecycle", LifecycleFeature.on_frame_event)
    remove_frame_event_callback = forward(
        "_lifecycle", LifecycleFeature.remove_frame_event_callback
    )
    thread_frame_stats = forward("_lifecycle", LifecycleFeature.thread_frame_stats)

    @property
    def lifecycle(self) -> LifecycleManager | None:
        """The lifecycle manager (``None`` until tracking was first enabled)."""
        return self._lifecycle.lifecycle

    @property
    def lifecycle_tracking(self) -> bool:
        """Whether lifecycle tracking is on."""
        return self._lifecycle.lifecycle_tracking

    # --- behaviour filter (behavior/) -------------------------------------------------------
    enable_behavior_filter = forward("_behavior", BehaviorFeature.enable_behavior_filter)
    disable_behavior_filter = forward("_behavior", BehaviorFeature.disable_behavior_filter)
    behavior_report = forward("_behavior", BehaviorFeature.behavior_report)

    @property
    def behavior_filter(self) -> BehaviorFilter | None:
        """The behaviour filter, once enabled (``None`` before)."""
        return self._behavior.behavior_filter

    # --- hooks, traces, snapshots (monitoring/) ---------------------------------------------
    attach_diagnostics_hooks = forward("_monitoring", MonitoringFeature.attach_diagnostics_hooks)
    detach_diagnostics_hooks = forward("_monitoring", MonitoringFeature.detach_diagnostics_hooks)
    diagnostics_hooks = forward("_monitoring", MonitoringFeature.diagnostics_hooks)
    #: The crate's name for :meth:`diagnostics_hooks`.
    diagnostics = forward("_monitoring", MonitoringFeature.diagnostics_hooks)
    attach_profiler_hooks = forward("_monitoring", MonitoringFeature.attach_profiler_hooks)
    detach_profiler_hooks = forward("_monitoring", MonitoringFeature.detach_profiler_hooks)
    start_trace = forward("_monitoring", MonitoringFeature.start_trace)
    stop_trace = forward("_monitoring", MonitoringFeature.stop_trace)
    trace = forward("_monitoring", MonitoringFeature.trace)
    enable_snapshots = forward("_monitoring", MonitoringFeature.enable_snapshots)
    disable_snapshots = forward("_monitoring", MonitoringFeature.disable_snapshots)
    snapshot = forward("_monitoring", MonitoringFeature.snapshot)
    poll_snapshot_requests = forward("_monitoring", MonitoringFeature.poll_snapshot_requests)
    diag_context = forward("_monitoring", MonitoringFeature.diag_context)

    @property
    def profiler_hooks(self) -> ProfilerHooks | None:
        """The attached profiler hooks, if any."""
        return self._monitoring.profiler_hooks

    @property
    def tracing(self) -> bool:
        """Whether a trace is being written."""
        return self._monitoring.tracing
