"""``SmartAllocPlugin``: the allocator as an app resource, with frames tied to app frames.

Frame hooks (the design choice):

* The main thread begins its frame eagerly, as the first thing of every ``app.update()``
  (startup systems on the first frame can allocate too).
* A worker thread begins its frame lazily, just before the first system it runs in a
  frame. Workers that run nothing in a frame pay nothing, and frames where every system
  ran inline cost no cross-thread round trip; a system still never sees a thread whose
  frame is not active.
* After ``Last``, every thread that ran a system signals the app's ``FrameBarrier``; each
  ends its frame (resetting its arena) only once all of them have arrived, so no system
  can still be reading frame memory another thread is about to reset.

FA102 (frame hooks not run) is reported when a schedule using ``AllocResource`` runs
outside ``app.update()``, or when a thread's frame was ended or begun behind the plugin's
back. By default it is emitted as a warning diagnostic (logger ``framealloc``, subject to strict
mode); ``strict=True`` raises it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from framealloc_engine.app.plugin import Plugin
from framealloc_engine.app.system import SystemConfig, system
from framealloc_engine.bridge.resource import AllocResource
from framealloc_engine.config import AllocConfig
from framealloc_engine.diagnostics import fa_emit, set_context_allocator, set_engine_context
from framealloc_engine.errors import FrameHooksNotRunError, FrameStateError, PluginMissingError
from framealloc_engine.smart import SmartAlloc

if TYPE_CHECKING:
    from framealloc_engine.app.app import App
    from framealloc_engine.app.schedule import CompiledSchedule, ScheduleLabel
    from framealloc_engine.app.world import World

__all__ = ["SmartAllocPlugin", "capturing"]


class SmartAllocPlugin(Plugin):
    """Inserts :class:`AllocResource` and runs each thread's frame with the app's frames.

    Args:
        config: Allocator configuration (``AllocConfig()`` when omitted).
        alloc: Use this allocator instead of creating one (``config`` must then be None).
        strict: Raise FA102 instead of warning.
        capture_numpy: numpy's own allocations in every system come from frame memory
            (each thread captures for the whole of its frame; see ``SmartAlloc.capture_numpy``
            and, for chosen systems only, :func:`~framealloc_engine.bridge.capturing`).

    Example::

        App().add_plugins(SmartAllocPlugin.high_performance()).add_systems(Update, mesh)
    """

    def __init__(
        self,
        config: AllocConfig | None = None,
        *,
        alloc: SmartAlloc | None = None,
        strict: bool = False,
        capture_numpy: bool = False,
    ) -> None:
        if alloc is not None and config is not None:
            raise ValueError("pass either config or alloc to SmartAllocPlugin, not both")
        self.config = config if config is not None else (
            alloc.config if alloc is not None else AllocConfig()
        )
        self._alloc = alloc
        self.strict = strict
        self.capture_numpy = capture_numpy
        #: Capture scopes open on each thread (entered at its frame's begin, left at its end).
        self._captures = threading.local()
        self.resource: AllocResource | None = None
        self._alloc_in_use: SmartAlloc | None = None
        self.frames_begun = 0
        self.frames_ended = 0
        self.hooks_not_run = 0
        self._count_lock = threading.Lock()  # hooks run on several threads at once

    @classmethod
    def default(cls) -> SmartAllocPlugin:
        """``AllocConfig()``: 16 MiB arenas."""
        return cls(AllocConfig())

    @classmethod
    def minimal(cls) -> SmartAllocPlugin:
        """``AllocConfig.minimal()``: small footprint."""
        return cls(AllocConfig.minimal())

    @classmethod
    def high_performance(cls) -> SmartAllocPlugin:
        """``AllocConfig.high_performance()``: 64 MiB arenas, bigger pools."""
        return cls(AllocConfig.high_performance())

    def build(self, app: App) -> None:
        """Insert the resource and register the frame hooks and the FA102 guard."""
        alloc = self._alloc if self._alloc is not None else SmartAlloc(self.config)
        self._alloc_in_use = alloc
        self.resource = AllocResource(alloc)
        app.insert_resource(self.resource)
        set_engine_context(True)
        set_context_allocator(alloc)
        # Workers register with the allocator when the pool starts, not inside a frame.
        app.thread_hooks.started.append(self._register_thread)
        app.thread_hooks.begin.append(self._begin_thread_frame)
        app.thread_hooks.end.append(self._end_thread_frame)
        app.schedule_guards.append(self._guard)

    # --- hooks (run on the thread whose frame they manage) ----------------------------------

    def _register_thread(self) -> None:
        self._allocator().current_state()  # the worker's arena and pools, made now

    def _begin_thread_frame(self) -> None:
        alloc = self._allocator()
        try:
            alloc.begin_frame()
        except FrameStateError:  # (checked after the fact: nothing is paid on the usual path)
            if not alloc.frame_active:
                raise
            self._report(
                "frame hooks did not run: a frame was still active on this thread when the "
                "app frame began",
                "its end_frame() was skipped or someone called begin_frame() directly; the "
                "stale frame was ended",
            )
            alloc.end_frame()
            alloc.begin_frame()
        if self.capture_numpy:
            scope = alloc.capture_numpy()
            scope.__enter__()
            self._captures.scope = scope
        with self._count_lock:
            self.frames_begun += 1

    def _end_thread_frame(self) -> None:
        alloc = self._allocator()
        if self.capture_numpy:
            scope = getattr(self._captures, "scope", None)
            if scope is not None:
                self._captures.scope = None
                scope.__exit__(None, None, None)
        try:
            alloc.end_frame()
        except FrameStateError:
            if alloc.frame_active:
                raise
            self._report(
                "frame hooks did not run: no frame was active on this thread at the end of "
                "the app frame",
                "something ended this thread's frame outside SmartAllocPlugin",
            )
            return
        with self._count_lock:
            self.frames_ended += 1

    def _guard(self, label: ScheduleLabel, compiled: CompiledSchedule) -> None:
        if compiled.accesses(AllocResource):
            self._report(
                f"schedule {label.name} uses AllocResource but runs outside app.update(), "
                "so the frame hooks did not run",
                "frame allocations need the frame SmartAllocPlugin begins in app.update()",
            )

    def _allocator(self) -> SmartAlloc:
        alloc = self._alloc_in_use
        assert alloc is not None, "SmartAllocPlugin.build() has not run"
        return alloc

    def _report(self, message: str, note: str) -> None:
        with self._count_lock:
            self.hooks_not_run += 1
        error = FrameHooksNotRunError(
            message,
            note=note,
            help="let app.update() drive frames; do not call begin_frame()/end_frame() on "
            "the AllocResource's allocator yourself",
        )
        if self.strict:
            raise error
        # Through the diagnostics emitter: logged on "framealloc", and strict mode
        # (FRAMEALLOC_STRICT=warning, set_strict_mode) turns it into StrictModeViolation.
        fa_emit(error.code, error.message, note=error.note, help=error.help)


def capturing(fn: Callable[..., Any] | SystemConfig) -> SystemConfig:
    """A system whose numpy allocations come from frame memory (its ``a + b``, ``np.sin(x)``
    temporaries), every time it runs, on whichever thread runs it.

    Example::

        app.add_systems(Update, capturing(physics), render)

    Needs :class:`SmartAllocPlugin` (its allocator) and the native extension (FA903
    otherwise). To capture in every system, use ``SmartAllocPlugin(capture_numpy=True)``.
    """
    return system(fn).within(_capture_in)


def _capture_in(world: World) -> AbstractContextManager[None]:
    resource = world.get_resource(AllocResource)
    if resource is None:
        raise PluginMissingError(
            "capturing() needs SmartAllocPlugin: no AllocResource in the app",
            help="app.add_plugins(SmartAllocPlugin.default())",
        )
    return resource.alloc.capture_numpy()
