"""Tags and phases: naming who allocates, and when in the frame."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from framealloc_engine.core.stats import KindCounts
from framealloc_engine.core.tags import validate_tag
from framealloc_engine.errors import FrameNotActiveError

if TYPE_CHECKING:
    from framealloc_engine.core.allocator import AllocatorCore
    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["Attribution", "PhaseListener", "TagScope"]

#: Called as ``listener(state, name, entering)`` at every phase begin and end.
PhaseListener = Callable[["ThreadState", str, bool], None]

R = TypeVar("R")


class TagScope:
    """Context manager entering a tag on the thread that created it."""

    __slots__ = ("_entered", "_name", "_state")

    def __init__(self, state: ThreadState, name: str) -> None:
        self._state = state
        self._name = name
        self._entered = False

    def __enter__(self) -> TagScope:
        self._state.push_tag(self._name)
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._entered:
            self._entered = False
            self._state.pop_tag()


class Attribution:
    """``with_tag`` and ``begin_phase``: per-thread attribution of every allocation.

    Args:
        core: The allocator whose threads' allocations are attributed.
    """

    def __init__(self, core: AllocatorCore) -> None:
        self._core = core
        # Empty by default, so phases pay one attribute check.
        self._phase_listeners: tuple[PhaseListener, ...] = ()

    def add_phase_listener(self, listener: PhaseListener) -> None:
        """Call ``listener(state, name, entering)`` at every phase begin and end (the trace
        export uses it)."""
        self._phase_listeners = (*self._phase_listeners, listener)

    @property
    def phase_listeners(self) -> tuple[PhaseListener, ...]:
        """The installed phase listeners."""
        return self._phase_listeners

    def remove_phase_listener(self, listener: PhaseListener) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        self._phase_listeners = tuple(x for x in self._phase_listeners if x != listener)

    def with_tag(self, name: str, fn: Callable[..., R] | None = None) -> TagScope | R:
        """Attribute allocations to tag ``name`` (nested tags join with ``::``).

        Use as a context manager, or pass ``fn`` to call ``fn(alloc)`` inside the tag and
        get its result (the spec's callback form)::

            with alloc.with_tag("ai"):
                scratch = alloc.frame_alloc(np.float32, 256)
            nodes = alloc.with_tag("pathfinding", lambda a: a.frame_alloc(Node, 256))
        """
        scope = TagScope(self._core.current_state(), validate_tag(name))
        if fn is None:
            return scope
        with scope:
            return fn(self._core)

    def current_tag(self) -> str | None:
        """The innermost tag on this thread, or ``None``."""
        stack = self._core.current_state().tag_stack
        return stack[-1] if stack else None

    def tag_path(self) -> str:
        """The nested tags on this thread joined by ``::`` (``""`` when untagged)."""
        return self._core.current_state().tag_path

    def begin_phase(self, name: str) -> None:
        """Enter phase ``name`` on this thread's frame; phases nest (``"render::shadows"``).

        Raises:
            FrameNotActiveError: (FA001) no frame is active on this thread (a phase is a
                part of a frame).
        """
        name = validate_tag(name, "phase")
        state = self._core.current_state()
        if not state.arena.active:
            raise FrameNotActiveError(
                f"begin_phase({name!r}) outside an active frame",
                note="phases divide a frame; no frame is active on this thread",
                help="call alloc.begin_frame() first, or use with_tag() for work outside "
                "frames",
            )
        state.push_phase(name)
        if self._phase_listeners:
            for listener in self._phase_listeners:
                listener(state, name, True)

    def end_phase(self) -> str:
        """Leave the innermost phase and return its name.

        Raises:
            FrameStateError: (FA001) no phase is active.
        """
        state = self._core.current_state()
        name = state.pop_phase()
        if self._phase_listeners:
            for listener in self._phase_listeners:
                listener(state, name, False)
        return name

    @contextmanager
    def phase_scope(self, name: str) -> Iterator[None]:
        """A phase for the duration of a ``with`` block."""
        self.begin_phase(name)
        try:
            yield
        finally:
            self.end_phase()

    def current_phase(self) -> str | None:
        """The innermost phase on this thread, or ``None`` (a method, as ``current_tag``)."""
        stack = self._core.current_state().phase_stack
        return stack[-1] if stack else None

    def phase_stats(self, all_threads: bool = False) -> dict[str, KindCounts]:
        """Per-phase counts of the last completed frame (``""``: no phase).

        Args:
            all_threads: Sum the last frames of every thread (live and exited) instead of
                only the calling thread's.
        """
        return _summed(s.last_frame_by_phase for s in self._attribution_states(all_threads))

    def tag_stats(self, all_threads: bool = False) -> dict[str, KindCounts]:
        """Per-tag-path counts of every frame so far, the current one up to now.

        Args:
            all_threads: Sum every thread (live and exited), each up to now.
        """
        tables = [s.tag_totals for s in self._attribution_states(all_threads)]
        if all_threads:
            tables.append(self._core.exited_totals.tag_totals)  # threads folded away
        return _summed(tables)

    def frame_tag_stats(self, all_threads: bool = False) -> dict[str, KindCounts]:
        """Per-tag-path counts of the last completed frame (of every thread if asked)."""
        return _summed(s.last_frame_by_tag for s in self._attribution_states(all_threads))

    def _attribution_states(self, all_threads: bool) -> list[ThreadState]:
        return self._core.thread_states() if all_threads else [self._core.current_state()]


def _summed(tables: Iterable[dict[str, KindCounts]]) -> dict[str, KindCounts]:
    total: dict[str, KindCounts] = {}
    for table in tables:
        for key, counts in list(table.items()):
            entry = total.get(key)
            if entry is None:
                total[key] = counts.copy()
            else:
                entry.add(counts)
    return total
