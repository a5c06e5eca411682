"""Running a compiled schedule: single-threaded, or on a pool of worker threads.

Multi-threaded runs obey two rules, both fixed at build time: a system starts only when
every system ordered before it has finished, and two conflicting systems (one writes what
the other reads or writes) are always ordered, by ``conflict_edges``. So no conflicting pair
can overlap, and every conflicting pair runs in the same order as the single-threaded
executor runs it: results are identical.

Handing a system to another thread costs tens of microseconds, more than most systems
take. The executor therefore times systems on a few sampled runs and dispatches only the
*heavy* ones (above ``inline_threshold``) to workers; the rest, and every main-thread-only
system, run inline on the calling (main) thread. A schedule with fewer than two heavy
systems runs exactly like the single-threaded executor. ``inline_threshold=0`` dispatches
every system that may leave the main thread (tests use it to stress the pool).

Worker threads begin their allocator frame lazily, before the first system they run in a
frame; at the frame's end every thread that ran a system meets at the app's
``FrameBarrier``, and only then do the thread-end hooks (``end_frame``) run.
"""

from __future__ import annotations

import enum
import heapq
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from queue import SimpleQueue
from typing import Any

from framealloc_engine.app.errors import SystemRunError
from framealloc_engine.app.schedule import CompiledSchedule, CompiledSystem
from framealloc_engine.app.world import World
from framealloc_engine.sync.barrier import FrameBarrier

__all__ = ["Executor", "ExecutorKind", "ExecutorSettings", "ThreadHooks"]

_perf = time.perf_counter


class ExecutorKind(enum.Enum):
    """Which executor runs the schedules."""

    SINGLE_THREADED = "single_threaded"
    MULTI_THREADED = "multi_threaded"


@dataclass(frozen=True, slots=True)
class ExecutorSettings:
    """How schedules run.

    Attributes:
        kind: Single- or multi-threaded.
        threads: Threads that run systems, the main thread included; default
            ``os.cpu_count()``. 1 means single-threaded.
        inline_threshold: Seconds; systems measured faster than this run inline on the
            main thread. 0 dispatches every system that may leave the main thread.
        profile_runs: Timed runs of each schedule before classification.
        profile_period: While a schedule runs inline, re-time it every this many runs
            (systems change cost over time); dispatched runs are always timed.
    """

    kind: ExecutorKind = ExecutorKind.MULTI_THREADED
    threads: int | None = None
    inline_threshold: float = 1e-4
    profile_runs: int = 3
    profile_period: int = 256

    def __post_init__(self) -> None:
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be a positive int or None, got {self.threads!r}")
        if self.inline_threshold < 0:
            raise ValueError("inline_threshold must be >= 0")
        if self.profile_runs < 1 or self.profile_period < 1:
            raise ValueError("profile_runs and profile_period must be >= 1")

    @classmethod
    def single_threaded(cls) -> ExecutorSettings:
        """Every system on the calling thread, in the schedule's topological order."""
        return cls(ExecutorKind.SINGLE_THREADED)

    @classmethod
    def multi_threaded(
        cls, threads: int | None = None, inline_threshold: float = 1e-4
    ) -> ExecutorSettings:
        """A worker pool of ``threads - 1`` threads plus the main thread."""
        return cls(ExecutorKind.MULTI_THREADED, threads, inline_threshold)

    @property
    def worker_count(self) -> int:
        """Worker threads besides the main thread."""
        if self.kind is ExecutorKind.SINGLE_THREADED:
            return 0
        total = self.threads if self.threads is not None else (os.cpu_count() or 1)
        return max(0, total - 1)


@dataclass(slots=True)
class ThreadHooks:
    """Per-thread hooks: ``started`` runs on each worker thread once, when the pool starts
    (before the pool is used: per-thread state made there is never made mid-frame later);
    ``begin`` runs on a thread before its first system of a frame, ``end`` on each such
    thread after the frame's barrier (``SmartAllocPlugin``)."""

    begin: list[Callable[[], None]] = field(default_factory=list)
    end: list[Callable[[], None]] = field(default_factory=list)
    started: list[Callable[[], None]] = field(default_factory=list)


class _Worker:
    __slots__ = ("frame", "name", "queue")

    def __init__(self, name: str) -> None:
        self.name = name
        self.queue: SimpleQueue[Any] = SimpleQueue()
        self.frame: int | None = None


class _EndFrame:
    __slots__ = ("barrier", "frame")

    def __init__(self, barrier: FrameBarrier, frame: int) -> None:
        self.barrier = barrier
        self.frame = frame


