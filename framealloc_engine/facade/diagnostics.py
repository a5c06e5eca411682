"""Diagnostics on ``SmartAlloc``: behaviour filter, UI/profiler hooks, traces, snapshots.

Everything here is off until enabled; what watches allocations is an allocation observer
installed on enable and removed on disable, so a disabled feature costs nothing.

Example::

    alloc.enable_behavior_filter()
    with alloc.trace("run.json"):
        run_frames(alloc, 600)
    print(alloc.behavior_report())
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from framealloc_engine.diagnostics.behavior import BehaviorReport, BehaviorThresholds, analyze
from framealloc_engine.diagnostics.behavior_filter import BehaviorFilter
from framealloc_engine.diagnostics.context import DiagContext
from framealloc_engine.diagnostics.hooks import DiagnosticsHooks
from framealloc_engine.diagnostics.profiler import ProfilerHooks
from framealloc_engine.diagnostics.snapshots import SnapshotManager, allocator_state
from framealloc_engine.diagnostics.trace import TraceRecorder, TraceWriter
from framealloc_engine.facade.base import FacadeBase

if TYPE_CHECKING:
    from framealloc_engine.facade.observers import ObserverApi

__all__ = ["DiagnosticsApi"]


class DiagnosticsApi(FacadeBase):
    """Opt-in observability: every method here is cold-path."""

    _behavior_filter: BehaviorFilter | None = None
    _diag_hooks: DiagnosticsHooks | None = None
    _profiler_hooks: ProfilerHooks | None = None
    _trace_recorder: TraceRecorder | None = None
    _snapshots: SnapshotManager | None = None

    def _observer_api(self) -> ObserverApi:
        return cast("ObserverApi", self)

    # --- behaviour filter -------------------------------------------------------------------

    def enable_behavior_filter(
        self, thresholds: BehaviorThresholds | None = None
    ) -> BehaviorFilter:
        """Start recording allocation behaviour (FA501-FA530); returns the filter.

        Enabling again keeps what was recorded (and replaces the thresholds when given).
        """
        flt = self._behavior_filter
        if flt is None:
            flt = self._behavior_filter = BehaviorFilter(thresholds)
        elif thresholds is not None:
            flt.thresholds = thresholds
        if not flt.enabled:
            flt.enabled = True
            self._observer_api().add_observer(flt)
        return flt

    def disable_behavior_filter(self) -> None:
        """Stop recording; :meth:`behavior_report` still reports what was recorded."""
        flt = self._behavior_filter
        if flt is not None and flt.enabled:
            flt.enabled = False
            self._observer_api().remove_observer(flt)

    @property
    def behavior_filter(self) -> BehaviorFilter | None:
        """The behaviour filter, once enabled (``None`` before)."""
        return self._behavior_filter

    def behavior_report(self) -> BehaviorReport:
        """Analyse the behaviour recorded so far (empty if the filter was never enabled)."""
        flt = self._behavior_filter
        if flt is None:
            return analyze([], BehaviorThresholds(), 0, enabled=False)
        return flt.report()

    # --- hooks ------------------------------------------------------------------------------

    def attach_diagnostics_hooks(self, hooks: DiagnosticsHooks | None = None) -> DiagnosticsHooks:
        """Attach UI hooks (a new ``DiagnosticsHooks()`` when omitted), replacing any other."""
        self.detach_diagnostics_hooks()
        hooks = hooks if hooks is not None else DiagnosticsHooks()
        hooks.attach(self)
        self._diag_hooks = hooks
        return hooks

    def detach_diagnostics_hooks(self) -> None:
        """Detach the UI hooks, if any."""
        if self._diag_hooks is not None:
            self._diag_hooks.detach()
            self._diag_hooks = None

    def diagnostics_hooks(self) -> DiagnosticsHooks:
        """The attached UI hooks, attaching new ones on first call."""
        if self._diag_hooks is None:
            return self.attach_diagnostics_hooks()
        return self._diag_hooks

    def attach_profiler_hooks(self, hooks: ProfilerHooks | None = None) -> ProfilerHooks:
        """Attach profiler hooks (a new ``ProfilerHooks()`` when omitted), replacing any other."""
        self.detach_profiler_hooks()
        hooks = hooks if hooks is not None else ProfilerHooks()
        hooks.attach(self)
        self._profiler_hooks = hooks
        return hooks

    def detach_profiler_hooks(self) -> None:
        """Detach the profiler hooks, if any."""
        if self._profiler_hooks is not None:
            self._profiler_hooks.detach()
            self._profiler_hooks = None

    @property
    def profiler_hooks(self) -> ProfilerHooks | None:
        """The attached profiler hooks, if any."""
        return self._profiler_hooks

    # --- traces -----------------------------------------------------------------------------

    def start_trace(self, path: str | os.PathLike[str], *, flush_every: int = 4096) -> Path:
        """Start writing a Chrome trace (Perfetto, ``chrome://tracing``) to ``path``.

        A running trace is stopped first. Returns the path.
        """
        self.stop_trace()
        recorder = TraceRecorder(TraceWriter(path, flush_every=flush_every), self)
        recorder.attach()
        self._trace_recorder = recorder
        return recorder.writer.path

    def stop_trace(self) -> Path | None:
        """Finish the trace file; returns its path (``None`` when no trace was running)."""
        recorder = self._trace_recorder
        if recorder is None:
            return None
        self._trace_recorder = None
        return recorder.detach()

    @property
    def tracing(self) -> bool:
        """Whether a trace is being written."""
        return self._trace_recorder is not None

    @contextmanager
    def trace(self, path: str | os.PathLike[str], *, flush_every: int = 4096) -> Iterator[Path]:
        """``start_trace(path)`` on entry and ``stop_trace()`` on exit (even on error)."""
        started = self.start_trace(path, flush_every=flush_every)
        try:
            yield started
        finally:
            self.stop_trace()

    # --- snapshots --------------------------------------------------------------------------

    def enable_snapshots(
        self, directory: str | os.PathLike[str], *, keep: int = 10, poll_every: int = 1
    ) -> SnapshotManager:
        """Write snapshots into ``directory`` on request, keeping the last ``keep`` files.

        Every ``poll_every``-th ``end_frame()`` answers a ``snapshot.request`` file there.
        """
        self.disable_snapshots()
        manager = SnapshotManager(self, directory, keep=keep, poll_every=poll_every)
        self._frame_end_hooks.append(manager.on_frame_end)
        self._snapshots = manager
        return manager

    def disable_snapshots(self) -> None:
        """Stop answering request files (files written stay)."""
        manager = self._snapshots
        if manager is not None:
            self._snapshots = None
            hooks = self._frame_end_hooks
            hooks[:] = [h for h in hooks if h != manager.on_frame_end]

    def snapshot(self, reason: str = "api") -> dict[str, Any]:
        """The allocator's state as JSON-ready data; also written to a file when snapshots
        are enabled (its path is under the ``"file"`` key)."""
        manager = self._snapshots
        if manager is None:
            return allocator_state(self, reason=reason)
        data = allocator_state(self, reason=reason)
        data["file"] = str(manager.write(data))
        return data

    def poll_snapshot_requests(self) -> Path | None:
        """Answer a pending ``snapshot.request`` now; returns the file written, if any."""
        manager = self._snapshots
        return manager.poll() if manager is not None else None

    # --- context ----------------------------------------------------------------------------

    def diag_context(self) -> DiagContext:
        """The calling thread's :class:`DiagContext` for this allocator."""
        return DiagContext.capture(self)
