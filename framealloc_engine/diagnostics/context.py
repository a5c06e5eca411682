"""``DiagContext``: the runtime context a diagnostic can carry.

Example::

    set_engine_context(True)          # done by SmartAllocPlugin
    ctx = DiagContext.capture(alloc)
    print(ctx.frame_number, ctx.thread_name)

``capture()`` never creates allocator state: a thread that has not used the allocator reports
frame 0, no active frame.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "DiagContext",
    "FrameInfoSource",
    "is_engine_context",
    "set_context_allocator",
    "set_engine_context",
]

_engine_active = False
_default_alloc: weakref.ref[Any] | None = None


def set_engine_context(active: bool) -> None:
    """Record whether an engine ``App`` with ``SmartAllocPlugin`` is running.

    The Python mirror of the crate's ``set_bevy_context``; the plugin calls it.
    """
    global _engine_active
    _engine_active = bool(active)


def is_engine_context() -> bool:
    """Whether :func:`set_engine_context` last recorded an active engine."""
    return _engine_active


def set_context_allocator(alloc: object | None) -> None:
    """The allocator :meth:`DiagContext.capture` reads when none is passed (held weakly)."""
    global _default_alloc
    _default_alloc = None if alloc is None else weakref.ref(alloc)


@runtime_checkable
class FrameInfoSource(Protocol):
    """What context capture reads from an allocator (``SmartAlloc`` provides it)."""

    def frame_info(self) -> tuple[int, bool] | None:
        """``(frame_number, frame_active)`` of the calling thread, or ``None`` if the thread
        never used the allocator (reading must not register it)."""


def _frame_info(alloc: object | None) -> tuple[int, bool]:
    if not isinstance(alloc, FrameInfoSource):
        return 0, False
    info = alloc.frame_info()
    return (0, False) if info is None else info


@dataclass(frozen=True, slots=True)
class DiagContext:
    """Where and when a diagnostic happened.

    Attributes:
        engine_active: An engine App with the allocator plugin is running.
        frame_number: Frames begun on this thread (0 when unknown).
        frame_active: A frame is open on this thread.
        thread_id: ``threading.get_ident()`` of the thread.
        thread_name: Its name.
        is_main_thread: Whether it is the interpreter's main thread.
    """

    engine_active: bool
    frame_number: int
    frame_active: bool
    thread_id: int
    thread_name: str
    is_main_thread: bool

    @classmethod
    def capture(cls, alloc: object | None = None) -> DiagContext:
        """Capture the calling thread's context.

        Args:
            alloc: The allocator whose frame state to read; defaults to the one set with
                :func:`set_context_allocator` (no frame information when neither is set).
        """
        if alloc is None and _default_alloc is not None:
            alloc = _default_alloc()
        frame_number, frame_active = _frame_info(alloc)
        thread = threading.current_thread()
        return cls(
            engine_active=_engine_active,
            frame_number=frame_number,
            frame_active=frame_active,
            thread_id=threading.get_ident(),
            thread_name=thread.name,
            is_main_thread=thread is threading.main_thread(),
        )

    def describe(self) -> str:
        """One line for a diagnostic's ``note``."""
        frame = f"frame {self.frame_number} ({'active' if self.frame_active else 'inactive'})"
        main = "main thread" if self.is_main_thread else "worker thread"
        engine = "engine active" if self.engine_active else "no engine"
        return f"{frame}, thread {self.thread_name!r} (id {self.thread_id}, {main}), {engine}"
