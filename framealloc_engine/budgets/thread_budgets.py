"""Per-thread budgets (v0.6): frame bytes per frame and live pool bytes, per thread.

::

    cfg = ThreadBudgetConfig(
        frame_budget=8 * MIB,
        frame_exceeded_policy=BudgetExceededPolicy.FAIL,
        warning_threshold=80,
    )
    alloc.set_thread_budget_config(threading.get_ident(), cfg)
    if alloc.frame_remaining() < large_size:      # min(arena room, budget room)
        ...

* **Frame budget**: bytes of the thread's frame arena in use this frame (padding included;
  ``frame_box``/``frame_slice`` count too), checked at every ``frame_alloc`` /
  ``try_frame_alloc``. **Pool budget**: bytes of live pool allocations the thread made
  (requested sizes), checked at every ``pool_alloc``; a free on any thread gives them back.
  0 means no budget.
* **Policies** (:class:`BudgetExceededPolicy`) when a request would pass a budget:
  ``FAIL`` raises :class:`~framealloc_engine.errors.BudgetExceededError` (FA301) naming the
  thread, the budget and the request, before anything is allocated; ``WARN`` logs a warning
  on the ``"framealloc"`` logger (once per frame and kind) and allows; ``ALLOW`` allows
  silently (still counted); ``PROMOTE`` serves the request from the shared heap instead.
  A promoted *frame* request returns a heap array that lives exactly like frame memory: it is
  freed automatically at the thread's ``end_frame`` (do not free it yourself). A promoted
  *pool* request returns a heap array that ``pool_free`` (or a ``PoolBox``) frees as usual.
  Promoted bytes count against neither thread budget.
* **Warning threshold** (percent of a budget): passing it logs a warning and emits a
  ``MemoryPressure`` lifecycle event, once per frame and kind.
* Every overrun but ``ALLOW`` emits a ``BudgetExceeded`` lifecycle event when tracking is on.
"""

from __future__ import annotations

import enum
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from framealloc_engine.config import MIB
from framealloc_engine.diagnostics import DiagnosticKind, fa_emit
from framealloc_engine.errors import BudgetExceededError

if TYPE_CHECKING:
    import numpy as np

    from framealloc_engine.core.thread_state import ThreadState
    from framealloc_engine.lifecycle.manager import LifecycleManager

__all__ = [
    "BudgetExceededPolicy",
    "ThreadBudgetConfig",
    "ThreadBudgetManager",
    "ThreadBudgetStats",
]

_log = logging.getLogger("framealloc")
FRAME = "frame"
POOL = "pool"


class BudgetExceededPolicy(enum.Enum):
    """What happens to a request that would pass a thread budget."""

    FAIL = "fail"
    WARN = "warn"
    ALLOW = "allow"
    PROMOTE = "promote"


def _mib(value: float) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"budget in MiB must be a number >= 0, got {value!r}")
    return int(value * MIB)


