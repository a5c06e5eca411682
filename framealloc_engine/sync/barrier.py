"""``FrameBarrier``: deterministic frame-boundary synchronisation across threads.

Each thread that shares a frame boundary calls :meth:`FrameBarrier.signal_frame_complete`
when its frame work is done, then :meth:`FrameBarrier.wait_all`; a coordinator resets
arenas only once every thread has arrived::

    barrier = FrameBarrier(3)            # main + 2 workers
    barrier.signal_frame_complete()      # on every thread
    barrier.wait_all()                   # returns once all 3 have signalled
    alloc.end_frame()                    # safe: nobody still uses last frame's memory
    barrier.reset()

A *generation* is one frame. When the last expected thread signals, the generation is
complete and the next one starts at once, so a fast thread may signal the next frame before
a slow one has woken up: no wake-up is lost and no thread can be counted twice. Each thread
waits for the generation it signalled in; a coordinator that does not signal passes the
generation it waits for (see :meth:`FrameBarrier.wait_all`).
"""

from __future__ import annotations

import threading
import time
from _thread import allocate_lock
from dataclasses import dataclass
from typing import Any

from framealloc_engine.errors import FrameStateError

__all__ = ["BarrierStats", "FrameBarrier", "FrameBarrierBuilder"]

_perf = time.perf_counter


class _Generation:
    """One frame's rendezvous: a count and a gate lock held until the frame completes."""

    __slots__ = ("arrived", "done", "gate", "number")

    def __init__(self, number: int) -> None:
        self.number = number
        self.arrived = 0
        self.done = False
        gate = allocate_lock()
        gate.acquire()
        self.gate = gate


@dataclass(frozen=True, slots=True)
class BarrierStats:
    """A snapshot of a barrier's wait statistics.

    Attributes:
        waits: Calls to ``wait_all``/``wait_timeout`` that returned.
        total_wait_time: Seconds spent blocked in those calls, summed.
        max_wait_time: The longest single wait, in seconds.
        timeouts: ``wait_timeout`` calls that gave up.
        generations: Frames completed so far.
    """

    waits: int
    total_wait_time: float
    max_wait_time: float
    timeouts: int
    generations: int

    @property
    def mean_wait_time(self) -> float:
        """Average seconds per wait (0.0 before the first wait)."""
        return self.total_wait_time / self.waits if self.waits else 0.0


