"""``alloc.capture_numpy()``: every numpy data allocation a thread makes comes from its frame
memory while the scope is active, without rewriting the code.

numpy lets a program replace the allocator of array data for the current context (NEP 49,
``PyDataMem_SetHandler``; a ``ContextVar``, so per thread). Inside ``capture_numpy()`` the
calling thread's handler is the native core's ``NumpyCapture``: while a frame is open, a
temporary of ``a * b + np.sin(c)`` is bump-allocated from per-thread chunks of frame memory
and its bytes are reused as soon as it dies; the chunk resets when its last array dies. Other
threads, and code outside the scope, keep numpy's allocator.

Sound by construction: numpy frees an array's data when the array dies. An array still alive
when its frame ends (stored in a resource, returned, appended to a list) keeps its bytes: the
chunk it lives in is *retired* (never bump-allocated again) until its last array dies, and
the escape is reported (``stats().frame_escapes``, the behaviour filter's FA503, and in debug
mode the allocation sites). Requests below ``threshold`` bytes (1 KiB by default) keep
numpy's own small-block cache, which is faster for them; large ones get chunks of their own,
kept for reuse by the next large request, so a fresh 64 MiB temporary costs no page faults.

Accounting: captured allocations are frame allocations in ``stats()`` (``frame_allocated``,
counts), in tags and phases, in lifecycle events and traces. ``frame_limit`` caps the bytes a
frame may capture; past it an allocation goes to numpy's allocator (``OnLimit.FALLBACK``, the
default: numpy code never fails because of the cap) or fails with numpy's ``MemoryError``
(``OnLimit.RAISE``), and a budget event (``HARD_LIMIT_EXCEEDED``) reports it at the frame's
end when budgets are on. Chunk memory counts against ``AllocConfig.global_memory_limit``;
refused, numpy's allocator serves the request.

It needs the native extension (numpy calls the handler from C); on the pure-Python backend
``capture_numpy()`` raises :class:`~framealloc_engine.errors.BackendUnavailableError`
(FA903).
"""

from __future__ import annotations

import enum
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framealloc_engine.allocators import backend
from framealloc_engine.allocators.buffer import allocation_site
from framealloc_engine.diagnostics import fa_emit

if TYPE_CHECKING:
    from framealloc_engine.behavior.filter import BehaviorFilter
    from framealloc_engine.budgets.tag_budgets import BudgetManager
    from framealloc_engine.core.allocator import AllocatorCore
    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["DEFAULT_THRESHOLD", "CaptureStats", "NumpyCaptureFeature", "OnLimit"]

#: Requests smaller than this (bytes) stay with numpy's allocator: numpy caches blocks below
#: 1 KiB itself, and measured here (``benchmarks/capture.py``) that cache is about 10 % faster
#: than a captured block at those sizes; from 4 KiB up the two cost the same, and above they
#: differ by the page faults numpy pays. ``capture_numpy(threshold=0)`` captures everything
#: (no system allocation at all in a frame).
DEFAULT_THRESHOLD = 1024
#: Bytes of one chunk of captured memory (larger requests get a chunk of their own).
CHUNK_SIZE = 4 << 20
#: Requests of this many bytes or more get a chunk of their own.
BIG_THRESHOLD = 1 << 20
_KEY = "numpy_capture"


class OnLimit(enum.Enum):
    """What a captured allocation past the frame's ``frame_limit`` does."""

    #: numpy's allocator serves it (numpy code never fails because of the cap).
    FALLBACK = "fallback"
    #: It fails: numpy raises ``MemoryError``.
    RAISE = "raise"