@dataclass(frozen=True, slots=True)
class ThreadBudgetConfig:
    """One thread's budgets and policies.

    Attributes:
        frame_budget: Bytes of frame memory per frame (0: none).
        pool_budget: Bytes of live pool allocations (0: none).
        frame_exceeded_policy: Policy for the frame budget.
        pool_exceeded_policy: Policy for the pool budget.
        warning_threshold: Percent of a budget past which a warning fires (1-100).
    """

    frame_budget: int = 16 * MIB
    pool_budget: int = 8 * MIB
    frame_exceeded_policy: BudgetExceededPolicy = BudgetExceededPolicy.WARN
    pool_exceeded_policy: BudgetExceededPolicy = BudgetExceededPolicy.WARN
    warning_threshold: int = 80

    def __post_init__(self) -> None:
        for name in ("frame_budget", "pool_budget"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0 (bytes), got {value!r}")
        for name in ("frame_exceeded_policy", "pool_exceeded_policy"):
            if not isinstance(getattr(self, name), BudgetExceededPolicy):
                raise ValueError(f"{name} must be a BudgetExceededPolicy")
        t = self.warning_threshold
        if isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= 100:
            raise ValueError(f"warning_threshold must be a percentage in [1, 100], got {t!r}")

    @classmethod
    def strict(cls, frame_mb: float = 16, pool_mb: float = 8) -> ThreadBudgetConfig:
        """Budgets in MiB, both ``FAIL``, warning at 90%."""
        return cls(_mib(frame_mb), _mib(pool_mb), BudgetExceededPolicy.FAIL,
                   BudgetExceededPolicy.FAIL, 90)

    @classmethod
    def relaxed(cls, frame_mb: float = 16, pool_mb: float = 8) -> ThreadBudgetConfig:
        """Budgets in MiB, both ``ALLOW``, warning at 95%."""
        return cls(_mib(frame_mb), _mib(pool_mb), BudgetExceededPolicy.ALLOW,
                   BudgetExceededPolicy.ALLOW, 95)


@dataclass(frozen=True, slots=True)
class ThreadBudgetStats:
    """A snapshot of one thread's budget usage.

    Attributes:
        thread_id: The thread.
        frame_used: Frame bytes in use now.
        frame_budget: Its frame budget.
        frame_peak: The most frame bytes used in one frame.
        pool_used: Live pool bytes now.
        pool_budget: Its pool budget.
        pool_peak: The most live pool bytes.
        exceeded_count: Requests that would have passed a budget.
        warning_count: Warning-threshold crossings.
        promoted_count: Requests served from the heap by ``PROMOTE``.
        promoted_bytes: Bytes of those.
    """

    thread_id: int
    frame_used: int
    frame_budget: int
    frame_peak: int
    pool_used: int
    pool_budget: int
    pool_peak: int
    exceeded_count: int
    warning_count: int
    promoted_count: int
    promoted_bytes: int

    @property
    def frame_usage_percent(self) -> float:
        """``frame_used`` as a percentage of the frame budget (0.0 without one)."""
        return 100.0 * self.frame_used / self.frame_budget if self.frame_budget else 0.0

    @property
    def pool_usage_percent(self) -> float:
        """``pool_used`` as a percentage of the pool budget (0.0 without one)."""
        return 100.0 * self.pool_used / self.pool_budget if self.pool_budget else 0.0


@dataclass(slots=True)
class _Thread:
    """One thread's budgets and usage."""

    thread_id: int
    config: ThreadBudgetConfig
    pool_used: int = 0
    pool_peak: int = 0
    frame_peak: int = 0
    exceeded: int = 0
    warnings: int = 0
    promoted_count: int = 0
    promoted_bytes: int = 0
    warned: set[str] = field(default_factory=set)
    logged: set[str] = field(default_factory=set)
    #: Warning-threshold messages to report at the frame's end (FA303).
    pending: list[str] = field(default_factory=list)
    #: Frame requests served from the heap this frame, freed at end_frame.
    promoted: list[np.ndarray] = field(default_factory=list)


class ThreadBudgetManager:
    """Per-thread budget configurations and usage; an allocation observer.

    ``SmartAlloc.set_thread_budget_config`` creates and installs it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: Budgets by ``Thread`` object: a thread's budgets never pass to another thread
        #: that later gets the same OS id.
        self._threads: dict[threading.Thread, _Thread] = {}
        self._pool_live: dict[int, tuple[_Thread, int]] = {}
        self._promoted_pool: dict[int, np.ndarray] = {}
        self.lifecycle: LifecycleManager | None = None

    # --- configuration ----------------------------------------------------------------------

    def set_config(self, thread: threading.Thread, config: ThreadBudgetConfig | None) -> None:
        """Set (or with ``None`` remove) ``thread``'s budgets (exited threads' are dropped)."""
        with self._lock:
            for gone in [t for t in self._threads if t.ident is not None and not t.is_alive()]:
                del self._threads[gone]
            if config is None:
                self._threads.pop(thread, None)
                return
            entry = self._threads.get(thread)
            if entry is None:
                self._threads[thread] = _Thread(thread.ident or 0, config)
            else:
                entry.config = config

    def config(self, thread: threading.Thread) -> ThreadBudgetConfig | None:
        """``thread``'s budgets, or ``None``."""
        entry = self._threads.get(thread)
        return None if entry is None else entry.config

    @property
    def idle(self) -> bool:
        """No thread has budgets and no promoted pool array is live."""
        return not self._threads and not self._promoted_pool

    def stats(self, thread: threading.Thread, frame_used: int) -> ThreadBudgetStats | None:
        """A snapshot of ``thread``'s usage (``frame_used`` read from its arena)."""
        entry = self._threads.get(thread)
        if entry is None:
            return None
        c = entry.config
        return ThreadBudgetStats(
            thread.ident or entry.thread_id, frame_used, c.frame_budget,
            max(entry.frame_peak, frame_used),
            entry.pool_used, c.pool_budget, entry.pool_peak, entry.exceeded, entry.warnings,
            entry.promoted_count, entry.promoted_bytes,
        )

    def frame_room(self, thread: threading.Thread, used: int) -> int | None:
        """Bytes left in ``thread``'s frame budget, or ``None`` without one."""
        entry = self._threads.get(thread)
        if entry is None or not entry.config.frame_budget:
            return None
        return max(0, entry.config.frame_budget - ((used + 15) & -16))

    # --- checks -----------------------------------------------------------------------------

    def _used(self, entry: _Thread, state: ThreadState, kind: str) -> tuple[int, int, Any]:
        c = entry.config
        if kind == FRAME:
            # Every frame allocation starts 16-byte aligned: count the padding it will need.
            used = (state.arena.offset + 15) & -16
            return used, c.frame_budget, c.frame_exceeded_policy
        return entry.pool_used, c.pool_budget, c.pool_exceeded_policy

    def should_promote(self, state: ThreadState, kind: str, nbytes: int) -> bool:
        """Whether this request passes a ``PROMOTE`` budget (counted and reported if so)."""
        entry = self._threads.get(state.thread)
        if entry is None:
            return False
        used, budget, policy = self._used(entry, state, kind)
        if policy is not BudgetExceededPolicy.PROMOTE or not budget or used + nbytes <= budget:
            return False
        entry.exceeded += 1
        entry.promoted_count += 1
        entry.promoted_bytes += nbytes
        self._report(entry, kind, nbytes, used, budget, policy)
        return True

    def note_promoted_frame(self, state: ThreadState, array: np.ndarray) -> None:
        """Remember a promoted frame array, freed at the thread's frame end."""
        self._threads[state.thread].promoted.append(array)

    def note_promoted_pool(self, array: np.ndarray) -> None:
        """Remember a promoted pool array, so ``pool_free`` frees it on the heap."""
        self._promoted_pool[id(array)] = array

    def take_promoted_pool(self, array: np.ndarray) -> bool:
        """Forget ``array`` if it is a promoted pool array; returns whether it was."""
        found = self._promoted_pool.get(id(array))
        if found is not array:
            return False
        del self._promoted_pool[id(array)]
        return True

    def take_promoted(self, state: ThreadState) -> list[np.ndarray]:
        """Remove and return the thread's promoted frame arrays (at frame end)."""
        entry = self._threads.get(state.thread)
        if entry is None or not entry.promoted:
            return []
        arrays = entry.promoted
        entry.promoted = []
        return arrays

    def _report(
        self, entry: _Thread, kind: str, nbytes: int, used: int, budget: int,
        policy: BudgetExceededPolicy,
    ) -> None:
        lifecycle = self.lifecycle
        if lifecycle is not None and policy is not BudgetExceededPolicy.ALLOW:
            lifecycle.budget_exceeded(entry.thread_id, kind, nbytes, max(0, budget - used),
                                      budget, policy.name)

    def before_alloc(self, state: ThreadState, kind: str, nbytes: int) -> None:
        """Apply the thread's policy to a request that would pass its budget.

        Raises:
            BudgetExceededError: (FA301) the budget's policy is ``FAIL``.
        """
        entry = self._threads.get(state.thread)
        if entry is None or kind not in (FRAME, POOL):
            return
        used, budget, policy = self._used(entry, state, kind)
        if not budget or used + nbytes <= budget:
            return
        entry.exceeded += 1
        self._report(entry, kind, nbytes, used, budget, policy)
        if policy is BudgetExceededPolicy.FAIL:
            raise BudgetExceededError(
                f"thread {kind} budget exceeded: {nbytes} bytes requested with "
                f"{max(0, budget - used)} of {budget} left",
                note=f"thread {state.thread_name!r} (id {state.thread_id}) has a {budget}-byte "
                f"{kind} budget and {used} bytes in use",
                help="allocate less, check alloc.frame_remaining() first, or choose another "
                "BudgetExceededPolicy in its ThreadBudgetConfig",
            )
        if policy is BudgetExceededPolicy.WARN and kind not in entry.logged:
            entry.logged.add(kind)
            # through fa_emit, so strict mode sees it (and may refuse the allocation)
            fa_emit(
                "FA301",
                f"thread {state.thread_name!r} {kind} budget exceeded: {nbytes} bytes "
                f"requested with {max(0, budget - used)} of {budget} left (allowed; further "
                "overruns this frame are not reported)",
                kind=DiagnosticKind.WARNING,
                help="allocate less, or choose BudgetExceededPolicy.FAIL/PROMOTE",
            )

    def _warn_threshold(self, entry: _Thread, state: ThreadState, kind: str, used: int,
                        budget: int) -> None:
        threshold = entry.config.warning_threshold
        if budget and kind not in entry.warned and used * 100 > budget * threshold:
            entry.warned.add(kind)
            entry.warnings += 1
            # reported at the frame's end (FA303): the allocation has happened by now
            entry.pending.append(
                f"thread {state.thread_name!r} {kind} memory at {used} of {budget} bytes "
                f"(past the {entry.config.warning_threshold}% warning threshold)"
            )
            if self.lifecycle is not None:
                self.lifecycle.memory_pressure(state.thread_id, kind, used, budget)

    def after_alloc(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Account for the allocation and check the warning threshold."""
        entry = self._threads.get(state.thread)
        if entry is None:
            return
        if kind == FRAME:
            used = state.arena.offset
            if used > entry.frame_peak:
                entry.frame_peak = used
            self._warn_threshold(entry, state, kind, used, entry.config.frame_budget)
        elif kind == POOL:
            with self._lock:
                entry.pool_used += nbytes
                used = entry.pool_used
                if used > entry.pool_peak:
                    entry.pool_peak = used
            self._pool_live[id(array)] = (entry, nbytes)
            self._warn_threshold(entry, state, kind, used, entry.config.pool_budget)

    def after_free(self, state: ThreadState, kind: str, array: np.ndarray, nbytes: int) -> None:
        """Give a pool allocation's bytes back to the thread that made it."""
        if kind != POOL:
            return
        found = self._pool_live.pop(id(array), None)
        if found is not None:
            entry, charged = found
            with self._lock:
                entry.pool_used -= charged

    def on_frame_begin(self, state: ThreadState) -> None:
        """Re-arm the once-per-frame warnings."""
        entry = self._threads.get(state.thread)
        if entry is not None:
            entry.warned.clear()
            entry.logged.clear()

    def on_frame_end(self, state: ThreadState, count: int, nbytes: int) -> None:
        """Record the frame's peak; report the frame's warning-threshold crossings (FA303)."""
        entry = self._threads.get(state.thread)
        if entry is None:
            return
        if nbytes > entry.frame_peak:
            entry.frame_peak = nbytes
        if entry.pending:
            messages, entry.pending = entry.pending, []
            for message in messages:
                fa_emit("FA303", message)
