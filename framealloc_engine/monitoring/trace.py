"""Chrome Trace Event export: frames, phases, zones, tags and memory counters.

The file loads in Perfetto (ui.perfetto.dev) and ``chrome://tracing``. Example::

    with alloc.trace("frames.json"):
        for _ in range(600):
            with alloc.frame_scope(), alloc.phase_scope("update"):
                ...

What is written, per thread (``tid``; a ``thread_name`` metadata event names it):

* ``B``/``E`` pairs: ``frame`` (args: frame number; on end: bytes and allocations), every
  phase (``cat: "phase"``) and every :func:`profiler_zone` (``cat: "zone"``).
* ``C`` counters at each frame end: ``memory`` (frame/pool/heap/total live bytes),
  ``tag bytes`` and ``phase bytes`` (bytes allocated in that frame per tag/phase path).

Timestamps are microseconds since the trace started, taken under the writer's lock, so they
never decrease in file order. Memory stays bounded: events are streamed to the file, buffered
at most ``flush_every`` events and written at every frame end. Slices still open when the
trace stops are closed then, so begin/end always balance.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from framealloc_engine.monitoring.profiler import add_zone_sink, remove_zone_sink

if TYPE_CHECKING:
    import numpy as np

    from framealloc_engine.core.allocator import AllocatorCore
    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["TraceRecorder", "TraceWriter"]


def _label(path: str) -> str:
    return path if path else "(untagged)"


class TraceWriter:
    """Streams Trace Event JSON to a file.

    Args:
        path: Output file (overwritten).
        flush_every: Events buffered in memory before they are written out.
    """

    def __init__(self, path: str | os.PathLike[str], *, flush_every: int = 4096) -> None:
        self.path = Path(path)
        self.flush_every = max(1, flush_every)
        self._file: IO[str] | None = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        self._file.write('{"displayTimeUnit": "ms", "traceEvents": [\n')
        self._first = True
        self._buffer: list[str] = []
        self._lock = threading.Lock()
        self._t0 = time.perf_counter_ns()
        self._pid = os.getpid()
        self._tids: dict[int, int] = {}
        self._open: dict[int, list[tuple[str, str]]] = {}
        self.events_written = 0
        self._meta(0, "process_name", {"name": "framealloc"})

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` ran."""
        return self._file is None

    def _meta(self, tid: int, name: str, args: dict[str, Any]) -> None:
        self._push({"name": name, "ph": "M", "pid": self._pid, "tid": tid, "args": args})

    def _push(self, event: dict[str, Any]) -> None:
        self._buffer.append(json.dumps(event, separators=(",", ":")))
        if len(self._buffer) >= self.flush_every:
            self._write_buffer()

    def _write_buffer(self) -> None:
        if self._file is None or not self._buffer:
            return
        text = ",\n".join(self._buffer)
        self._file.write(text if self._first else ",\n" + text)
        self._first = False
        self.events_written += len(self._buffer)
        self._buffer = []

    def _tid(self, thread_id: int, thread_name: str | None) -> int:
        tid = self._tids.get(thread_id)
        if tid is None:
            tid = self._tids[thread_id] = len(self._tids) + 1
            name = thread_name if thread_name is not None else f"thread-{tid}"
            self._meta(tid, "thread_name", {"name": name})
            self._open[tid] = []
        return tid

    def _ts(self) -> float:
        return (time.perf_counter_ns() - self._t0) / 1000.0

    def begin(
        self,
        name: str,
        cat: str,
        thread_id: int,
        thread_name: str | None = None,
        args: dict[str, Any] | None = None,
    ) -> None:
        """Open a slice on a thread."""
        with self._lock:
            if self._file is None:
                return
            tid = self._tid(thread_id, thread_name)
            event: dict[str, Any] = {
                "name": name, "cat": cat, "ph": "B", "ts": self._ts(), "pid": self._pid,
                "tid": tid,
            }
            if args:
                event["args"] = args
            self._open[tid].append((name, cat))
            self._push(event)

    def end(
        self, name: str, cat: str, thread_id: int, args: dict[str, Any] | None = None
    ) -> bool:
        """Close the innermost slice ``name`` on a thread; ``False`` if it is not open.

        Slices opened inside it that are still open are closed first (keeps nesting valid).
        """
        with self._lock:
            tid = self._tids.get(thread_id)
            if self._file is None or tid is None:
                return False
            stack = self._open[tid]
            if (name, cat) not in stack:
                return False
            ts = self._ts()
            while stack:
                top_name, top_cat = stack.pop()
                event: dict[str, Any] = {
                    "name": top_name, "cat": top_cat, "ph": "E", "ts": ts, "pid": self._pid,
                    "tid": tid,
                }
                if (top_name, top_cat) == (name, cat):
                    if args:
                        event["args"] = args
                    self._push(event)
                    return True
                self._push(event)
            return True

    def counter(self, name: str, values: Mapping[str, int | float], thread_id: int) -> None:
        """A counter sample (``ph: "C"``); each key becomes a series."""
        with self._lock:
            if self._file is None:
                return
            tid = self._tid(thread_id, None)
            self._push(
                {"name": name, "ph": "C", "ts": self._ts(), "pid": self._pid, "tid": tid,
                 "args": dict(values)}
            )

    def flush(self) -> None:
        """Write buffered events to the file."""
        with self._lock:
            self._write_buffer()
            if self._file is not None:
                self._file.flush()

    def close(self) -> Path:
        """Close open slices, finish the JSON document and close the file."""
        with self._lock:
            if self._file is None:
                return self.path
            ts = self._ts()
            for tid, stack in self._open.items():
                while stack:
                    name, cat = stack.pop()
                    self._push(
                        {"name": name, "cat": cat, "ph": "E", "ts": ts, "pid": self._pid,
                         "tid": tid}
                    )
            self._write_buffer()
            self._file.write("\n]}\n")
            self._file.close()
            self._file = None
        return self.path