class FrameBarrier:
    """A reusable barrier for ``expected`` threads that share a frame boundary.

    Args:
        expected: Number of threads that must signal before a frame is complete (>= 1).
        names: Optional names of the participating threads (diagnostics only).

    Raises:
        ValueError: ``expected`` is not a positive int.
    """

    __slots__ = (
        "_current",
        "_expected",
        "_last_done",
        "_local",
        "_lock",
        "_max_wait",
        "_names",
        "_timeouts",
        "_total_wait",
        "_waits",
    )

    def __init__(self, expected: int, *, names: tuple[str, ...] = ()) -> None:
        if isinstance(expected, bool) or not isinstance(expected, int) or expected < 1:
            raise ValueError(f"FrameBarrier needs at least one thread, got {expected!r}")
        self._expected = expected
        self._names = list(names)
        self._lock = allocate_lock()
        self._current = _Generation(0)
        self._last_done = -1
        self._local = threading.local()
        self._waits = 0
        self._total_wait = 0.0
        self._max_wait = 0.0
        self._timeouts = 0

    # --- the frame protocol -----------------------------------------------------------------

    def signal_frame_complete(self) -> int:
        """Record that the calling thread finished its frame work (never blocks).

        Returns:
            The generation (frame number) the signal counted towards.

        Raises:
            FrameStateError: (FA001) the calling thread already signalled this frame (one
                thread cannot stand in for another: the frame would complete while a
                participant is still working).
        """
        with self._lock:
            gen = self._current
            if getattr(self._local, "gen", None) is gen:
                raise FrameStateError(
                    f"thread {threading.current_thread().name!r} signalled frame "
                    f"{gen.number} of this FrameBarrier twice",
                    note=f"{gen.arrived} of {self._expected} signals arrived; each thread "
                    "signals once per frame",
                    help="call signal_frame_complete() once per thread per frame, then "
                    "wait_all()",
                )
            gen.arrived += 1
            if gen.arrived >= self._expected:
                self._complete(gen)
        self._local.gen = gen
        return gen.number

    def wait_all(self, generation: int | None = None) -> None:
        """Block until every expected thread has signalled.

        Args:
            generation: The frame to wait for. By default, the one the calling thread last
                signalled in, or the current one if it has not signalled (a coordinator
                that does not signal should pass the number it read from
                :attr:`generation` before handing out the frame's work).
        """
        self._wait(generation, None)

    def wait_timeout(self, seconds: float, generation: int | None = None) -> bool:
        """Like :meth:`wait_all`, giving up after ``seconds``.

        Returns:
            True if the frame completed, False if the timeout expired first.
        """
        return self._wait(generation, max(0.0, seconds))

    def reset(self) -> None:
        """Start the next frame now.

        After a completed frame this is a no-op (the next generation already started when
        the last thread signalled), so the spec's ``wait_all(); end_frame(); reset()``
        sequence works unchanged. On an incomplete frame it abandons the arrivals so far:
        the frame's waiters are released and ``wait_timeout`` reports False for them.
        """
        with self._lock:
            gen = self._current
            if gen.arrived:
                self._current = _Generation(gen.number + 1)
                gen.gate.release()  # abandoned: wake its waiters, done stays False

    def wait_and_reset(self) -> None:
        """:meth:`wait_all` then :meth:`reset`: the coordinator's end-of-frame step."""
        self._wait(None, None)
        self.reset()

    # --- membership -------------------------------------------------------------------------

    def register_thread(self, name: str | None = None) -> int:
        """Add one participant (from the next signal on).

        Args:
            name: Optional thread name, kept for diagnostics.

        Returns:
            The new expected thread count.
        """
        with self._lock:
            self._expected += 1
            if name is not None:
                self._names.append(name)
            return self._expected

    def unregister_thread(self, name: str | None = None) -> int:
        """Remove one participant; completes the current frame if it was the last missing.

        Args:
            name: The name given at registration, if any.

        Returns:
            The new expected thread count.

        Raises:
            ValueError: the barrier would have no participants left, or ``name`` is unknown.
        """
        with self._lock:
            if name is not None and name not in self._names:
                raise ValueError(f"thread {name!r} is not registered with this barrier")
            if self._expected <= 1:
                raise ValueError("cannot unregister the last thread of a FrameBarrier")
            if name is not None:
                self._names.remove(name)
            self._expected -= 1
            gen = self._current
            if gen.arrived and gen.arrived >= self._expected:
                self._complete(gen)
            return self._expected

    # --- introspection ----------------------------------------------------------------------

    @property
    def expected(self) -> int:
        """Number of threads that must signal per frame."""
        return self._expected

    @property
    def arrived(self) -> int:
        """Threads that signalled in the current (incomplete) frame."""
        return self._current.arrived

    @property
    def generation(self) -> int:
        """The current frame number; it increases by one each time a frame completes."""
        return self._current.number

    @property
    def thread_names(self) -> tuple[str, ...]:
        """Names given to the participating threads."""
        return tuple(self._names)

    def stats(self) -> BarrierStats:
        """Return a snapshot of the wait statistics."""
        with self._lock:
            return BarrierStats(
                self._waits,
                self._total_wait,
                self._max_wait,
                self._timeouts,
                self._last_done + 1,
            )

    def reset_stats(self) -> None:
        """Zero the wait statistics."""
        with self._lock:
            self._waits = 0
            self._total_wait = 0.0
            self._max_wait = 0.0
            self._timeouts = 0

    def __repr__(self) -> str:
        return (
            f"FrameBarrier(expected={self._expected}, arrived={self._current.arrived}, "
            f"generation={self._current.number})"
        )

    # --- internals --------------------------------------------------------------------------

    def _complete(self, gen: _Generation) -> None:
        # Lock held. Open this frame's gate and start the next frame immediately.
        gen.done = True
        self._last_done = gen.number
        self._current = _Generation(gen.number + 1)
        gen.gate.release()

    def _wait(self, number: int | None, timeout: float | None) -> bool:
        local = self._local
        gen: Any = getattr(local, "gen", None)
        if number is not None:
            if gen is None or gen.number != number:
                with self._lock:
                    current = self._current.number
                    gen = self._current if number == current else None
                if number > current:
                    raise ValueError(
                        f"cannot wait for frame {number}: the barrier is at frame {current}"
                    )
                if gen is None:  # an earlier frame: it completed or was abandoned
                    self._record(0.0)
                    return number <= self._last_done
        elif gen is None:
            gen = self._current
        local.gen = None
        start = _perf()
        if not gen.done:
            gate = gen.gate
            if timeout is None:
                gate.acquire()
            elif not gate.acquire(True, timeout):
                with self._lock:
                    self._timeouts += 1
                return False
            gate.release()  # domino: let the next waiter through
        self._record(_perf() - start)
        return bool(gen.done)

    def _record(self, waited: float) -> None:
        with self._lock:
            self._waits += 1
            self._total_wait += waited
            if waited > self._max_wait:
                self._max_wait = waited


class FrameBarrierBuilder:
    """Builds a :class:`FrameBarrier` from named threads.

    Example::

        barrier = FrameBarrierBuilder().with_thread("main").with_thread("physics").build()
    """

    __slots__ = ("_names",)

    def __init__(self) -> None:
        self._names: list[str] = []

    def with_thread(self, name: str) -> FrameBarrierBuilder:
        """Add a participating thread by name (names must be unique)."""
        if name in self._names:
            raise ValueError(f"thread {name!r} was already added to this FrameBarrierBuilder")
        self._names.append(name)
        return self

    def with_threads(self, *names: str) -> FrameBarrierBuilder:
        """Add several participating threads."""
        for name in names:
            self.with_thread(name)
        return self

    def build(self) -> FrameBarrier:
        """Return the barrier, expecting one signal per named thread.

        Raises:
            ValueError: no thread was added.
        """
        if not self._names:
            raise ValueError("FrameBarrierBuilder needs at least one with_thread(name)")
        return FrameBarrier(len(self._names), names=tuple(self._names))
