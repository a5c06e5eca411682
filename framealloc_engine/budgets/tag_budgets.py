"""Memory budgets: allocated bytes per tag and overall, with soft and hard limits.

With ``AllocConfig().with_budgets(True)`` the allocator installs a :class:`BudgetManager` as
an allocation observer and charges every frame, pool and heap allocation to the calling
thread's tag path::

    alloc = SmartAlloc(AllocConfig().with_budgets(True))
    budgets = alloc.budgets()
    budgets.register_tag("ai", soft_limit=512 * KIB, hard_limit=1 * MIB)
    budgets.on_event(lambda e: print(e.kind.name, e.tag, e.current, e.limit))
    with alloc.with_tag("ai"), alloc.with_tag("pathfinding"):
        nodes = alloc.pool_alloc(np.float32, 64)     # charged to "ai" and "ai::pathfinding"

Rules:

* **Nesting.** A budget registered for a path covers that path and every path below it: an
  allocation under ``"ai::pathfinding"`` is charged to ``"ai"``, to ``"ai::pathfinding"``
  and to the global total, and must fit every hard limit among them. ``usage("ai")`` is
  therefore inclusive of nested tags. Untagged allocations count only globally.
* **What is charged.** The requested bytes (``dtype.itemsize * size``) of every observed
  allocation. Frame bytes are released when the thread's frame ends; pool and heap bytes when
  the array is freed (by any thread).
* **Hard limits** refuse the allocation before anything is allocated:
  :class:`~framealloc_engine.errors.TagBudgetExceededError` (FA302) for a tag,
  :class:`~framealloc_engine.errors.GlobalBudgetExceededError` (FA301) for the global limit,
  each with a ``HARD_LIMIT_EXCEEDED`` / ``GLOBAL_LIMIT_EXCEEDED`` event first.
* **Soft limits** never refuse: ``SOFT_LIMIT_EXCEEDED`` fires when usage rises above the soft
  limit, once, re-armed when usage drops back to it.
* **Peaks.** ``NEW_PEAK`` fires when the global total or a registered tag reaches a new
  high-water mark.
* **The global limit.** ``AllocConfig.global_memory_limit`` caps memory *reserved* from the
  system (arenas, slab pages, heap regions) whether budgets are on or not. The manager caps
  *allocated* bytes at :attr:`BudgetManager.global_limit`, which defaults to the same number.
  Allocated bytes never exceed reserved ones, so the allocation cap only bites when set lower
  (:meth:`BudgetManager.set_global_limit`). A refusal at either level raises FA301 before
  anything is allocated and delivers one ``GLOBAL_LIMIT_EXCEEDED`` event.
* **Concurrency.** Checks and charges take one lock each; two threads passing the check at
  the same instant can overshoot a hard limit by at most one allocation each.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from framealloc_engine.core.tags import TAG_SEPARATOR, validate_tag
from framealloc_engine.diagnostics import DiagnosticKind, fa_emit
from framealloc_engine.errors import (
    FrameAllocError,
    GlobalBudgetExceededError,
    TagBudgetExceededError,
)

if TYPE_CHECKING:
    import numpy as np

    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["BudgetCallback", "BudgetEvent", "BudgetEventKind", "BudgetManager", "TagBudget"]

_log = logging.getLogger("framealloc")


class BudgetEventKind(enum.Enum):
    """What a :class:`BudgetEvent` reports."""

    SOFT_LIMIT_EXCEEDED = "soft_limit_exceeded"
    HARD_LIMIT_EXCEEDED = "hard_limit_exceeded"
    GLOBAL_LIMIT_EXCEEDED = "global_limit_exceeded"
    NEW_PEAK = "new_peak"


@dataclass(frozen=True, slots=True)
class BudgetEvent:
    """A budget event delivered to :meth:`BudgetManager.on_event` callbacks.

    Attributes:
        kind: What happened.
        tag: The tag path concerned; ``""`` for the global total.
        current: Bytes in use (for ``NEW_PEAK``: the new peak; for a refusal: before it).
        limit: The limit concerned (0 for ``NEW_PEAK``).
        requested: Bytes of the allocation that caused the event.
        thread_id: The allocating thread.
    """

    kind: BudgetEventKind
    tag: str
    current: int
    limit: int
    requested: int
    thread_id: int


@dataclass(frozen=True, slots=True)
class TagBudget:
    """A snapshot of one tag path's budget and usage (nested paths included)."""

    tag: str
    soft_limit: int
    hard_limit: int
    current: int
    peak: int
    allocations: int
    frees: int

    @property
    def usage_percent(self) -> float:
        """``current`` as a percentage of the hard limit (0.0 without one)."""
        return 100.0 * self.current / self.hard_limit if self.hard_limit else 0.0