def _worker_main(
    worker: _Worker, done: SimpleQueue[Any], hooks: ThreadHooks, ready: SimpleQueue[Any]
) -> None:
    get, put = worker.queue.get, done.put
    try:
        for hook in hooks.started:
            hook()
    except BaseException as exc:  # reported on the thread that started the pool
        ready.put(exc)
        return
    ready.put(None)
    while True:
        job = get()
        if job is None:
            return
        if type(job) is _EndFrame:
            error: BaseException | None = None
            try:
                job.barrier.signal_frame_complete()
                job.barrier.wait_all()
                for hook in hooks.end:
                    hook()
            except BaseException as exc:  # reported on the main thread
                error = exc
            worker.frame = None
            put((worker, None, 0.0, error))
            continue
        system, frame = job
        try:
            if frame is not None and worker.frame != frame:
                for hook in hooks.begin:
                    hook()
                worker.frame = frame
            start = _perf()
            system.fn(*system.args)
            put((worker, system, _perf() - start, None))
        except BaseException as exc:
            put((worker, system, 0.0, exc))


class _Pool:
    def __init__(self, count: int, hooks: ThreadHooks) -> None:
        self.done: SimpleQueue[Any] = SimpleQueue()
        self.workers = [_Worker(f"framealloc-worker-{i}") for i in range(count)]
        ready: SimpleQueue[Any] = SimpleQueue()
        self.threads = [
            threading.Thread(
                target=_worker_main, args=(w, self.done, hooks, ready), name=w.name,
                daemon=True,
            )  # fmt: skip
            for w in self.workers
        ]
        for thread in self.threads:
            thread.start()
        # Every worker ran its started hooks before the pool takes work.
        errors = [ready.get(timeout=30) for _ in self.threads]
        failed = [e for e in errors if e is not None]
        if failed:
            self.close()
            raise failed[0]

    def close(self, join: bool = True, timeout: float = 5.0) -> None:
        for worker in self.workers:
            worker.queue.put(None)
        if join:
            current = threading.current_thread()
            for thread in self.threads:
                if thread is not current:
                    thread.join(timeout)


def _fail(schedule: CompiledSchedule, system: CompiledSystem, exc: BaseException) -> None:
    if not isinstance(exc, Exception):
        raise exc
    raise SystemRunError(
        f"system '{system.name}' in schedule {schedule.label.name} raised "
        f"{type(exc).__name__}: {exc}",
        system=system.name,
        schedule=schedule.label.name,
    ) from exc


