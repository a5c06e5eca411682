"""The exception hierarchy: every error the library raises is a :class:`FrameAllocError`.

Each error carries an FA code (``.code``), a one-line message, and optional ``note`` and
``help`` lines. ``str(err)`` renders the spec's diagnostic format::

    [framealloc][FA001] error: frame allocation used outside an active frame
      note: this allocation was requested when no frame was active
      help: call alloc.begin_frame() before allocating, or use pool_alloc()/heap_alloc()

Errors also derive from the matching built-in (``MemoryError``, ``ValueError``,
``TypeError``, ``RuntimeError``) so ordinary ``except`` clauses keep working.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AllocationSizeError",
    "AllocationTypeError",
    "ArenaExhaustedError",
    "BackendUnavailableError",
    "BudgetExceededError",
    "CapacityError",
    "ClosedBoxError",
    "CrossThreadError",
    "DoubleFreeError",
    "FrameAllocError",
    "FrameExpiredError",
    "FrameHooksNotRunError",
    "FrameNotActiveError",
    "FrameStateError",
    "GlobalBudgetExceededError",
    "InternalAllocatorError",
    "InvalidFreeError",
    "LateWriteError",
    "PluginMissingError",
    "ScratchPoolFullError",
    "StaleHandleError",
    "StreamBudgetError",
    "TagBudgetExceededError",
    "ThreadStateError",
]


class FrameAllocError(Exception):
    """Base of every framealloc-engine error.

    Args:
        message: One line saying what went wrong.
        note: Optional context line (what the allocator saw).
        help: Optional line saying how to fix it.
        code: Overrides the class's FA code (rarely needed).
    """

    code: ClassVar[str] = "FA901"
    severity: ClassVar[str] = "error"
    default_help: ClassVar[str | None] = None

    def __init__(
        self,
        message: str,
        *,
        note: str | None = None,
        help: str | None = None,  # noqa: A002 - mirrors the spec's field name
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.note = note
        self.help = help if help is not None else self.default_help
        if code is not None:
            self.code = code  # type: ignore[misc]

    def format(self) -> str:
        """Render the error in the spec's diagnostic format (several lines)."""
        lines = [f"[framealloc][{self.code}] {self.severity}: {self.message}"]
        if self.note:
            lines.append(f"  note: {self.note}")
        if self.help:
            lines.append(f"  help: {self.help}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.message, self.note, self.help, self.code))


def _rebuild(
    cls: type[FrameAllocError], message: str, note: str | None, help_: str | None, code: str
) -> FrameAllocError:
    err = cls.__new__(cls)
    FrameAllocError.__init__(err, message, note=note, help=help_, code=code)
    return err


# --- FA0xx: frame lifetime -------------------------------------------------------------------


class FrameNotActiveError(FrameAllocError, RuntimeError):
    """FA001: a frame allocation was requested while no frame was active."""

    code = "FA001"
    default_help = (
        "call alloc.begin_frame() before allocating, or use pool_alloc()/heap_alloc()"
    )


class FrameStateError(FrameAllocError, RuntimeError):
    """FA001: the frame lifecycle was misused (begin twice, end without begin)."""

    code = "FA001"


class FrameExpiredError(FrameAllocError, RuntimeError):
    """FA002: frame memory was used after its frame ended (or was rolled back)."""

    code = "FA002"
    default_help = (
        "frame memory lives until end_frame(); copy the data out, or allocate it with "
        "pool_box()/heap_box() or a retention policy if it must outlive the frame"
    )


class LateWriteError(FrameExpiredError):
    """FA002: debug mode found bytes changed after their memory was freed (a late write
    through a kept reference); the note names where the allocation was made."""

    code = "FA002"


class ArenaExhaustedError(FrameAllocError, MemoryError):
    """FA003: the calling thread's frame arena has no room for the request."""

    code = "FA003"


class CapacityError(FrameAllocError, OverflowError):
    """FA003: a bounded frame collection is full."""

    code = "FA003"


class ScratchPoolFullError(FrameAllocError, MemoryError):
    """FA003: a scratch pool has no room for the request."""

    code = "FA003"


class AllocationSizeError(FrameAllocError, ValueError):
    """FA004: a request with an impossible size or shape (negative, too large for a pool)."""

    code = "FA004"


class AllocationTypeError(FrameAllocError, TypeError):
    """FA004: a dtype the allocator cannot place in raw memory (object dtypes, bad specs)."""

    code = "FA004"


# --- FA1xx: engine integration ---------------------------------------------------------------


class PluginMissingError(FrameAllocError, RuntimeError):
    """FA101: a system asked for ``AllocResource`` but ``SmartAllocPlugin`` is not added."""

    code = "FA101"
    default_help = "add .add_plugins(SmartAllocPlugin.default()) to your App"


class FrameHooksNotRunError(FrameAllocError, RuntimeError):
    """FA102: the frame begin/end hooks did not run in a frame."""

    code = "FA102"
    severity = "warning"


# --- FA2xx: threads ------------------------------------------------------------------------


class CrossThreadError(FrameAllocError, RuntimeError):
    """FA201: frame memory accessed or freed from a thread that does not own it."""

    code = "FA201"
    default_help = (
        "send frame data to another thread with alloc.frame_box_for_transfer(value) and "
        "receive() it there, or allocate it on the thread that uses it"
    )


class ThreadStateError(FrameAllocError, RuntimeError):
    """FA202: thread-local allocator state was used before it existed or after teardown."""

    code = "FA202"


# --- FA3xx: budgets ------------------------------------------------------------------------


class BudgetExceededError(FrameAllocError, MemoryError):
    """FA301/FA302: an allocation was refused by a memory budget."""

    code = "FA301"


class GlobalBudgetExceededError(BudgetExceededError):
    """FA301: the global memory limit would be exceeded."""

    code = "FA301"
    default_help = (
        "raise the limit with AllocConfig.with_memory_limit(bytes) (0 means no limit), "
        "or free memory first"
    )


class TagBudgetExceededError(BudgetExceededError):
    """FA302: a tag's hard budget would be exceeded."""

    code = "FA302"


# --- FA4xx: handles and streaming ----------------------------------------------------------


class StaleHandleError(FrameAllocError, RuntimeError):
    """FA401: an invalid, freed or stale handle (or box) was used."""

    code = "FA401"


class ClosedBoxError(StaleHandleError):
    """FA401: a PoolBox/HeapBox was used after ``close()``."""


class DoubleFreeError(StaleHandleError):
    """FA401: memory was freed twice."""

    default_help = "free each allocation exactly once; prefer pool_box()/heap_box()"


class InvalidFreeError(StaleHandleError, ValueError):
    """FA401: an array this allocator did not hand out was passed to a free function."""

    default_help = (
        "pass the exact array returned by pool_alloc()/heap_alloc() (not a slice or copy)"
    )


class StreamBudgetError(FrameAllocError, MemoryError):
    """FA402: the streaming allocator cannot fit a reservation, even after eviction."""

    code = "FA402"


# --- FA9xx: internal ----------------------------------------------------------------------


class InternalAllocatorError(FrameAllocError, RuntimeError):
    """FA901: an allocator invariant broke. Please report it with the message."""

    code = "FA901"
    default_help = "this is a bug in framealloc-engine; please report it with this message"


class BackendUnavailableError(FrameAllocError, ImportError):
    """FA903: ``FRAMEALLOC_BACKEND=native`` but the C extension is not built or not loadable."""

    code = "FA903"
    default_help = (
        "reinstall with a C compiler and numpy's headers (pip install -e .), or unset "
        "FRAMEALLOC_BACKEND to run the pure-Python backend"
    )
