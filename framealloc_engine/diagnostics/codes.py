"""The runtime FA code table: every code the allocator reports, with its docs.

One frozen :class:`DiagnosticCode` per code (``FA001``-``FA004``, ``FA101``-``FA102``,
``FA201``-``FA205``, ``FA301``-``FA302``, ``FA401``-``FA402``, the behaviour filter's
``FA501``-``FA530``, ``FA901`` and ``FA903``). The static analyser's codes (FA6xx-FA8xx) live in
``framealloc_lint.codes``. Example::

    info = get_code("FA003")
    print(info.summary, "->", info.fix)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["CODES", "DiagnosticCode", "DiagnosticKind", "all_codes", "explain", "get_code"]


class DiagnosticKind(enum.Enum):
    """Severity of a diagnostic, lowest first (``HINT < NOTE < WARNING < ERROR``)."""

    HINT = "hint"
    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Numeric order of the severity (0 for hints up to 3 for errors)."""
        return _RANK[self]

    @classmethod
    def parse(cls, value: DiagnosticKind | str) -> DiagnosticKind:
        """A kind from itself or its name/value in any case (``"Error"``, ``"warning"``)."""
        if isinstance(value, DiagnosticKind):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValueError(
                f"unknown diagnostic kind {value!r}; expected one of "
                + ", ".join(k.value for k in cls)
            ) from None


_RANK = {
    DiagnosticKind.HINT: 0,
    DiagnosticKind.NOTE: 1,
    DiagnosticKind.WARNING: 2,
    DiagnosticKind.ERROR: 3,
}


@dataclass(frozen=True, slots=True)
class DiagnosticCode:
    """One FA code and its documentation.

    Attributes:
        code: ``"FA001"``.
        category: Area it belongs to (``frame``, ``engine``, ``thread``, ``budget``,
            ``handle``, ``stream``, ``behavior``, ``internal``).
        severity: Default severity when emitted.
        summary: One line (the message ``fa_emit`` prints).
        explanation: What happened and why it matters.
        example: A short snippet that triggers it.
        fix: How to fix it (the ``help`` line).
        note: Default ``note`` line printed by ``fa_emit`` (may be empty).
    """

    code: str
    category: str
    severity: DiagnosticKind
    summary: str
    explanation: str
    example: str
    fix: str
    note: str = ""

    def render(self) -> str:
        """A multi-line explanation, as ``python -m framealloc_engine explain`` prints it."""
        return "\n".join(
            [
                f"{self.code} ({self.category}, {self.severity.value}): {self.summary}",
                "",
                self.explanation,
                "",
                "Example:",
                *("    " + line for line in self.example.splitlines()),
                "",
                f"Fix: {self.fix}",
            ]
        )


E, W, H = DiagnosticKind.ERROR, DiagnosticKind.WARNING, DiagnosticKind.HINT