class Executor:
    """Runs compiled schedules for one app (owns the worker pool).

    Args:
        settings: Executor settings.
        hooks: The app's per-thread frame hooks.
    """

    def __init__(self, settings: ExecutorSettings, hooks: ThreadHooks) -> None:
        self.settings = settings
        self.hooks = hooks
        self._workers = settings.worker_count
        self._threshold = settings.inline_threshold
        self._pool: _Pool | None = None

    @property
    def worker_names(self) -> list[str]:
        """Names of the started worker threads (empty before the first dispatch)."""
        return [w.name for w in self._pool.workers] if self._pool else []

    def close(self) -> None:
        """Stop the worker threads (they finish their current job first)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # --- running ----------------------------------------------------------------------------

    def run(self, schedule: CompiledSchedule, world: World, frame: int | None) -> None:
        """Run every system of ``schedule`` once, then apply its commands.

        Raises:
            SystemRunError: a system (or its run condition) raised; no system is left
                running and the original exception is the ``__cause__``.
        """
        if not schedule.validated:
            schedule.validate(world)
        schedule.runs += 1
        if self._workers:
            runs = schedule.runs
            settings = self.settings
            if self._threshold <= 0.0 or (
                schedule.heavy_count >= 2 and runs > settings.profile_runs
            ):
                self._dispatch(schedule, frame)  # dispatch runs time every system anyway
            elif runs <= settings.profile_runs or runs % settings.profile_period == 0:
                self._run_timed(schedule)
            else:
                self._run_inline(schedule)
        else:
            self._run_inline(schedule)
        for commands in schedule.commands:
            if commands.pending:
                commands.apply(world)

    def _run_inline(self, schedule: CompiledSchedule) -> None:
        if schedule.simple:
            fn: Any = None
            try:
                for fn, args in schedule.calls:
                    fn(*args)
            except BaseException as exc:
                _fail(schedule, schedule.fn_index[fn], exc)
            return
        cache: list[bool | None] = [None] * len(schedule.set_conditions)
        for system in schedule.systems:
            try:
                if self._allowed(schedule, system, cache):
                    system.fn(*system.args)
            except BaseException as exc:
                _fail(schedule, system, exc)

    def _run_timed(self, schedule: CompiledSchedule) -> None:
        cache: list[bool | None] = [None] * len(schedule.set_conditions)
        threshold = self._threshold
        heavy = 0
        for system in schedule.systems:
            try:
                if self._allowed(schedule, system, cache):
                    start = _perf()
                    system.fn(*system.args)
                    cost = _perf() - start
                    system.cost = cost if system.cost == 0.0 else 0.5 * (system.cost + cost)
            except BaseException as exc:
                _fail(schedule, system, exc)
            system.heavy = not system.main_thread and system.cost >= threshold
            heavy += system.heavy
        schedule.heavy_count = heavy

    @staticmethod
    def _allowed(
        schedule: CompiledSchedule, system: CompiledSystem, cache: list[bool | None]
    ) -> bool:
        for sid in system.set_conditions:
            verdict = cache[sid]
            if verdict is None:
                verdict = cache[sid] = bool(schedule.set_conditions[sid]())
            if not verdict:
                return False
        return all(check() for check in system.conditions)

    def _dispatch(self, schedule: CompiledSchedule, frame: int | None) -> None:
        pool = self._pool
        if pool is None:
            pool = self._pool = _Pool(self._workers, self.hooks)
            # an app dropped without shutdown() must not leak its threads
            weakref.finalize(self, pool.close, False)
        systems = schedule.systems
        threshold = self._threshold
        deps = schedule.initial_deps.copy()
        ready = [i for i, d in enumerate(deps) if d == 0]  # ascending: already a heap
        cache: list[bool | None] = [None] * len(schedule.set_conditions)
        idle = list(reversed(pool.workers))
        local: list[int] = []
        done = pool.done
        pop, push = heapq.heappop, heapq.heappush
        remaining = len(systems)
        in_flight = 0
        failure: tuple[CompiledSystem, BaseException] | None = None
        allowed = self._allowed

        def finish(s: CompiledSystem) -> None:
            for d in s.dependents:
                deps[d] -= 1
                if deps[d] == 0:
                    push(ready, d)

        while remaining:
            while ready and failure is None:
                s = systems[pop(ready)]
                if s.conditions or s.set_conditions:
                    try:
                        run = allowed(schedule, s, cache)
                    except BaseException as exc:
                        failure = (s, exc)
                        break
                    if not run:
                        remaining -= 1
                        finish(s)
                        continue
                if idle and not s.main_thread and (s.heavy or threshold <= 0.0):
                    idle.pop().queue.put((s, frame))
                    in_flight += 1
                else:
                    local.append(s.index)
            if local and failure is None:
                s = systems[local.pop(0)]
                try:
                    start = _perf()
                    s.fn(*s.args)
                    s.cost = 0.5 * (s.cost + (_perf() - start))
                except BaseException as exc:
                    failure = (s, exc)
                remaining -= 1
                finish(s)
                continue
            if not in_flight:
                break
            worker, s, cost, raised = done.get()
            in_flight -= 1
            idle.append(worker)
            if raised is not None:
                if failure is None:
                    failure = (s, raised)
            else:
                s.cost = 0.5 * (s.cost + cost)
            remaining -= 1
            finish(s)
        if failure is not None:
            _fail(schedule, *failure)
        if threshold > 0.0:
            heavy = 0
            for s in systems:
                s.heavy = not s.main_thread and s.cost >= threshold
                heavy += s.heavy
            schedule.heavy_count = heavy

    # --- frame end --------------------------------------------------------------------------

    def end_frame(self, frame: int, barrier: FrameBarrier) -> list[BaseException]:
        """Meet every thread that ran systems this frame at ``barrier``, then run the
        thread-end hooks on each of them (main thread included).

        Returns:
            Exceptions raised by hooks or barrier waits (empty when all went well).
        """
        pool = self._pool
        participants = [w for w in pool.workers if w.frame == frame] if pool else []
        hooks = self.hooks
        errors: list[BaseException] = []
        if not hooks.end and not hooks.begin:
            return errors
        for worker in participants:
            barrier.register_thread(worker.name)
        for worker in participants:
            worker.queue.put(_EndFrame(barrier, frame))
        try:
            barrier.signal_frame_complete()
            barrier.wait_all()
            for hook in hooks.end:
                hook()
        except BaseException as exc:
            errors.append(exc)
        if pool is not None:
            for _ in participants:
                raised = pool.done.get()[3]
                if raised is not None:
                    errors.append(raised)
        for worker in participants:
            barrier.unregister_thread(worker.name)
        return errors
