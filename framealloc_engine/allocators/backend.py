"""Which implementation runs the hot paths: the native C extension or pure Python.

Each allocator picks its backend from ``AllocConfig.backend``:

* ``"auto"`` (the default): the native extension if it is built, else pure Python;
* ``"pure"``: the pure-Python arena and pools, even when the extension is built;
* ``"native"``: the extension, or :class:`~framealloc_engine.errors.BackendUnavailableError`
  (FA903) when it is missing.

``FRAMEALLOC_BACKEND`` decides for the whole process: ``pure`` never loads the extension
(the process runs exactly as an install without a C compiler does: pure allocators and the
pure per-thread dispatch), ``native`` fails loudly, at import, when it is missing. With the
extension loaded, every allocator's per-thread dispatch is the native one (a pure allocator
then runs the pure arena and pools behind it).

Nothing above ``framealloc_engine/allocators/`` knows which one runs: the allocator core
asks its :class:`Backend` for arenas, pools, slab pages and the per-thread dispatch, and
both backends give them the same interface and behaviour (one test suite runs on each).
Debug mode always runs the pure arena and pools (quarantine, poison checks and allocation
sites are Python's job); its dispatch is still native when the native backend is chosen.
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
    "BACKEND_ENV",
    "BACKENDS",
    "DEFAULT",
    "NATIVE_AVAILABLE",
    "Backend",
    "BackendName",
    "describe",
    "NATIVE_DISPATCH",
    "handle_resolver",
    "native_module",
    "new_capture",
    "new_front",
    "select",
]

#: The environment variable that picks the default backend.
BACKEND_ENV = "FRAMEALLOC_BACKEND"
#: What ``AllocConfig.backend`` accepts.
BACKENDS = ("auto", "native", "pure")

BackendName = Literal["native", "pure"]


def _import_native() -> tuple[ModuleType | None, str]:
    choice = os.environ.get(BACKEND_ENV, "").strip().lower() or "auto"
    if choice not in BACKENDS:
        raise BackendUnavailableError(
            f"{BACKEND_ENV}={choice!r} is not a backend",
            note="expected auto (the default), native or pure",
            help=f"unset {BACKEND_ENV}, or set it to native or pure",
        )
    if choice == "pure":
        return None, f"{BACKEND_ENV}=pure"
    try:
        from framealloc_engine.allocators import _native
    except ImportError as error:
        if choice == "native":
            raise BackendUnavailableError(
                f"{BACKEND_ENV}=native but the native extension does not load: {error}",
                note="framealloc_engine/allocators/_native is compiled by pip install when a "
                "C compiler and numpy's headers are available",
            ) from error
        return None, str(error)
    return _native, ""


_NATIVE, _NATIVE_MISSING = _import_native()
#: Whether the native extension is loaded (built, and not turned off by
#: ``FRAMEALLOC_BACKEND=pure``).
NATIVE_AVAILABLE = _NATIVE is not None
#: Whether allocators dispatch per thread natively (``NativeFront``): whenever the extension
#: is loaded. Without it they read a ``threading.local`` (``PerThread``).
NATIVE_DISPATCH = NATIVE_AVAILABLE


def native_module() -> ModuleType:
    """The native extension module.

    Raises:
        BackendUnavailableError: (FA903) it is not built or does not load.
    """
    if _NATIVE is None:
        raise BackendUnavailableError(
            f"the native backend was asked for, but the extension does not load: "
            f"{_NATIVE_MISSING}",
            note="framealloc_engine/allocators/_native is compiled by pip install when a C "
            "compiler and numpy's headers are available",
        )
    return _NATIVE


class Backend:
    """The parts one backend makes for an allocator.

    Args:
        name: ``"native"`` or ``"pure"``.
    """

    __slots__ = ("_native", "name")

    def __init__(self, name: BackendName) -> None:
        self.name: BackendName = name
        self._native = native_module() if name == "native" else None

    @property
    def native(self) -> bool:
        """Whether this is the native backend (its dispatch is a ``NativeFront``)."""
        return self._native is not None

    def __repr__(self) -> str:
        return f"Backend({self.name!r})"

    def new_arena(self, capacity: int, *, debug: bool, quarantine_frames: int = 2) -> FrameArena:
        """A thread's frame arena: native in release mode on the native backend (typed as
        the pure arena, whose interface it has: see ``_native.pyi``)."""
        if self._native is not None and not debug:
            arena = self._native.NativeArena(capacity, quarantine_frames=quarantine_frames)
            return cast("FrameArena", arena)
        from framealloc_engine.allocators.arena import FrameArena

        return FrameArena(capacity, debug=debug, quarantine_frames=quarantine_frames)

    def new_pools(
        self, registry: SlabRegistry, live: dict[int, Block], *, debug: bool
    ) -> LocalPools:
        """A thread's pools: alloc and free run in C in release mode on the native backend."""
        from framealloc_engine.allocators.pool import LocalPools

        pools = LocalPools(registry, live, debug=debug)
        if self._native is not None and not debug:
            pools.use_paths(self._native.PoolPaths(pools))
        return pools

    def new_page(self, nbytes: int) -> NDArray[np.uint8]:
        """A slab page (over native memory on the native backend, so its blocks can be
        native blocks)."""
        if self._native is not None:
            return cast("NDArray[np.uint8]", self._native.new_page(nbytes))
        return aligned_buffer(nbytes)

    def new_block(
        self, page: NDArray[np.uint8], offset: int, size: int, class_index: int
    ) -> Block:
        """One pool block of ``page``."""
        if self._native is not None:
            return cast("Block", self._native.NativeBlock(page, offset, size, class_index))
        from framealloc_engine.allocators.slab import Block

        return Block(page, offset, size, class_index)