@dataclass(frozen=True, slots=True)
class CaptureStats:
    """One thread's numpy capture counters (cumulative unless noted).

    Attributes:
        captured: Allocations served from frame memory.
        captured_bytes: Bytes served from frame memory.
        freed: Captured allocations numpy freed.
        fallbacks: Allocations passed to numpy's allocator (small, no frame, over the limit,
            or refused by the memory limit).
        fallback_bytes: Their bytes.
        over_limit: Allocations that met the frame's byte limit.
        escapes: Captured arrays alive at a frame end.
        escaped_bytes: Their bytes.
        live: Captured arrays alive now.
        live_bytes: Their bytes.
        reserved: Bytes of chunk memory held.
    """

    captured: int
    captured_bytes: int
    freed: int
    fallbacks: int
    fallback_bytes: int
    over_limit: int
    escapes: int
    escaped_bytes: int
    live: int
    live_bytes: int
    reserved: int


class _CapturedFrames:
    """One thread's captured frame memory: the native capture, as a frame source."""

    __slots__ = ("_begin_count", "_feature", "_over_limit", "_state", "native")

    def __init__(self, feature: NumpyCaptureFeature, state: ThreadState, native: Any) -> None:
        self._feature = feature
        self._state = state
        self.native = native
        self._over_limit = 0
        self._begin_count = 0

    # FrameSource
    @property
    def count(self) -> int:
        """Allocations captured (cumulative)."""
        return int(self.native.count)

    @property
    def bytes(self) -> int:
        """Bytes captured (cumulative)."""
        return int(self.native.bytes)

    @property
    def frees(self) -> int:
        """Captured allocations freed (cumulative)."""
        return int(self.native.frees)

    @property
    def escapes(self) -> int:
        """Captured arrays alive at a frame end (cumulative)."""
        return int(self.native.escapes)

    @property
    def live_bytes(self) -> int:
        """Bytes of captured arrays alive now."""
        return int(self.native.live_bytes)

    def frame_begin(self) -> None:
        """The thread's frame began: allocations may be captured."""
        self._begin_count = self.native.count
        self.native.frame_begin()

    def frame_end(self) -> None:
        """The thread's frame ended: dead chunks reset, live ones retire; report escapes."""
        escaped, escaped_bytes = self.native.frame_end()
        served = int(self.native.count) - self._begin_count
        self._feature.frame_ended(self._state, self, served, escaped, escaped_bytes)

    def over_limit_since_last(self) -> int:
        """Allocations that met the frame limit since the last call."""
        now = int(self.native.over_limit)
        new, self._over_limit = now - self._over_limit, now
        return new


