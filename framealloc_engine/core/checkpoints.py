"""Frame checkpoints: save the arena position, roll speculative work back in O(1)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from framealloc_engine.errors import FrameNotActiveError, FrameStateError

if TYPE_CHECKING:
    from framealloc_engine.allocators.arena import ArenaCheckpoint
    from framealloc_engine.core.allocator import AllocatorCore
    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["CheckpointGuard", "Checkpoints", "FrameCheckpoint", "SpeculationFailed"]

R = TypeVar("R")


class SpeculationFailed(Exception):  # noqa: N818 - reads as a result, like Rust's Err
    """Return (or raise) this from a :meth:`CheckpointApi.speculative` body to fail it.

    ``speculative`` rolls back and returns the instance, so callers test
    ``isinstance(result, SpeculationFailed)``; ``reason`` says why.
    """

    def __init__(self, reason: object = None) -> None:
        super().__init__(reason)
        self.reason = reason


class FrameCheckpoint:
    """A saved position in the calling thread's frame (from ``frame_checkpoint()``)."""

    __slots__ = ("_arena", "_box_seq", "_frame", "_rollbacks", "_state", "rolled_back")

    def __init__(self, state: ThreadState, arena: ArenaCheckpoint, box_seq: int) -> None:
        self._state = state
        self._frame = state.frame_number
        self._arena = arena
        self._box_seq = box_seq
        # Rollbacks of this frame before the checkpoint; later ones may have gone past it.
        self._rollbacks = len(state.rollback_log)
        self.rolled_back = False

    def roll_back(self, state: ThreadState) -> int:
        """Roll ``state``'s frame back to this checkpoint; returns how many allocations went.

        Raises:
            FrameStateError: (FA001) the checkpoint is from another thread or frame, or a
                rollback already went to an earlier point.
        """
        if self._state is not state:
            raise FrameStateError(
                "rollback_to() got a checkpoint from another thread",
                help="roll back on the thread that took the checkpoint",
            )
        if self._frame != state.frame_number or not state.arena.active:
            raise FrameStateError(
                f"rollback_to() got a checkpoint of frame {self._frame}, but frame "
                f"{state.frame_number} is {'active' if state.arena.active else 'over'}",
                help="checkpoints are valid only inside the frame that took them",
            )
        if self._arena.index > state.arena.count or self._rolled_past():
            raise FrameStateError(
                "rollback_to() got a checkpoint that an earlier rollback already went past",
                note=f"the checkpoint is at allocation {self._arena.index}; the frame "
                f"has {state.arena.count}",
                help="roll back to checkpoints in reverse order of taking them",
            )
        self.rolled_back = True
        return state.rollback(self._arena, self._box_seq)

    def _rolled_past(self) -> bool:
        """Whether a rollback taken after this checkpoint went to an earlier position."""
        index = self._arena.index
        log = self._state.rollback_log
        return any(log[i] < index for i in range(self._rollbacks, len(log)))

    @property
    def frame_number(self) -> int:
        """The frame this checkpoint belongs to."""
        return self._frame

    @property
    def offset(self) -> int:
        """Arena bytes in use when the checkpoint was taken."""
        return self._arena.offset

    @property
    def is_valid(self) -> bool:
        """Whether ``rollback_to(self)`` would succeed now (on the owning thread)."""
        state = self._state
        return (
            state.arena.active
            and self._frame == state.frame_number
            and self._arena.index <= state.arena.count
            and not self._rolled_past()
        )


class CheckpointGuard:
    """Rolls back on exit unless :meth:`commit` was called."""

    __slots__ = ("_api", "_checkpoint", "committed")

    def __init__(self, api: Checkpoints, checkpoint: FrameCheckpoint) -> None:
        self._api = api
        self._checkpoint = checkpoint
        self.committed = False

    @property
    def checkpoint(self) -> FrameCheckpoint:
        """The checkpoint this guard rolls back to."""
        return self._checkpoint

    def commit(self) -> None:
        """Keep everything allocated inside the guard."""
        self.committed = True

    def __enter__(self) -> CheckpointGuard:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            self._api.rollback_to(self._checkpoint)


class Checkpoints:
    """``frame_checkpoint``, ``rollback_to``, ``checkpoint_guard`` and ``speculative``.

    Args:
        core: The allocator whose threads' frames are checkpointed.
    """

    def __init__(self, core: AllocatorCore) -> None:
        self._core = core

    def frame_checkpoint(self) -> FrameCheckpoint:
        """Save the calling thread's frame position.

        Raises:
            FrameNotActiveError: (FA001) no frame is active.
        """
        state = self._core.current_state()
        if not state.arena.active:
            raise FrameNotActiveError(
                "frame_checkpoint() used outside an active frame",
                note="checkpoints mark a position inside one frame",
            )
        arena_cp, box_seq = state.checkpoint()
        return FrameCheckpoint(state, arena_cp, box_seq)

    def rollback_to(self, checkpoint: FrameCheckpoint) -> int:
        """Free everything allocated after ``checkpoint`` (O(1)); returns how many.

        Frame boxes made after the checkpoint raise FA002 from now on. Arrays made after it
        must not be used (their bytes will be handed out again).

        Raises:
            FrameStateError: (FA001) the checkpoint is from another thread or frame, or a
                rollback already went to an earlier point.
                So is a ``checkpoint`` that is not a ``FrameCheckpoint`` (``None``...).
        """
        if not isinstance(checkpoint, FrameCheckpoint):
            raise FrameStateError(
                f"rollback_to() needs a FrameCheckpoint, got {type(checkpoint).__name__}",
                note=f"got {checkpoint!r}",
                help="pass what alloc.frame_checkpoint() returned in this frame",
            )
        return checkpoint.roll_back(self._core.current_state())

    def checkpoint_guard(self) -> CheckpointGuard:
        """A context manager that rolls back on exit unless ``.commit()`` was called::

            with alloc.checkpoint_guard() as guard:
                path = try_find_path(alloc)
                if path is not None:
                    guard.commit()
        """
        return CheckpointGuard(self, self.frame_checkpoint())

    def speculative(self, fn: Callable[[Any], R]) -> R | SpeculationFailed:
        """Run ``fn(alloc)``; roll back if it raises or returns a failure.

        A failure is an exception (re-raised after the rollback) or a returned
        :class:`SpeculationFailed` (returned after the rollback). Anything else keeps the
        allocations and is returned.
        """
        checkpoint = self.frame_checkpoint()
        try:
            result = fn(self._core)
        except SpeculationFailed as failed:
            self.rollback_to(checkpoint)
            return failed
        except BaseException:
            self.rollback_to(checkpoint)
            raise
        if isinstance(result, SpeculationFailed):
            self.rollback_to(checkpoint)
        return result