def new_front(make_slot: Callable[[], tuple[Any, Any, Any, Any]]) -> NativeFront:
    """The native per-thread dispatch over ``make_slot`` (see :data:`NATIVE_DISPATCH`)."""
    return cast("NativeFront", native_module().NativeFront(make_slot))


def handle_resolver(
    entries: list[tuple[int, Any]], stale: Callable[[Any], Exception]
) -> Callable[[Any], Any] | None:
    """``resolve(handle)`` in C over a handle allocator's hot table (``None`` without the
    extension: the allocator keeps its Python method)."""
    if _NATIVE is None:
        return None
    return cast("Callable[[Any], Any]", _NATIVE.HandleResolver(entries, stale))


def describe(choice: str = "auto") -> str:
    """One line saying which backend ``AllocConfig.backend == choice`` runs, and why."""
    try:
        chosen = select(choice)
    except BackendUnavailableError as error:
        return f"unavailable: {error.message}"
    if chosen.native:
        return f"native (C extension {_NATIVE.__file__ if _NATIVE else ''})"
    why = "asked for" if choice == "pure" else f"native core not loaded: {_NATIVE_MISSING}"
    return f"pure Python ({why})"


def new_capture(**options: Any) -> Any:
    """A native ``NumpyCapture`` (numpy's allocations served from frame memory).

    Raises:
        BackendUnavailableError: (FA903) the native extension is not loaded: numpy's
            memory-handler API needs C callbacks.
    """
    if _NATIVE is None:
        raise BackendUnavailableError(
            "capture_numpy() needs the native extension (numpy calls its memory handler "
            "from C)",
            note=f"native core not loaded: {_NATIVE_MISSING}",
        )
    return _NATIVE.NumpyCapture(**options)


#: The backend ``AllocConfig.backend == "auto"`` gives.
DEFAULT = Backend("native" if NATIVE_AVAILABLE else "pure")
_PURE = DEFAULT if DEFAULT.name == "pure" else Backend("pure")


def select(choice: str) -> Backend:
    """The backend for ``AllocConfig.backend`` (``"auto"``, ``"native"`` or ``"pure"``).

    Raises:
        BackendUnavailableError: (FA903) ``"native"`` without the extension.
    """
    if choice == "auto":
        return DEFAULT
    if choice == "pure":
        return _PURE
    if choice == "native":
        return DEFAULT if DEFAULT.native else Backend("native")
    raise BackendUnavailableError(
        f"{choice!r} is not a backend", note="expected auto, native or pure"
    )

