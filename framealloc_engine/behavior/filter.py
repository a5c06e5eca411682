"""The behaviour filter's tracking: an allocation observer, installed only while enabled.

User code can keep referencing a frame array after ``end_frame()``. The arena notices (its
escape check counts every reference, derived views included) and sets the bytes aside; the
filter turns those escapes into behaviour per tag:

* At each ``end_frame()`` the filter asks the arena which of the frame's arrays are still
  referenced (``arena.held(count)``: the arena's own escape check, counting references
  through derived arrays too) and starts following each, weakly, as a *candidate*, under
  the tag path it was allocated with.
* A candidate still alive when the *next* frame ends has **survived** (a loop variable
  that is rebound next frame does not count). Its lifetime is the number of frame ends it was
  still alive at, counted until it is released.

Other state is per (tag path, kind) -- O(tags x kinds) -- except transient per-frame lists
and at most ``max_tracked`` candidates per thread (more are counted as survivors with the
lifetime seen so far). References held by frame boxes and frame collections are not
escapes (they refuse access after the frame).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from framealloc_engine.behavior.model import (
    CAPTURED,
    FRAME,
    POOL,
    BehaviorReport,
    BehaviorThresholds,
    TagBehaviorStats,
    analyze,
)

if TYPE_CHECKING:
    import numpy as np

    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["BehaviorFilter"]

@dataclass(slots=True)
class _Survivor:
    """A frame array still referenced after its frame ended."""

    ref: weakref.ref[np.ndarray]
    key: tuple[str, str]
    born: int
    #: Frame ends after its own at which it was still referenced.
    age: int = 0


@dataclass(slots=True)
class _Tracker:
    """One thread's tracking state (only its thread mutates it)."""

    stats: dict[tuple[str, str], TagBehaviorStats] = field(default_factory=dict)
    #: Tag key of each frame allocation of this frame, by request index in the arena.
    frame_keys: dict[int, tuple[str, str]] = field(default_factory=dict)
    survivors: list[_Survivor] = field(default_factory=list)
    pool_pending: dict[int, tuple[str, str]] = field(default_factory=dict)
    frames: int = 0