@dataclass(slots=True)
class _Tag:
    """One tag path's limits and usage."""

    soft: int = 0
    hard: int = 0
    current: int = 0
    peak: int = 0
    allocations: int = 0
    frees: int = 0
    over_soft: bool = False


BudgetCallback = Callable[[BudgetEvent], object]


def _prefixes(path: str) -> tuple[str, ...]:
    if not path:
        return ()
    parts = path.split(TAG_SEPARATOR)
    return tuple(TAG_SEPARATOR.join(parts[: i + 1]) for i in range(len(parts)))


class BudgetManager:
    """Per-tag and global accounting of allocated bytes, with limits and events.

    Args:
        global_limit: Cap on allocated bytes overall; 0 means none.
        reserved_bytes: Reads the bytes the allocator reserved from the system, reported when
            the reservation limit refuses an allocation.
    """

    def __init__(
        self, global_limit: int = 0, *, reserved_bytes: Callable[[], int] | None = None
    ) -> None:
        self._reserved_bytes = reserved_bytes
        self._global_limit = 0
        self.set_global_limit(global_limit)
        self._lock = threading.Lock()
        self._tags: dict[str, _Tag] = {}
        self._paths: dict[str, tuple[str, ...]] = {}
        self._callbacks: list[BudgetCallback] = []
        self._current = 0
        self._peak = 0
        self._frame: dict[int, dict[str, int]] = {}
        self._live: dict[int, tuple[str, int]] = {}
        self.callback_errors = 0

    # --- configuration ----------------------------------------------------------------------

    def register_tag(self, tag: str, soft_limit: int = 0, hard_limit: int = 0) -> None:
        """Set the limits of ``tag`` (a name or a ``::`` path); 0 means no limit.

        Raises:
            ValueError: a bad tag, a negative limit, or a soft limit above the hard one.
        """
        for part in tag.split(TAG_SEPARATOR) if isinstance(tag, str) else (tag,):
            validate_tag(part)
        for name, value in (("soft_limit", soft_limit), ("hard_limit", hard_limit)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")
        if soft_limit and hard_limit and soft_limit > hard_limit:
            raise ValueError(
                f"soft_limit ({soft_limit}) must not exceed hard_limit ({hard_limit})"
            )
        with self._lock:
            entry = self._tags.setdefault(tag, _Tag())
            entry.soft = soft_limit
            entry.hard = hard_limit
            entry.over_soft = bool(soft_limit) and entry.current > soft_limit

    def unregister_tag(self, tag: str) -> None:
        """Remove ``tag``'s limits (its usage keeps being tracked)."""
        with self._lock:
            entry = self._tags.get(tag)
            if entry is not None:
                entry.soft = entry.hard = 0
                entry.over_soft = False

    def set_global_limit(self, limit: int) -> None:
        """Cap allocated bytes overall at ``limit`` (0: no cap)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"global limit must be an int >= 0, got {limit!r}")
        self._global_limit = limit

    @property
    def global_limit(self) -> int:
        """The cap on allocated bytes overall (0: none)."""
        return self._global_limit

    def on_event(self, callback: BudgetCallback) -> BudgetCallback:
        """Deliver every :class:`BudgetEvent` to ``callback`` (returned: usable as decorator).

        Callbacks run on the allocating thread; one that raises is logged and counted in
        ``callback_errors``, never allowed to break the allocation.
        """
        if not callable(callback):
            raise TypeError(f"budget callback must be callable, got {callback!r}")
        with self._lock:
            self._callbacks = [*self._callbacks, callback]
        return callback

    def set_event_callback(self, callback: BudgetCallback) -> BudgetCallback:
        """The crate's name for :meth:`on_event`: deliver every event to ``callback``."""
        return self.on_event(callback)

    def remove_callback(self, callback: BudgetCallback) -> bool:
        """Stop delivering events to ``callback``; returns whether it was registered."""
        with self._lock:
            if callback not in self._callbacks:
                return False
            self._callbacks = [c for c in self._callbacks if c != callback]
            return True

    # --- queries ----------------------------------------------------------------------------

    @property
    def current_usage(self) -> int:
        """Allocated bytes overall, now."""
        return self._current

    @property
    def peak_usage(self) -> int:
        """The most allocated bytes overall so far."""
        return self._peak

    def usage(self, tag: str) -> int:
        """Allocated bytes under ``tag`` (nested paths included), now."""
        entry = self._tags.get(tag)
        return 0 if entry is None else entry.current

    def peak(self, tag: str) -> int:
        """The most bytes ever allocated under ``tag`` at once."""
        entry = self._tags.get(tag)
        return 0 if entry is None else entry.peak

    def tag_budget(self, tag: str) -> TagBudget | None:
        """A snapshot of ``tag``, or ``None`` if it was never registered nor charged."""
        with self._lock:
            entry = self._tags.get(tag)
            return None if entry is None else self._snapshot(tag, entry)

    def tag_budgets(self) -> dict[str, TagBudget]:
        """Snapshots of every registered or charged tag path."""
        with self._lock:
            return {tag: self._snapshot(tag, e) for tag, e in self._tags.items()}

    @staticmethod
    def _snapshot(tag: str, e: _Tag) -> TagBudget:
        return TagBudget(tag, e.soft, e.hard, e.current, e.peak, e.allocations, e.frees)

    # --- events -----------------------------------------------------------------------------

    def _emit(self, events: list[BudgetEvent]) -> None:
        for event in events:
            for callback in self._callbacks:
                try:
                    callback(event)
                except Exception:
                    self.callback_errors += 1
                    _log.exception("budget callback %r raised on %r", callback, event)

    def report_capture_limit(
        self, tag: str, current: int, limit: int, refused: int, thread_id: int
    ) -> None:
        """Report that captured numpy allocations met a frame's byte limit (``refused`` of
        them were served elsewhere or refused, per ``capture_numpy(on_limit=...)``)."""
        self._emit(
            [BudgetEvent(BudgetEventKind.HARD_LIMIT_EXCEEDED, tag, current, limit, refused,
                         thread_id)]
        )  # fmt: skip

    def report_global_refusal(self, requested: int, thread_id: int, reserved: int) -> None:
        """Report a refusal by the reservation limit (memory reserved from the system)."""
        limit = self._global_limit
        self._emit(
            [BudgetEvent(BudgetEventKind.GLOBAL_LIMIT_EXCEEDED, "", reserved, limit, requested,
                         thread_id)]
        )

    # --- allocation observer ----------------------------------------------------------------

    def _paths_of(self, path: str) -> tuple[str, ...]:
        prefixes = self._paths.get(path)
        if prefixes is None:
            prefixes = self._paths[path] = _prefixes(path)
        return prefixes

    def before_alloc(self, state: ThreadState, kind: str, nbytes: int) -> None:
        """Check the limits and reserve the bytes in one step, so threads racing for the
        last bytes under a hard limit cannot both pass; a refusal reserves nothing.

        Raises:
            GlobalBudgetExceededError: (FA301) past the global allocation limit.
            TagBudgetExceededError: (FA302) past a hard limit of the tag path or a parent.
        """
        path = state.tag_path
        with self._lock:
            refusal = self._refusal(path, kind, nbytes, state)
            if refusal is None:
                events = self._charge_locked(path, nbytes, state.thread_id)
        if refusal is not None:
            event, err = refusal
            self._emit([event])
            raise err
        if events:
            self._emit(events)
            soft = [e for e in events if e.kind is BudgetEventKind.SOFT_LIMIT_EXCEEDED]
            if soft:
                try:  # through fa_emit, so strict mode sees soft limits too
                    for event in soft:
                        fa_emit(
                            "FA302",
                            f"tag {event.tag!r} past its soft limit: {event.current} of "
                            f"{event.limit} bytes",
                            kind=DiagnosticKind.WARNING,
                            note=f"{kind} allocation of {nbytes} bytes on thread "
                            f"{state.thread_name!r}",
                            help="soft limits only warn; free memory under this tag or raise "
                            "the limit",
                        )
                except BaseException:
                    self._release(path, nbytes, count_free=False)  # strict mode refused it
                    raise

    def _refusal(
        self, path: str, kind: str, nbytes: int, state: ThreadState
    ) -> tuple[BudgetEvent, FrameAllocError] | None:
        limit = self._global_limit
        if limit and self._current + nbytes > limit:
            current = self._current
            event = BudgetEvent(BudgetEventKind.GLOBAL_LIMIT_EXCEEDED, "", current, limit,
                                nbytes, state.thread_id)
            err: FrameAllocError = GlobalBudgetExceededError(
                f"global allocation budget exceeded: {nbytes} more bytes would bring "
                f"allocated memory to {current + nbytes} of {limit} bytes",
                note=f"{kind} allocation on thread {state.thread_name!r}"
                + (f" under tag {path!r}" if path else ""),
                help="free memory first, or raise the cap with "
                "alloc.budgets().set_global_limit(bytes)",
            )
            err.budget_reported = True  # type: ignore[attr-defined]
            return event, err
        tags = self._tags
        for prefix in self._paths_of(path):
            entry = tags.get(prefix)
            if entry is not None and entry.hard and entry.current + nbytes > entry.hard:
                current = entry.current
                event = BudgetEvent(BudgetEventKind.HARD_LIMIT_EXCEEDED, prefix, current,
                                    entry.hard, nbytes, state.thread_id)
                return event, TagBudgetExceededError(
                    f"tag budget exceeded: {nbytes} more bytes would bring tag {prefix!r} to "
                    f"{current + nbytes} of its {entry.hard}-byte hard limit",
                    note=f"{kind} allocation on thread {state.thread_name!r} under tag "
                    f"{path!r}" + (" (budgets cover nested tags)" if prefix != path else ""),
                    help="free memory held under this tag, or raise its limit with "
                    "alloc.budgets().register_tag(tag, soft_limit, hard_limit)",
                )
        return None

    def alloc_failed(
        self, state: ThreadState, kind: str, nbytes: int, error: BaseException | None = None
    ) -> None:
        """Give back the bytes ``before_alloc`` reserved for an allocation that failed.

        A refusal by the reservation limit (memory reserved from the system) is the same
        global limit seen one level down: it is reported like the allocation cap.
        """
        self._release(state.tag_path, nbytes, count_free=False)
        if isinstance(error, GlobalBudgetExceededError) and not getattr(
            error, "budget_reported", False
        ):
            error.budget_reported = True  # type: ignore[attr-defined]
            reserved = self._reserved_bytes() if self._reserved_bytes is not None else 0
            self.report_global_refusal(nbytes, state.thread_id, reserved)

    def _charge_locked(self, path: str, nbytes: int, thread_id: int) -> list[BudgetEvent]:
        # The caller holds self._lock.
        events: list[BudgetEvent] = []
        watch = bool(self._callbacks)
        current = self._current + nbytes
        self._current = current
        if current > self._peak:
            self._peak = current
            if watch:
                events.append(BudgetEvent(BudgetEventKind.NEW_PEAK, "", current, 0, nbytes,
                                          thread_id))
        tags = self._tags
        for prefix in self._paths_of(path):
            entry = tags.get(prefix)
            if entry is None:
                entry = tags[prefix] = _Tag()
            entry.current += nbytes
            entry.allocations += 1
            if entry.current > entry.peak:
                entry.peak = entry.current
                if watch and (entry.soft or entry.hard):
                    events.append(BudgetEvent(BudgetEventKind.NEW_PEAK, prefix,
                                              entry.current, 0, nbytes, thread_id))
            if entry.soft and entry.current > entry.soft and not entry.over_soft:
                entry.over_soft = True
                events.append(BudgetEvent(BudgetEventKind.SOFT_LIMIT_EXCEEDED, prefix,
                                          entry.current, entry.soft, nbytes, thread_id))
        return events

    def _release(self, path: str, nbytes: int, *, count_free: bool = True) -> None:
        with self._lock:
            self._current -= nbytes
            tags = self._tags
            for prefix in self._paths_of(path):
                entry = tags[prefix]
                entry.current -= nbytes
                if count_free:
                    entry.frees += 1
                else:
                    entry.allocations -= 1
                if entry.over_soft and entry.current <= entry.soft:
                    entry.over_soft = False

    def after_alloc(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Remember what was charged (in ``before_alloc``) so it can be released."""
        path = state.tag_path
        if kind == "frame":
            frame = self._frame.get(state.thread_id)
            if frame is None:
                frame = self._frame[state.thread_id] = {}
            frame[path] = frame.get(path, 0) + nbytes
        else:
            self._live[id(array)] = (path, nbytes)

    def after_free(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Release a pool or heap allocation's bytes from the tags it was charged to."""
        entry = self._live.pop(id(array), None)
        if entry is not None:
            self._release(*entry)

    def on_frame_begin(self, state: ThreadState) -> None:
        """Nothing to do: frame bytes are released at frame end."""

    def on_frame_end(self, state: ThreadState, count: int, nbytes: int) -> None:
        """Release the thread's frame bytes (the arena was reset)."""
        frame = self._frame.pop(state.thread_id, None)
        if frame:
            for path, charged in frame.items():
                self._release(path, charged)
