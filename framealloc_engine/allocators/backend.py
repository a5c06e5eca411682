"""Which implementation runs the hot paths: the native C extension or pure Python.

Chosen once, at import, from ``FRAMEALLOC_BACKEND``:

* unset or ``auto``: the native extension when it is built, else pure Python;
* ``pure``: pure Python, even when the extension is built;
* ``native``: the extension, or :class:`~framealloc_engine.errors.BackendUnavailableError`
  (FA903) at import when it is missing.

Nothing above ``framealloc_engine/allocators/`` knows which one runs: the allocator core
asks this module for arenas, pools, slab pages and the per-thread dispatch, and both
backends give them the same interface and the same behaviour (one test suite runs on each).
Debug mode always runs the pure arena and pools (quarantine, poison checks and allocation
sites are Python's job); its dispatch is still native when the extension is there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from framealloc_engine.allocators.buffer import aligned_buffer
from framealloc_engine.errors import BackendUnavailableError

if TYPE_CHECKING:
    from framealloc_engine.allocators._native import NativeFront
    from framealloc_engine.allocators.arena import FrameArena
    from framealloc_engine.allocators.pool import LocalPools
    from framealloc_engine.allocators.slab import Block, SlabRegistry

__all__ = [
    "BACKEND",
    "BACKEND_ENV",
    "NATIVE_DISPATCH",
    "new_arena",
    "new_block",
    "new_front",
    "new_page",
    "new_pools",
]

#: The environment variable that picks the backend.
BACKEND_ENV = "FRAMEALLOC_BACKEND"

def _load() -> ModuleType | None:
    choice = os.environ.get(BACKEND_ENV, "").strip().lower() or "auto"
    if choice not in ("auto", "pure", "native"):
        raise BackendUnavailableError(
            f"{BACKEND_ENV}={choice!r} is not a backend",
            note="expected 'auto' (the default), 'pure' or 'native'",
            help=f"unset {BACKEND_ENV}, or set it to pure or native",
        )
    if choice == "pure":
        return None
    try:
        from framealloc_engine.allocators import _native
    except ImportError as error:
        if choice == "native":
            raise BackendUnavailableError(
                f"{BACKEND_ENV}=native but the native extension does not load: {error}",
                note="framealloc_engine/allocators/_native is built by pip install when a C "
                "compiler and numpy's headers are available",
            ) from error
        return None
    return _native


_NATIVE = _load()

#: ``"native"`` or ``"pure"``: which backend runs the hot paths.
BACKEND: Literal["native", "pure"] = "native" if _NATIVE is not None else "pure"
#: Whether the per-thread dispatch is the native ``NativeFront`` (the allocator then stores
#: its bound methods on itself instead of reading a ``threading.local``).
NATIVE_DISPATCH = _NATIVE is not None


def new_arena(capacity: int, *, debug: bool, quarantine_frames: int = 2) -> FrameArena:
    """A thread's frame arena: native in release mode when the extension runs (typed as
    the pure arena, whose interface it has: see ``_native.pyi``)."""
    if _NATIVE is not None and not debug:
        native = _NATIVE.NativeArena(capacity, quarantine_frames=quarantine_frames)
        return cast("FrameArena", native)
    from framealloc_engine.allocators.arena import FrameArena

    return FrameArena(capacity, debug=debug, quarantine_frames=quarantine_frames)


def new_pools(registry: SlabRegistry, live: dict[int, Block], *, debug: bool) -> LocalPools:
    """A thread's pools: alloc and free run in C in release mode when the extension runs."""
    from framealloc_engine.allocators.pool import LocalPools

    pools = LocalPools(registry, live, debug=debug)
    if _NATIVE is not None and not debug:
        pools.use_paths(_NATIVE.PoolPaths(pools))
    return pools


def new_page(nbytes: int) -> NDArray[np.uint8]:
    """A slab page: over native memory (so native blocks can be cut from it) when the
    extension runs."""
    if _NATIVE is not None:
        return cast("NDArray[np.uint8]", _NATIVE.new_page(nbytes))
    return aligned_buffer(nbytes)


def new_block(page: NDArray[np.uint8], offset: int, size: int, class_index: int) -> Block:
    """One pool block of ``page``."""
    if _NATIVE is not None:
        return cast("Block", _NATIVE.NativeBlock(page, offset, size, class_index))
    from framealloc_engine.allocators.slab import Block

    return Block(page, offset, size, class_index)


def new_front(make_slot: Callable[[], tuple[Any, Any, Any, Any]]) -> NativeFront:
    """The native per-thread dispatch (only when :data:`NATIVE_DISPATCH`)."""
    if _NATIVE is None:
        raise BackendUnavailableError("the native dispatch needs the native extension")
    return cast("NativeFront", _NATIVE.NativeFront(make_slot))
