"""Count what a steady-state frame costs: numpy data allocations and GC collections.

The demo tests and ``benchmarks/demos.py`` use it::

    probe = AllocProbe()
    with probe:
        for _ in range(120):
            app.update()
    assert probe.numpy_allocations == 0 and probe.gc_collections == 0

*numpy allocations* are the data buffers numpy allocates, exactly the allocations numpy reports
to tracemalloc's numpy domain (``np.lib.tracemalloc_domain``): a temporary ``a + b`` or
``a * 2.0`` (the scalar becomes a 0-d array), a fresh result, ``arr.sum()``. tracemalloc
itself only keeps *live* traces, so a temporary freed within the frame leaves no trace in a
snapshot; the probe counts them instead through numpy's memory-handler API (NEP 49): while
it is active, the calling thread (and every thread :meth:`AllocProbe.install_here` ran on)
allocates array data through a handler that counts each call and forwards to numpy's default
allocator. Views of allocator memory (what ``frame_alloc`` hands out) allocate nothing.

*GC collections* are counted with ``gc.callbacks`` ("start" phases).
"""

from __future__ import annotations

import ctypes
import gc
import threading
import tracemalloc
from types import TracebackType
from typing import Any

import numpy as np

__all__ = ["AllocProbe", "numpy_domain_growth"]

_API = ctypes.pythonapi
_API.PyCapsule_GetPointer.restype = ctypes.c_void_p
_API.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_void_p]
_API.PyCapsule_New.restype = ctypes.py_object
_API.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
_API.PyCapsule_IsValid.restype = ctypes.c_int
_API.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_void_p]

# numpy's C-API table slots of PyDataMem_SetHandler / PyDataMem_GetHandler (NEP 49, 1.22+);
# checked at install time by asking numpy which handler new arrays use.
_SET_HANDLER, _GET_HANDLER = 304, 305

_MALLOC = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_CALLOC = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t)
_REALLOC = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_FREE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
# The default allocator is called without releasing the GIL (the callbacks hold it).
_PY_MALLOC = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_PY_CALLOC = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t)
_PY_REALLOC = ctypes.PYFUNCTYPE(
    ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t
)
_PY_FREE = ctypes.PYFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_NAME = b"framealloc_probe"


class _Allocator(ctypes.Structure):
    _fields_ = [
        ("ctx", ctypes.c_void_p),
        ("malloc", _MALLOC),
        ("calloc", _CALLOC),
        ("realloc", _REALLOC),
        ("free", _FREE),
    ]


class _Handler(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char * 127),
        ("version", ctypes.c_uint8),
        ("allocator", _Allocator),
    ]


