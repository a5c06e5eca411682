"""Profiler hooks: a stream of memory events for Tracy, Optick or a custom profiler.

Example::

    hooks = alloc.attach_profiler_hooks()
    hooks.set_callback(lambda e: print(e.type.name, e.size, e.tag))
    with profiler_zone("physics"):
        ...

Zones from :func:`profiler_zone` also become begin/end slices in a running Chrome trace.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framealloc_engine.allocators.buffer import data_address

if TYPE_CHECKING:
    import numpy as np

    from framealloc_engine.core.allocator import AllocatorCore
    from framealloc_engine.core.thread_state import ThreadState

__all__ = [
    "MemoryEvent",
    "MemoryEventType",
    "ProfilerHooks",
    "ZoneSink",
    "add_zone_sink",
    "profiler_zone",
    "remove_zone_sink",
]


class MemoryEventType(enum.Enum):
    """What a :class:`MemoryEvent` reports."""

    ALLOC = "alloc"
    FREE = "free"
    FRAME_MARK = "frame_mark"
    ZONE_BEGIN = "zone_begin"
    ZONE_END = "zone_end"


@dataclass(frozen=True, slots=True)
class MemoryEvent:
    """One profiler event. Fields that do not apply to the type are 0 or ``""``.

    Attributes:
        type: Event type.
        thread_id: Thread it happened on.
        timestamp_ns: ``time.perf_counter_ns()`` when it happened.
        address: Data address of the array (alloc/free).
        size: Bytes (alloc/free).
        kind: ``"frame"``, ``"pool"`` or ``"heap"`` (alloc/free).
        tag: Tag path at the time (alloc).
        frame_number: Frame number (frame mark; alloc).
        name: Zone name (zone begin/end).
    """

    type: MemoryEventType
    thread_id: int
    timestamp_ns: int
    address: int = 0
    size: int = 0
    kind: str = ""
    tag: str = ""
    frame_number: int = 0
    name: str = ""


Callback = Callable[[MemoryEvent], None]
#: Receives ``(zone name, True on begin / False on end, thread id)``.
ZoneSink = Callable[[str, bool, int], None]

_sinks: list[ZoneSink] = []
_sinks_lock = threading.Lock()


def add_zone_sink(sink: ZoneSink) -> None:
    """Receive every :func:`profiler_zone` begin and end."""
    global _sinks
    with _sinks_lock:
        if sink not in _sinks:
            _sinks = [*_sinks, sink]


def remove_zone_sink(sink: ZoneSink) -> None:
    """Stop receiving zones (no error if not added)."""
    global _sinks
    with _sinks_lock:
        _sinks = [s for s in _sinks if s != sink]


@contextmanager
def profiler_zone(name: str, hooks: ProfilerHooks | None = None) -> Iterator[None]:
    """A named zone for the duration of a ``with`` block.

    Reported to ``hooks`` when given, otherwise to every attached :class:`ProfilerHooks`
    and running trace. Costs two list checks when nothing listens.
    """
    tid = threading.get_ident()
    sinks = [hooks.on_zone] if hooks is not None else _sinks
    for sink in sinks:
        sink(name, True, tid)
    try:
        yield
    finally:
        for sink in sinks:
            sink(name, False, tid)


class ProfilerHooks:
    """Reports allocations, frees, frame marks and zones to callbacks.

    Attach with ``alloc.attach_profiler_hooks(hooks)``: it installs an allocation observer
    and receives :func:`profiler_zone` zones while attached.
    """

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []
        self._alloc: AllocatorCore | None = None

    def set_callback(self, callback: Callback | None) -> None:
        """Replace every callback with ``callback`` (``None`` removes them all)."""
        self._callbacks = [] if callback is None else [callback]

    def add_callback(self, callback: Callback) -> None:
        """Add a callback beside the existing ones."""
        self._callbacks = [*self._callbacks, callback]

    def _send(self, event: MemoryEvent) -> None:
        for callback in self._callbacks:
            callback(event)

    def zone(self, name: str) -> Any:
        """A zone reported to these hooks only (see :func:`profiler_zone`)."""
        return profiler_zone(name, self)

    def on_zone(self, name: str, begin: bool, thread_id: int) -> None:
        """A zone began (``begin``) or ended on ``thread_id``: forward it to the callbacks."""
        if self._callbacks:
            kind = MemoryEventType.ZONE_BEGIN if begin else MemoryEventType.ZONE_END
            self._send(MemoryEvent(kind, thread_id, time.perf_counter_ns(), name=name))

    # --- attachment -------------------------------------------------------------------------

    def attach(self, alloc: AllocatorCore) -> None:
        """Start observing ``alloc`` and receiving zones."""
        self._alloc = alloc
        alloc.add_observer(self)
        add_zone_sink(self.on_zone)

    def detach(self) -> None:
        """Stop observing."""
        remove_zone_sink(self.on_zone)
        if self._alloc is not None:
            self._alloc.remove_observer(self)
            self._alloc = None

    # --- AllocObserver ----------------------------------------------------------------------

    def before_alloc(self, state: ThreadState, kind: str, nbytes: int) -> None:
        """Nothing before an allocation."""

    def after_alloc(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Report :attr:`MemoryEventType.ALLOC`."""
        if self._callbacks:
            self._send(
                MemoryEvent(
                    MemoryEventType.ALLOC, state.thread_id, time.perf_counter_ns(),
                    data_address(array), nbytes, kind, state.tag_path, state.frame_number,
                )
            )

    def after_free(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Report :attr:`MemoryEventType.FREE`."""
        if self._callbacks:
            self._send(
                MemoryEvent(
                    MemoryEventType.FREE, state.thread_id, time.perf_counter_ns(),
                    data_address(array), nbytes, kind,
                )
            )

    def on_frame_begin(self, state: ThreadState) -> None:
        """Nothing at frame begin (the mark is at the end, like Tracy's ``FrameMark``)."""

    def on_frame_end(self, state: ThreadState, count: int, nbytes: int) -> None:
        """Report :attr:`MemoryEventType.FRAME_MARK`."""
        if self._callbacks:
            self._send(
                MemoryEvent(
                    MemoryEventType.FRAME_MARK, state.thread_id, time.perf_counter_ns(),
                    size=nbytes, kind="frame", frame_number=state.frame_number,
                )
            )