_TABLE = (
    DiagnosticCode(
        "FA001", "frame", E,
        "frame allocation used outside an active frame",
        "frame_alloc(), frame_box() and frame collections need an open frame on the calling "
        "thread; the request came before begin_frame() or after end_frame(). The same code "
        "covers frame lifecycle misuse (begin twice, end without begin, unbalanced phases).",
        "alloc = SmartAlloc.with_defaults()\nalloc.frame_alloc(np.float32, 16)  # no frame",
        "call alloc.begin_frame() before allocating, or use pool_alloc()/heap_alloc()",
        "this allocation was requested when no frame was active",
    ),
    DiagnosticCode(
        "FA002", "frame", E,
        "frame memory reference escaped its frame",
        "Frame memory is reset at end_frame(); a FrameBox (or a frame array kept in debug "
        "mode) was used after its frame ended or after a rollback past it.",
        "with alloc.frame_scope():\n    box = alloc.frame_box(1.0)\nbox.get()  # frame ended",
        "copy the data out before end_frame(), or allocate it with pool_box()/heap_box() or "
        "frame_retained() if it must outlive the frame",
        "frame memory lives until end_frame()",
    ),
    DiagnosticCode(
        "FA003", "frame", E,
        "frame arena exhausted",
        "The calling thread's frame arena (or a bounded frame collection / scratch pool) has "
        "no room for the request in this frame.",
        "alloc = SmartAlloc(AllocConfig().with_frame_arena_size(4096))\n"
        "with alloc.frame_scope():\n    alloc.frame_alloc(np.uint8, 8192)",
        "enlarge it with AllocConfig().with_frame_arena_size(bytes), allocate less per frame, "
        "or use heap_alloc() for large blocks",
        "the arena is sized per thread by AllocConfig.frame_arena_size",
    ),
    DiagnosticCode(
        "FA004", "frame", E,
        "invalid allocation request",
        "A request with an impossible size, shape or dtype: negative or non-integer shapes, "
        "object dtypes (raw memory cannot hold Python references), or a pool request larger "
        "than the largest size class.",
        "alloc.pool_alloc(np.uint8, 1 << 20)  # larger than the largest class",
        "check the dtype and shape; use heap_alloc() for large blocks and boxes for objects",
        "the dtype and shape are validated before any memory is taken",
    ),
    DiagnosticCode(
        "FA101", "engine", E,
        "SmartAllocPlugin not registered",
        "A system asked for AllocResource, but the App has no SmartAllocPlugin, so no "
        "allocator exists and no frame is begun or ended.",
        "App().add_systems(Update, uses_alloc).run()  # plugin missing",
        "add .add_plugins(SmartAllocPlugin()) to your App",
        "AllocResource is inserted by SmartAllocPlugin",
    ),
    DiagnosticCode(
        "FA102", "engine", W,
        "frame hooks not executed this frame",
        "The plugin's begin/end frame systems did not run in a frame (a custom runner or "
        "schedule skipped First/Last), so frame memory was not reset.",
        "app.world.run_schedule(Update)  # bypasses First and Last",
        "drive frames with app.update() or a runner, which run every schedule in order",
        "begin_frame() runs in First and end_frame() after Last",
    ),
    DiagnosticCode(
        "FA201", "thread", E,
        "cross-thread frame access without explicit transfer",
        "Frame memory belongs to the thread that allocated it; another thread used or freed "
        "it without a TransferHandle.",
        "box = alloc.frame_box(v)\nthreading.Thread(target=box.get).start()",
        "send frame data with alloc.frame_box_for_transfer(value) and receive() it on the "
        "other thread, or allocate on the thread that uses it",
        "each thread owns its own frame arena",
    ),
    DiagnosticCode(
        "FA202", "thread", E,
        "thread-local state accessed before init",
        "Thread-local allocator state was used before the thread registered or after it was "
        "retired. In barrier-coordinated engines this also flags a thread that shares the "
        "frame boundary but is not in the FrameBarrier (emitted as a warning).",
        "state = retired_thread_state; state.begin_frame()",
        "use the allocator from live threads only; add every frame-sharing thread to the "
        "FrameBarrier",
        "thread state is created on a thread's first allocation",
    ),
    DiagnosticCode(
        "FA203", "thread", H,
        "thread allocates without a budget configured",
        "A worker thread allocates frame memory but has no per-thread frame budget, so a "
        "runaway worker is only caught by arena exhaustion.",
        "alloc.set_thread_budget_config(worker, None)  # the worker then allocates unchecked",
        "give the thread a budget with alloc.set_thread_budget_config(thread, "
        "ThreadBudgetConfig(frame_budget=bytes))",
    ),
    DiagnosticCode(
        "FA204", "thread", W,
        "pattern may overflow the deferred-free queue",
        "Cross-thread frees arrive faster than the owner processes them; with a bounded "
        "queue policy frees are dropped or refused.",
        "for a in arrays_from_worker: alloc.pool_free(a)  # every frame, thousands",
        "process deferred frees more often (incremental processing) or raise the queue capacity",
    ),
    DiagnosticCode(
        "FA205", "thread", E,
        "end_frame() called without barrier synchronization",
        "Threads sharing a frame boundary ended their frames without meeting at the "
        "FrameBarrier, so one thread may reset memory another still reads.",
        "worker: alloc.end_frame()  # no barrier.signal_frame_complete()",
        "call barrier.signal_frame_complete() (or wait()) before end_frame() on every thread",
    ),
    DiagnosticCode(
        "FA301", "budget", E,
        "global memory budget exceeded",
        "An allocation would take the allocator past AllocConfig.global_memory_limit.",
        "SmartAlloc(AllocConfig().with_memory_limit(1 << 20)).heap_alloc(np.uint8, 2 << 20)",
        "raise the limit with AllocConfig.with_memory_limit(bytes) (0 means no limit), or free "
        "memory first",
    ),
    DiagnosticCode(
        "FA302", "budget", E,
        "tag-specific budget exceeded",
        "An allocation under a tag would exceed that tag's hard budget (soft limits only "
        "warn through the budget_warning hook).",
        "alloc.budgets().register_tag('ai', hard_limit=1024)\nwith alloc.with_tag('ai'): ...",
        "raise the tag's budget, or allocate less under that tag",
    ),
    DiagnosticCode(
        "FA303", "budget", W,
        "thread memory past its budget's warning threshold",
        "A thread with a ThreadBudgetConfig used more of its frame or pool budget than the "
        "config's warning_threshold percent (reported once per frame, at the frame's end).",
        "alloc.set_thread_budget_config(None, ThreadBudgetConfig(frame_budget=1 << 20, "
        "warning_threshold=80))",
        "allocate less on this thread, or raise its budget or warning_threshold",
    ),
    DiagnosticCode(
        "FA401", "handle", E,
        "invalid or freed handle accessed",
        "A handle, PoolBox or HeapBox was used after it was freed, or memory was freed twice "
        "or by an array the allocator did not hand out.",
        "h = handles.alloc(); handles.free(h); handles.resolve(h)",
        "check handle validity with is_valid(), free each allocation exactly once",
    ),
    DiagnosticCode(
        "FA402", "stream", E,
        "streaming allocator budget exhausted",
        "A streaming reservation cannot fit, even after evicting lower-priority unpinned "
        "assets.",
        "streaming.reserve(budget + 1, StreamPriority.HIGH)",
        "raise the streaming budget, unpin assets, or reserve smaller pieces",
    ),
    DiagnosticCode(
        "FA501", "behavior", W,
        "frame allocation behaves like long-lived data",
        "Arrays from frame_alloc() stay referenced for many frames on average. Their bytes "
        "are reused every frame, so the data they show changes under the holder.",
        "self.path = alloc.frame_alloc(Node, 256)  # read for 100 frames",
        "Consider using pool_alloc() or scratch_pool()",
    ),
    DiagnosticCode(
        "FA502", "behavior", W,
        "high frame allocation survival rate",
        "A large share of a tag's frame allocations are still referenced one frame after "
        "their frame ended.",
        "cache.append(alloc.frame_alloc(np.float32, 16))  # every frame",
        "Frame allocations should be ephemeral; use pool or heap",
    ),
    DiagnosticCode(
        "FA503", "behavior", W,
        "captured numpy data outlives its frame",
        "Arrays numpy allocated under capture_numpy() (a + b, np.sin(x), x[mask]) were still "
        "alive when their frame ended. They keep their bytes (the chunk they live in is "
        "retired until they die), but frame memory is meant for temporaries.",
        "with alloc.capture_numpy():\n    self.history.append(a + b)  # kept across frames",
        "copy what must outlive the frame outside the capture, or allocate it with "
        "pool_alloc()/heap_alloc()",
    ),
    DiagnosticCode(
        "FA510", "behavior", H,
        "pool allocation used as scratch memory",
        "Most pool allocations of a tag are freed in the frame that made them; frame memory "
        "is cheaper for that.",
        "a = alloc.pool_alloc(np.float32, 4); ...; alloc.pool_free(a)  # same frame",
        "Consider using frame_alloc() for ephemeral data",
    ),
    DiagnosticCode(
        "FA520", "behavior", W,
        "excessive promotion churn detected",
        "Frame allocations of a tag are promoted to pool/heap at end_frame() on most frames: "
        "the data is long-lived and pays a copy every frame.",
        "alloc.frame_retained(np.float32, 64, RetentionPolicy.PROMOTE_TO_POOL)  # each frame",
        "Consider allocating directly in the target allocator",
    ),
    DiagnosticCode(
        "FA530", "behavior", W,
        "frequent heap allocations detected",
        "A tag makes many heap allocations inside frames (the hot path); the heap takes a "
        "lock and a fit search each time.",
        "with alloc.frame_scope(): alloc.heap_alloc(np.uint8, 1 << 16)  # every frame",
        "Consider using pool_alloc() or frame_alloc() for hot paths",
    ),
    DiagnosticCode(
        "FA901", "internal", E,
        "internal allocator error",
        "An allocator invariant broke. This is a bug in framealloc-engine.",
        "(no user code should trigger this)",
        "please report it with the full message and the steps that led to it",
    ),
    DiagnosticCode(
        "FA903", "internal", E,
        "native backend unavailable",
        "FRAMEALLOC_BACKEND=native asks for the C extension, but it is not built or does not "
        "load (no C compiler at install time, or a build for another Python).",
        "FRAMEALLOC_BACKEND=native python -m framealloc_engine info",
        "reinstall with a C compiler and numpy's headers (pip install -e .), or unset "
        "FRAMEALLOC_BACKEND to run the pure-Python backend",
    ),
)

#: Every runtime code, ordered by code.
CODES: dict[str, DiagnosticCode] = {entry.code: entry for entry in _TABLE}


def get_code(code: str) -> DiagnosticCode:
    """The table entry of ``code`` (any case).

    Raises:
        KeyError: ``code`` is not a runtime FA code.
    """
    key = code.strip().upper()
    try:
        return CODES[key]
    except KeyError:
        raise KeyError(
            f"unknown diagnostic code {code!r}; runtime codes are {', '.join(CODES)} "
            "(static-analysis codes: see `fa list`)"
        ) from None


def all_codes(category: str | None = None) -> list[DiagnosticCode]:
    """Every entry (of one category when given), ordered by code."""
    return [c for c in CODES.values() if category is None or c.category == category]


def explain(code: str) -> str:
    """The long explanation of ``code``: summary, explanation, example and fix."""
    return get_code(code).render()