class NumpyCaptureFeature:
    """``capture_numpy``, ``numpy_capture_stats``.

    Args:
        core: The allocator whose threads' frames the captured memory follows.
        behavior_filter: Returns the behaviour filter when one is enabled (FA503).
        budget_manager: Returns the budget manager when budgets are on (limit events).
    """

    def __init__(
        self,
        core: AllocatorCore,
        behavior_filter: Callable[[], BehaviorFilter | None],
        budget_manager: Callable[[], BudgetManager | None],
    ) -> None:
        self._core = core
        self._behavior_filter = behavior_filter
        self._budget_manager = budget_manager

    def _captured(self, state: ThreadState) -> _CapturedFrames:
        captured = state.extensions.get(_KEY)
        if isinstance(captured, _CapturedFrames):
            return captured
        config = self._core.config
        reservations = self._core.reservations
        native = backend.new_capture(
            chunk_size=CHUNK_SIZE,
            threshold=DEFAULT_THRESHOLD,
            big_threshold=BIG_THRESHOLD,
            reserve=reservations.reserve,
            release=reservations.release,
            site_of=allocation_site if config.debug else None,
        )
        captured = _CapturedFrames(self, state, native)
        state.extensions[_KEY] = captured
        state.frame_sources.append(captured)
        if state.arena.active:  # made mid-frame: this frame is open for it too
            captured.frame_begin()
        return captured

    @contextmanager
    def capture_numpy(
        self,
        *,
        threshold: int | None = None,
        frame_limit: int | None = None,
        on_limit: OnLimit | str | None = None,
    ) -> Iterator[None]:
        """numpy's data allocations on this thread come from frame memory in this scope.

        Example::

            with alloc.frame_scope(), alloc.capture_numpy():
                speed = np.hypot(vel[:, 0], vel[:, 1])  # temporaries from frame memory

        Only while a frame is open on the thread: outside frames numpy's allocator serves
        everything. Scopes nest; the options, when given, apply to the thread from then on.

        Args:
            threshold: Requests below this many bytes keep numpy's allocator
                (default :data:`DEFAULT_THRESHOLD`).
            frame_limit: Bytes one frame may capture (0: no limit, the default).
            on_limit: Past the limit: :attr:`OnLimit.FALLBACK` (numpy's allocator serves it)
                or :attr:`OnLimit.RAISE` (numpy raises ``MemoryError``).

        Raises:
            BackendUnavailableError: (FA903) the native extension is not loaded.
            ValueError: a negative threshold or limit, or an unknown ``on_limit``.
        """
        state = self._core.current_state()
        captured = self._captured(state)
        native = captured.native
        if threshold is not None:
            native.threshold = threshold
        if frame_limit is not None:
            native.frame_limit = frame_limit
        if on_limit is not None:
            native.raise_over_limit = OnLimit(on_limit) is OnLimit.RAISE
        native.enter()
        try:
            yield
        finally:
            native.exit()

    def numpy_capture_stats(self, *, all_threads: bool = False) -> CaptureStats:
        """The calling thread's capture counters, or with ``all_threads`` the sum over every
        thread that captured (exited ones included); zeros where nothing was captured."""
        states = self._core.thread_states() if all_threads else [self._core.current_state()]
        totals = [0] * 11
        for state in states:
            captured = state.extensions.get(_KEY)
            if not isinstance(captured, _CapturedFrames):
                continue
            n = captured.native
            values = (
                n.count, n.bytes, n.frees, n.fallback_count, n.fallback_bytes, n.over_limit,
                n.escapes, n.escaped_bytes, n.live_count, n.live_bytes, n.reserved,
            )  # fmt: skip
            for i, value in enumerate(values):
                totals[i] += int(value)
        return CaptureStats(*totals)

    def frame_ended(
        self,
        state: ThreadState,
        captured: _CapturedFrames,
        served: int,
        escaped: int,
        escaped_bytes: int,
    ) -> None:
        """Report a frame end: ``served`` captured allocations, ``escaped`` of them still
        alive (FA503), and the frame limit's hits (budget events)."""
        flt = self._behavior_filter()
        if flt is not None:
            flt.record_captured(state, served, escaped)
        if escaped:
            sites = captured.native.escaped_sites
            fa_emit(
                "FA503",
                f"{escaped} captured numpy array(s) ({escaped_bytes} bytes) outlived frame "
                f"{state.frame_number} on thread {state.thread_name!r}",
                note=_sites_note(sites),
            )
        over = captured.over_limit_since_last()
        if over:
            manager = self._budget_manager()
            if manager is not None:
                native = captured.native
                manager.report_capture_limit(
                    state.tag_path, int(native.frame_bytes), int(native.frame_limit), over,
                    state.thread_id,
                )  # fmt: skip


def _sites_note(sites: list[Any]) -> str | None:
    if not sites:
        return "allocation sites are recorded in debug mode (AllocConfig().with_debug(True))"
    lines = []
    for stack in sites[:5]:
        frame = stack[-1] if stack else None
        lines.append(f"{frame.filename}:{frame.lineno} in {frame.name}" if frame else "unknown")
    more = f" (+{len(sites) - 5} more)" if len(sites) > 5 else ""
    first = "".join(traceback.format_list(sites[0])) if sites[0] else "  (unknown)\n"
    return (
        "allocated at " + "; ".join(lines) + more
        + "; traceback of the first allocation:\n" + first.rstrip()
    )