class _CountingHandler:
    """The process-wide counting handler (created once, never freed: arrays it allocated
    may outlive any probe, and numpy frees them through it)."""

    def __init__(self) -> None:
        core = getattr(np, "_core", None)  # numpy >= 2; numpy.core before
        if core is None or not hasattr(core, "_multiarray_umath"):
            core = np.core
        self._multiarray = core.multiarray
        table = ctypes.cast(
            _API.PyCapsule_GetPointer(core._multiarray_umath._ARRAY_API, None),
            ctypes.POINTER(ctypes.c_void_p),
        )
        self._set = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.py_object)(table[_SET_HANDLER])
        get = ctypes.PYFUNCTYPE(ctypes.py_object)(table[_GET_HANDLER])
        capsule_name = ctypes.create_string_buffer(b"mem_handler")
        default = get()
        if not _API.PyCapsule_IsValid(default, ctypes.addressof(capsule_name)):
            raise RuntimeError("numpy's memory handler API is not where AllocProbe expects it")
        self.default = default
        inner = _Handler.from_address(
            _API.PyCapsule_GetPointer(default, ctypes.addressof(capsule_name))
        ).allocator

        def address(fn: Any) -> int:
            return int(ctypes.cast(fn, ctypes.c_void_p).value or 0)

        ctx = inner.ctx
        d_malloc = _PY_MALLOC(address(inner.malloc))
        d_calloc = _PY_CALLOC(address(inner.calloc))
        d_realloc = _PY_REALLOC(address(inner.realloc))
        d_free = _PY_FREE(address(inner.free))
        self.count = 0
        self.counting = False

        def malloc(_ctx: int, size: int) -> int:
            if self.counting:
                self.count += 1
            return d_malloc(ctx, size) or 0

        def calloc(_ctx: int, nelem: int, elsize: int) -> int:
            if self.counting:
                self.count += 1
            return d_calloc(ctx, nelem, elsize) or 0

        def realloc(_ctx: int, ptr: int, size: int) -> int:
            if self.counting:
                self.count += 1
            return d_realloc(ctx, ptr, size) or 0

        def free(_ctx: int, ptr: int, size: int) -> None:
            d_free(ctx, ptr, size)

        callbacks = (_MALLOC(malloc), _CALLOC(calloc), _REALLOC(realloc), _FREE(free))
        handler = _Handler(_NAME, 1, _Allocator(None, *callbacks))
        self.capsule = _API.PyCapsule_New(
            ctypes.addressof(handler), ctypes.addressof(capsule_name), None
        )
        # Leak every piece on purpose: numpy may call the handler during interpreter exit.
        for obj in (capsule_name, handler, self.capsule, default, d_malloc, d_calloc,
                    d_realloc, d_free, *callbacks):
            _API.Py_IncRef(ctypes.py_object(obj))

    def install(self) -> None:
        """Make the calling thread allocate array data through the counting handler."""
        self._set(self.capsule)
        if self._multiarray.get_handler_name() != _NAME.decode():
            raise RuntimeError("numpy did not accept AllocProbe's memory handler")

    def uninstall(self) -> None:
        """Give the calling thread numpy's default handler back."""
        self._set(self.default)


_handler: _CountingHandler | None = None
_handler_lock = threading.Lock()


def _counting_handler() -> _CountingHandler:
    global _handler
    with _handler_lock:
        if _handler is None:
            _handler = _CountingHandler()
        return _handler


class AllocProbe:
    """Counts numpy data allocations and GC collections while active (a context manager).

    Attributes:
        numpy_allocations: numpy data allocations made while active, on the threads the
            probe is installed on.
        gc_collections: Garbage collections (any generation) started while active.

    Example::

        probe = AllocProbe()
        app.thread_hooks.begin.append(probe.install_here)  # count worker threads too
        with probe:
            app.update()
    """

    def __init__(self) -> None:
        self.numpy_allocations = 0
        self.gc_collections = 0
        self._handler = _counting_handler()
        self._installed: set[int] = set()
        self._start = 0
        self.active = False

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.gc_collections += 1

    def install_here(self) -> None:
        """Count this thread's allocations too (idempotent; call it on worker threads,
        e.g. from a thread-begin hook, while the probe is active)."""
        ident = threading.get_ident()
        if self.active and ident not in self._installed:
            self._handler.install()
            self._installed.add(ident)
        elif not self.active and ident in self._installed:
            self._handler.uninstall()
            self._installed.discard(ident)

    def __enter__(self) -> AllocProbe:
        handler = self._handler
        self.active = True
        self.install_here()
        self._start = handler.count
        handler.counting = True
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        handler = self._handler
        handler.counting = False
        self.numpy_allocations = handler.count - self._start
        gc.callbacks.remove(self._on_gc)
        self.active = False
        self.install_here()  # other threads restore theirs at their next install_here()


def numpy_domain_growth(snapshot_before: tracemalloc.Snapshot) -> tuple[int, int]:
    """Live numpy-domain traces added since ``snapshot_before``: ``(count, bytes)``.

    tracemalloc must still be tracing.
    """
    domain = tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)
    after = tracemalloc.take_snapshot().filter_traces([domain])
    before = snapshot_before.filter_traces([domain])
    diff = after.compare_to(before, "lineno")
    return sum(d.count_diff for d in diff), sum(d.size_diff for d in diff)
