"""How the workers demo's systems talk across threads: transfer mailboxes and a ledger.

Physics and AI run at the same time on different worker threads, so neither may read what
the other is writing. They exchange results through :class:`Mailbox` es of
``TransferHandle`` s instead: a handle is created and ``send()`` -ed on the producing thread
(``alloc.frame_box_for_transfer(packet).send()``) and ``receive()`` -d exactly once on the
consuming thread. The value is a :class:`Packet`: an array in the mailbox's heap memory,
handed over by reference, so a transfer allocates nothing.

A mailbox has two slots. What is posted in frame ``k`` goes to slot ``k % 2`` and is taken
in frame ``k + lag``: with ``lag=1`` sender and receiver may run in parallel (the receiver
only ever sees last frame's value, so the result never depends on which thread ran first);
with ``lag=0`` the receiver must be ordered after the sender.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from framealloc_engine import (
    FrameBarrier,
    SmartAlloc,
    ThreadBudgetConfig,
    ThreadBudgetStats,
    TransferHandle,
)

__all__ = [
    "BarrierProbe",
    "Links",
    "Mailbox",
    "Packet",
    "SystemRun",
    "ThreadLedger",
    "ThreadRecord",
]


class Packet:
    """An array handed over by reference inside a ``TransferHandle``.

    ``frame_box_for_transfer`` copies a numpy value into a fresh numpy buffer (a numpy
    allocation per transfer, outside the allocator) and holds any other object by reference;
    a packet refuses numpy's conversion (``__array__`` raises ``TypeError``), so the handle
    holds the packet and its array stays in the mailbox's heap block.

    Attributes:
        array: The slot's array (heap memory owned by the mailbox).
        frame: The frame it was filled in.
    """

    __slots__ = ("array", "frame")

    def __init__(self, array: np.ndarray) -> None:
        self.array = array
        self.frame = -1

    def __array__(self, *args: object, **kwargs: object) -> np.ndarray:
        raise TypeError("a Packet is handed over by reference, not converted to an array")


class Mailbox:
    """A two-slot hand-over of ``TransferHandle`` s from one system to another.

    Each slot owns a heap block for its packet's array; the sender fills the slot of the
    current frame (:meth:`pack`), wraps it in a handle and sends it (:meth:`post`), the
    receiver :meth:`take` s the handle and ``receive()`` s the packet. A slot is written
    again two frames later, after the receiver is done with it.

    Args:
        name: For display.
        lag: Frames between posting and taking (0 or 1).
        alloc: Owns the slots' blocks.
        dtype: The packets' dtype.
        shape: The packets' shape.
    """

    def __init__(
        self,
        name: str,
        lag: int,
        alloc: SmartAlloc,
        dtype: type[np.generic],
        shape: tuple[int, ...],
    ) -> None:
        if lag not in (0, 1):
            raise ValueError(f"lag must be 0 or 1, got {lag!r}")
        self.name = name
        self.lag = lag
        self._packets = (
            Packet(alloc.heap_alloc(dtype, shape)),
            Packet(alloc.heap_alloc(dtype, shape)),
        )
        self._slots: list[TransferHandle[Packet] | None] = [None, None]
        self.posted = 0
        self.taken = 0
        self.cancelled = 0
        #: Handles taken on another thread than the one that created them.
        self.crossed = 0

    def pack(self, frame: int, value: np.ndarray) -> Packet:
        """Copy ``value`` into the slot of ``frame`` (sender's thread); returns its packet."""
        packet = self._packets[frame & 1]
        np.copyto(packet.array, value)
        packet.frame = frame
        return packet

    def post(self, frame: int, handle: TransferHandle[Packet]) -> None:
        """Leave a sent (IN_FLIGHT) handle for the receiver (sender's thread)."""
        slot = frame & 1
        stale = self._slots[slot]
        if stale is not None:  # never taken: take the value back rather than drop it
            stale.cancel()
            self.cancelled += 1
        self._slots[slot] = handle
        self.posted += 1

    def take(self, frame: int) -> TransferHandle[Packet] | None:
        """The handle meant for frame ``frame`` (receiver's thread), or None."""
        slot = (frame - self.lag) & 1
        handle = self._slots[slot]
        self._slots[slot] = None
        if handle is not None:
            self.taken += 1
            if handle.origin_thread != threading.get_ident():
                self.crossed += 1
        return handle

    def clear(self) -> None:
        """Cancel whatever is still in flight."""
        for slot, handle in enumerate(self._slots):
            if handle is not None:
                handle.cancel()
                self.cancelled += 1
                self._slots[slot] = None


class Links:
    """The demo's mailboxes (a resource, shared read-only by the systems).

    Attributes:
        to_ai: Physics → AI: the bodies ``(4, n)`` after the physics step (lag 1).
        to_physics: AI → physics: the steering ``(2, n)`` (lag 1).
        to_render: Physics → render: contact counts ``(n,)`` (lag 0).
    """

    def __init__(self, alloc: SmartAlloc, n: int) -> None:
        self.to_ai = Mailbox("physics->ai", 1, alloc, np.float32, (4, n))
        self.to_physics = Mailbox("ai->physics", 1, alloc, np.float32, (2, n))
        self.to_render = Mailbox("physics->render", 0, alloc, np.float32, (n,))

    @property
    def mailboxes(self) -> tuple[Mailbox, ...]:
        """All three."""
        return (self.to_ai, self.to_physics, self.to_render)


@dataclass
class ThreadRecord:
    """What one thread did (updated only by that thread).

    Attributes:
        name: ``threading.current_thread().name``.
        ident: ``threading.get_ident()``.
        runs: Runs per system name.
        last_frame: The last frame a system ran here.
        last_system: Its name.
        budget: ``thread_budget_stats()`` read at the end of the last system it ran.
    """

    name: str
    ident: int
    runs: Counter[str] = field(default_factory=Counter)
    last_frame: int = 0
    last_system: str = ""
    budget: ThreadBudgetStats | None = None


@dataclass(frozen=True, slots=True)
class SystemRun:
    """One run of a system: where and when (``perf_counter`` seconds)."""

    thread: str
    frame: int
    start: float
    end: float


class ThreadLedger:
    """Which thread ran which system, and each thread's budget usage (a resource).

    Systems call :meth:`enter` first and :meth:`leave` last, from their own thread. A
    thread's first :meth:`enter` gives it the demo's per-thread budgets
    (``alloc.set_thread_budget_config(threading.get_ident(), config)``): worker threads
    exist only once the executor dispatches, so this is where their ids are known.

    Args:
        config: The budgets every simulation thread gets.
    """

    def __init__(self, config: ThreadBudgetConfig) -> None:
        self.config = config
        self.threads: dict[int, ThreadRecord] = {}
        self.last: dict[str, SystemRun] = {}
        self.threads_of: dict[str, set[str]] = {}
        self.overlapping_frames = 0
        self._lock = threading.Lock()

    def enter(self, alloc: SmartAlloc) -> tuple[ThreadRecord, float]:
        """The calling thread's record (created, with budgets, on first use) and the start
        time."""
        ident = threading.get_ident()
        record = self.threads.get(ident)
        if record is None:
            alloc.set_thread_budget_config(ident, self.config)
            record = ThreadRecord(threading.current_thread().name, ident)
            with self._lock:
                self.threads[ident] = record
        return record, time.perf_counter()

    def leave(
        self, system: str, record: ThreadRecord, alloc: SmartAlloc, frame: int, start: float
    ) -> None:
        """Record a finished run of ``system`` (on the thread that ran it)."""
        record.runs[system] += 1
        record.last_frame = frame
        record.last_system = system
        record.budget = alloc.thread_budget_stats()
        self.last[system] = SystemRun(record.name, frame, start, time.perf_counter())
        names = self.threads_of.get(system)
        if names is None or record.name not in names:
            with self._lock:
                self.threads_of[system] = {*(names or ()), record.name}

    def note_overlap(self, a: str, b: str, frame: int) -> bool:
        """Count ``frame`` if systems ``a`` and ``b`` ran at overlapping times in it
        (called after both, on the main thread)."""
        ra, rb = self.last.get(a), self.last.get(b)
        if ra is None or rb is None or ra.frame != frame or rb.frame != frame:
            return False
        overlap = min(ra.end, rb.end) > max(ra.start, rb.start)
        self.overlapping_frames += overlap
        return overlap


@dataclass
class BarrierProbe:
    """The app's frame barrier, as a resource the panel can read.

    Attributes:
        barrier: ``app.frame_barrier``: worker threads that ran systems meet the main thread
            there at each frame's end, before any arena is reset.
        waits_last_frame: Waits counted in the last complete frame (threads that met).
    """

    barrier: FrameBarrier
    waits_last_frame: int = 0
    _waits: int = 0

    def sample(self) -> None:
        """Update :attr:`waits_last_frame` (main thread, once per frame)."""
        waits = self.barrier.stats().waits
        self.waits_last_frame = waits - self._waits
        self._waits = waits
