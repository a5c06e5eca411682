"""The allocator's part of monitoring: UI and profiler hooks, traces, snapshots, context.

Everything here is off until enabled; what watches allocations is an allocation observer
installed on enable and removed on disable, so a disabled feature costs nothing.

Example::

    with alloc.trace("run.json"):
        run_frames(alloc, 600)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framealloc_engine.diagnostics.context import DiagContext
from framealloc_engine.monitoring.hooks import DiagnosticsHooks
from framealloc_engine.monitoring.profiler import ProfilerHooks
from framealloc_engine.monitoring.snapshots import SnapshotManager, allocator_state
from framealloc_engine.monitoring.trace import TraceRecorder, TraceWriter

if TYPE_CHECKING:
    from framealloc_engine.behavior.feature import BehaviorFeature
    from framealloc_engine.budgets.feature import BudgetsFeature
    from framealloc_engine.core.allocator import AllocatorCore

__all__ = ["MonitoringFeature"]


class MonitoringFeature:
    """Hooks, traces and snapshots (every method is cold-path).

    Args:
        core: The allocator observed.
        budgets: Its budgets (budget events reach the UI hooks).
        behavior: Its behaviour filter (its report goes into snapshots).
    """

    def __init__(
        self, core: AllocatorCore, budgets: BudgetsFeature, behavior: BehaviorFeature
    ) -> None:
        self._core = core
        self._budgets = budgets
        self._behavior = behavior
        self._diag_hooks: DiagnosticsHooks | None = None
        self._profiler_hooks: ProfilerHooks | None = None
        self._trace_recorder: TraceRecorder | None = None
        self._snapshots: SnapshotManager | None = None

    # --- hooks ------------------------------------------------------------------------------

    def attach_diagnostics_hooks(self, hooks: DiagnosticsHooks | None = None) -> DiagnosticsHooks:
        """Attach UI hooks (a new ``DiagnosticsHooks()`` when omitted), replacing any other."""
        self.detach_diagnostics_hooks()
        hooks = hooks if hooks is not None else DiagnosticsHooks()
        hooks.attach(self._core, self._budgets.budget_manager)
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
        hooks.attach(self._core)
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
        recorder = TraceRecorder(TraceWriter(path, flush_every=flush_every), self._core)
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
    def trace_recorder(self) -> TraceRecorder | None:
        """The recorder of the running trace, if any."""
        return self._trace_recorder

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
        manager = SnapshotManager(
            self._core, directory, keep=keep, poll_every=poll_every,
            behavior=self._behavior.recorded_report,
        )  # fmt: skip
        self._core.add_frame_end_hook(manager.on_frame_end)
        self._snapshots = manager
        return manager

    def disable_snapshots(self) -> None:
        """Stop answering request files (files written stay)."""
        manager = self._snapshots
        if manager is not None:
            self._snapshots = None
            self._core.remove_frame_end_hook(manager.on_frame_end)

    def snapshot(self, reason: str = "api") -> dict[str, Any]:
        """The allocator's state as JSON-ready data; also written to a file when snapshots
        are enabled (its path is under the ``"file"`` key)."""
        manager = self._snapshots
        if manager is None:
            return allocator_state(
                self._core, reason=reason, behavior=self._behavior.recorded_report()
            )
        data = manager.state(reason)
        data["file"] = str(manager.write(data))
        return data

    def poll_snapshot_requests(self) -> Path | None:
        """Answer a pending ``snapshot.request`` now; returns the file written, if any."""
        manager = self._snapshots
        return manager.poll() if manager is not None else None

    # --- context ----------------------------------------------------------------------------

    def diag_context(self) -> DiagContext:
        """The calling thread's :class:`DiagContext` for this allocator."""
        return DiagContext.capture(self._core)