class BehaviorFilter:
    """Tracks allocation behaviour per (tag, kind) and produces :class:`BehaviorReport`.

    Install with ``alloc.enable_behavior_filter()``; it implements ``AllocObserver``.

    Args:
        thresholds: Rule thresholds; ``BehaviorThresholds.default()`` when omitted.
        max_tracked: Most surviving frame arrays followed per thread.
    """

    def __init__(
        self, thresholds: BehaviorThresholds | None = None, *, max_tracked: int = 4096
    ) -> None:
        self.thresholds = thresholds if thresholds is not None else BehaviorThresholds()
        self.max_tracked = max_tracked
        self.enabled = False
        self._trackers: dict[ThreadState, _Tracker] = {}
        self._lock = threading.Lock()

    # --- bookkeeping ------------------------------------------------------------------------

    def _tracker(self, state: ThreadState) -> _Tracker:
        tracker = self._trackers.get(state)
        if tracker is None:
            with self._lock:
                tracker = self._trackers.setdefault(state, _Tracker())
        return tracker

    def _stat(self, tracker: _Tracker, key: tuple[str, str], frame: int) -> TagBehaviorStats:
        stat = tracker.stats.get(key)
        if stat is None:
            stat = tracker.stats[key] = TagBehaviorStats(
                key[0], key[1], first_seen_frame=frame, last_alloc_frame=frame
            )
        return stat

    def reset(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._trackers = {}

    def record_captured(self, state: ThreadState, allocs: int, escaped: int) -> None:
        """A frame of ``state``'s thread ended with ``allocs`` numpy allocations captured in
        it, ``escaped`` of which are still alive (FA503)."""
        if not self.enabled:
            return
        tracker = self._tracker(state)
        frame = state.frame_number
        stat = self._stat(tracker, (state.tag_path, CAPTURED), frame)
        stat.total_allocs += allocs
        stat.in_frame_allocs += allocs
        stat.survived_frame_count += escaped
        if allocs:
            stat.last_alloc_frame = frame

    # --- AllocObserver ----------------------------------------------------------------------

    def before_alloc(self, state: ThreadState, kind: str, nbytes: int) -> None:
        """Nothing to check before an allocation."""

    def after_alloc(
        self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int
    ) -> None:
        """Count the allocation under the current tag path."""
        tracker = self._tracker(state)
        key = (state.tag_path, kind)
        frame = state.frame_number
        stat = self._stat(tracker, key, frame)
        stat.total_allocs += 1
        stat.last_alloc_frame = frame
        current = stat.current_bytes + nbytes
        stat.current_bytes = current
        if current > stat.peak_bytes:
            stat.peak_bytes = current
        in_frame = state.arena.active
        if in_frame:
            stat.in_frame_allocs += 1
        if kind == FRAME:
            tracker.frame_keys[state.arena.count - 1] = key
        elif kind == POOL and in_frame:
            tracker.pool_pending[id(array)] = key

    def after_free(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Count same-frame pool frees."""
        tracker = self._tracker(state)
        key = tracker.pool_pending.pop(id(array), None) if kind == POOL else None
        if key is None:
            key = (state.tag_path, kind)
        else:
            tracker.stats[key].same_frame_frees += 1
        stat = tracker.stats.get(key)
        if stat is not None:
            stat.current_bytes = max(0, stat.current_bytes - nbytes)

    def on_frame_begin(self, state: ThreadState) -> None:
        """Nothing to do when a frame begins."""

    def on_frame_end(self, state: ThreadState, count: int, nbytes: int) -> None:
        """Follow the arrays this frame's end found still referenced (the arena's escapes)."""
        tracker = self._tracker(state)
        tracker.frames += 1
        frame = state.frame_number
        tracker.pool_pending.clear()
        self._age_survivors(tracker, frame)
        keys = tracker.frame_keys
        survivors = tracker.survivors
        for index, ref in state.arena.held(count):
            key = keys.get(index)
            if key is not None and len(survivors) < self.max_tracked:
                survivors.append(_Survivor(ref, key, frame))
        tracker.frame_keys = {}
        for stat in tracker.stats.values():
            if stat.kind == FRAME:
                stat.current_bytes = 0

    def _age_survivors(self, tracker: _Tracker, frame: int) -> None:
        survivors = tracker.survivors
        if not survivors:
            return
        keep: list[_Survivor] = []
        for entry in survivors:
            stat = tracker.stats.get(entry.key)
            if entry.ref() is not None:
                if entry.age == 0 and stat is not None:
                    stat.survived_frame_count += 1
                entry.age = frame - entry.born
                keep.append(entry)
            elif stat is not None:
                stat.total_lifetime_frames += entry.age
        tracker.survivors = keep

    # --- promotions -------------------------------------------------------------------------

    def record_promotion(self, state: ThreadState, tag: str | None = None, count: int = 1) -> None:
        """Count ``count`` promotions of frame allocations of ``tag`` (default: current path).

        The retention code (``end_frame_with_promotions``) reports here.
        """
        tracker = self._tracker(state)
        key = (state.tag_path if tag is None else tag, FRAME)
        stat = self._stat(tracker, key, state.frame_number)
        stat.promotion_count += count
        stat.last_alloc_frame = max(stat.last_alloc_frame, state.frame_number)

    def on_promotion(
        self, state: ThreadState, tag: str, from_kind: str, to_kind: str, nbytes: int
    ) -> None:
        """Observer-style promotion report (``frame`` data promoted to ``pool``/``heap``).

        Retention code calls ``on_promotion`` on every installed observer that has it, once
        per promoted allocation; the filter counts it for FA520.
        """
        self.record_promotion(state, tag)

    # --- report -----------------------------------------------------------------------------

    def merged_stats(self) -> list[TagBehaviorStats]:
        """Statistics merged over threads, with ongoing survivors' lifetimes included."""
        merged: dict[tuple[str, str], TagBehaviorStats] = {}
        with self._lock:
            trackers = list(self._trackers.values())
        for tracker in trackers:
            local = {key: stat.copy() for key, stat in list(tracker.stats.items())}
            for entry in list(tracker.survivors):
                stat = local.get(entry.key)
                if stat is not None and entry.age:
                    stat.total_lifetime_frames += entry.age
            for key, stat in local.items():
                if key in merged:
                    merged[key].merge(stat)
                else:
                    merged[key] = stat
        return list(merged.values())

    def frames_analyzed(self) -> int:
        """The most frames any one thread ended while the filter was installed."""
        with self._lock:
            return max((t.frames for t in self._trackers.values()), default=0)

    def report(self) -> BehaviorReport:
        """Analyse what was recorded (deterministic: same run, same report)."""
        return analyze(
            self.merged_stats(), self.thresholds, self.frames_analyzed(), enabled=self.enabled
        )
