"""``MemoryHistory``: per-frame memory series, one column per app frame, in ring buffers.

The diagnostics hooks record one snapshot per *thread* frame; an app frame where physics ran
on a worker and rendering on the main thread leaves two. The history counts the snapshots
each app frame produced (a ``FrameEnd`` listener) and folds them into one column with
``hooks.get_memory_graph_data(n)``: bytes per tag and per phase summed over threads, frame
bytes summed, pool and heap bytes as last seen. Columns live in preallocated int64 arrays,
so recording a frame allocates no array.
"""

from __future__ import annotations

import threading

import numpy as np

from framealloc_engine.lifecycle import FrameEnd
from framealloc_engine.monitoring import DiagnosticsHooks, MemoryGraphData

__all__ = ["KINDS", "MemoryHistory", "SeriesRing"]

#: Rows of :attr:`MemoryHistory.kinds`.
KINDS = ("frame", "pool", "heap")


class SeriesRing:
    """Named rows of a ring buffer; names past ``max_series`` share the last row, "other".

    Args:
        frames: Columns (one per frame).
        max_series: Rows with their own name (one more row holds "other").
    """

    def __init__(self, frames: int, max_series: int) -> None:
        self.values = np.zeros((max_series + 1, frames), np.int64)
        self.names: list[str] = []
        self._rows: dict[str, int] = {}
        self._max = max_series

    @property
    def used(self) -> int:
        """Rows in use (named rows, plus "other" once a name overflowed)."""
        return len(self.names)

    def has(self, name: str) -> bool:
        """Whether ``name`` has a row."""
        return name in self._rows

    def row(self, name: str) -> int:
        """The row of ``name``, assigning a new one on first sight."""
        row = self._rows.get(name)
        if row is None:
            if len(self.names) < self._max:
                row = len(self.names)
                self.names.append(name)
            else:
                row = self._max
                if len(self.names) == self._max:
                    self.names.append("other")
            self._rows[name] = row
        return row

    def latest(self, column: int) -> list[tuple[str, int]]:
        """``(name, bytes)`` of every used row in ``column``."""
        return [(name, int(self.values[i, column])) for i, name in enumerate(self.names)]


class MemoryHistory:
    """The last ``frames`` app frames of memory, per tag, per phase and per kind.

    Args:
        frames: Columns kept.
        max_series: Tags (and phases) with their own row; the rest are summed as "other".

    Example::

        history = MemoryHistory(120)
        history.attach(alloc.diagnostics_hooks())
        ...                                    # after each app frame:
        history.consume()
        chronological = history.order()       # column indices, oldest first
    """

    def __init__(self, frames: int = 120, max_series: int = 6) -> None:
        if frames < 2:
            raise ValueError(f"history needs at least 2 frames, got {frames}")
        self.frames = frames
        self.tags = SeriesRing(frames, max_series)
        self.phases = SeriesRing(frames, max_series)
        self.kinds = np.zeros((len(KINDS), frames), np.int64)
        self.head = -1  # column of the newest frame
        self.recorded = 0
        self.hooks: DiagnosticsHooks | None = None
        self._pending = 0
        self._lock = threading.Lock()

    def attach(self, hooks: DiagnosticsHooks) -> None:
        """Start counting the snapshots ``hooks`` records."""
        self.hooks = hooks
        hooks.add_listener(self._on_event)

    def detach(self) -> None:
        """Stop listening."""
        if self.hooks is not None:
            self.hooks.remove_listener(self._on_event)
            self.hooks = None

    def _on_event(self, event: object) -> None:
        if type(event) is FrameEnd:
            with self._lock:
                self._pending += 1

    def consume(self) -> bool:
        """Fold the snapshots recorded since the last call into a new column.

        Returns:
            Whether a column was added (False when no thread ended a frame).
        """
        with self._lock:
            pending, self._pending = self._pending, 0
        if not pending or self.hooks is None:
            return False
        self.push(self.hooks.get_memory_graph_data(pending))
        return True

    def push(self, data: MemoryGraphData) -> None:
        """Add one column: the sum of ``data``'s snapshots (pool and heap: the last)."""
        col = (self.head + 1) % self.frames
        self.head = col
        self.recorded += 1
        tags, phases, kinds = self.tags, self.phases, self.kinds
        tags.values[:, col].fill(0)
        phases.values[:, col].fill(0)
        for ring, series, unnamed in ((tags, data.by_tag, "(untagged)"),
                                      (phases, data.by_phase, "(no phase)")):
            for name, values in series.items():
                total = sum(values)
                if total or ring.has(name or unnamed):  # a series starts at its first byte
                    ring.values[ring.row(name or unnamed), col] += total
        frame = data.by_kind["frame"]
        kinds[0, col] = sum(frame)
        kinds[1, col] = data.by_kind["pool"][-1] if frame else 0
        kinds[2, col] = data.by_kind["heap"][-1] if frame else 0

    @property
    def filled(self) -> int:
        """Columns holding data (at most ``frames``)."""
        return min(self.recorded, self.frames)

    def columns(self) -> list[int]:
        """Indices of the filled columns, oldest first."""
        filled, frames = self.filled, self.frames
        return [(self.head - filled + 1 + i) % frames for i in range(filled)]

    def start(self) -> int:
        """Column of the oldest frame in chronological order."""
        return (self.head + 1) % self.frames