class TraceRecorder:
    """The allocation observer and phase listener that feed a :class:`TraceWriter`.

    Start with ``alloc.start_trace(path)``; stop with ``alloc.stop_trace()``.
    """

    def __init__(self, writer: TraceWriter, alloc: AllocatorCore) -> None:
        self.writer = writer
        self._alloc = alloc

    # --- wiring -----------------------------------------------------------------------------

    def attach(self) -> None:
        """Install as observer, phase listener and zone sink."""
        alloc = self._alloc
        alloc.add_observer(self)
        alloc.add_phase_listener(self.on_phase)
        add_zone_sink(self.on_zone)

    def detach(self) -> Path:
        """Uninstall and close the file; returns its path."""
        alloc = self._alloc
        remove_zone_sink(self.on_zone)
        alloc.remove_phase_listener(self.on_phase)
        alloc.remove_observer(self)
        return self.writer.close()

    # --- phases and zones -------------------------------------------------------------------

    def on_phase(self, state: ThreadState, name: str, entering: bool) -> None:
        """Phase begin/end as a ``phase`` slice."""
        if entering:
            self.writer.begin(
                name, "phase", state.thread_id, state.thread_name, {"path": state.phase_path}
            )
        else:
            self.writer.end(name, "phase", state.thread_id)

    def on_zone(self, name: str, begin: bool, thread_id: int) -> None:
        """A profiler zone as a ``zone`` slice."""
        if begin:
            self.writer.begin(name, "zone", thread_id, threading.current_thread().name)
        else:
            self.writer.end(name, "zone", thread_id)

    # --- AllocObserver ----------------------------------------------------------------------

    def before_alloc(self, state: ThreadState, kind: str, nbytes: int) -> None:
        """Allocations are summarised per frame, not traced one by one."""

    def after_alloc(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Allocations are summarised per frame, not traced one by one."""

    def after_free(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Frees are summarised per frame."""

    def on_frame_begin(self, state: ThreadState) -> None:
        """Open the ``frame`` slice."""
        self.writer.begin(
            "frame", "frame", state.thread_id, state.thread_name,
            {"frame": state.frame_number},
        )

    def on_frame_end(self, state: ThreadState, count: int, nbytes: int) -> None:
        """Close the frame slice; sample memory, tag and phase counters; flush."""
        writer = self.writer
        tid = state.thread_id
        writer.end(
            "frame", "frame", tid,
            {"frame": state.frame_number, "bytes": nbytes, "allocations": count},
        )
        stats = self._alloc.stats()
        writer.counter(
            "memory",
            {
                "frame": nbytes,
                "pool": stats.pool_allocated,
                "heap": stats.heap_allocated,
                "total": stats.total_allocated + nbytes,
            },
            tid,
        )
        by_tag = {_label(t): c.bytes for t, c in sorted(state.last_frame_by_tag.items())}
        if by_tag:
            writer.counter("tag bytes", by_tag, tid)
        by_phase = {_label(p): c.bytes for p, c in sorted(state.last_frame_by_phase.items())}
        if by_phase:
            writer.counter("phase bytes", by_phase, tid)
        writer.flush()
