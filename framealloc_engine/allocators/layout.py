"""Turning ``(dtype, shape)`` requests into validated, cached layouts.

``np.dtype(...)`` and shape normalisation cost microseconds; games ask for the same few
layouts every frame, so each ``(dtype, shape)`` pair the caller passes is normalised once and
cached by the objects passed.
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple, TypeAlias

import numpy as np

from framealloc_engine.errors import AllocationSizeError, AllocationTypeError

__all__ = [
    "LAYOUTS",
    "MAX_DIMS",
    "DTypeSpec",
    "Layout",
    "ShapeSpec",
    "exact_shape",
    "layout_of",
    "normalize_dtype",
    "normalize_shape",
]

DTypeSpec: TypeAlias = Any  # anything np.dtype() accepts
ShapeSpec: TypeAlias = int | tuple[int, ...] | list[int]

_MIN_ALIGN = 16


def _max_dims() -> int:
    try:
        np.empty((1,) * 64, np.uint8)
    except ValueError:
        return 32  # numpy 1.x
    return 64


#: The most dimensions a numpy array may have (64 in numpy 2, 32 in numpy 1).
MAX_DIMS = _max_dims()
_CACHE_LIMIT = 4096


class Layout(NamedTuple):
    """A validated request: dtype, shape, size in bytes and required alignment.

    ``ndshape`` is the shape as ``np.ndarray`` takes it fastest (an int for 1-D);
    ``sliceable`` says a 1-D array of it can be cut from a typed view of a buffer (no
    subarray dtype), which is faster than building a view from a byte offset.
    """

    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    nbytes: int
    align: int
    ndshape: int | tuple[int, ...]
    itemsize: int
    sliceable: bool


#: Layouts by the ``(dtype, shape)`` objects callers passed. Hot paths may read it directly
#: (falling back to :func:`layout_of` on a miss); only :func:`layout_of` writes it.
LAYOUTS: dict[tuple[object, object], Layout] = {}


def normalize_dtype(dtype: DTypeSpec) -> np.dtype[Any]:
    """``np.dtype(dtype)``, refusing what cannot live in raw allocator memory.

    Raises:
        AllocationTypeError: (FA004) not a dtype, an object dtype, or a zero-size flexible one.
    """
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError) as exc:
        raise AllocationTypeError(
            f"{dtype!r} is not a numpy dtype",
            note=str(exc),
            help="pass a numpy dtype such as np.float32, 'f4' or a structured np.dtype([...])",
        ) from None
    if dt.hasobject:
        raise AllocationTypeError(
            f"dtype {dt} holds Python objects, which cannot live in allocator memory",
            help="use frame_box(obj)/pool_box(obj) for arbitrary Python objects",
        )
    if dt.itemsize == 0:
        raise AllocationTypeError(
            f"dtype {dt} has no size",
            help="give flexible dtypes a length, e.g. 'U16' or 'S32'",
        )
    return dt


def _dimension(value: object, shape: object) -> int:
    # bool is an int subclass but never a size; floats are refused even when integral.
    if value.__class__ is bool:
        raise AllocationSizeError(
            f"shape {shape!r} has a bool dimension",
            help="pass an int or a tuple of ints, e.g. (n, 3)",
        )
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise AllocationSizeError(
            f"shape {shape!r} has a non-integer dimension {value!r}",
            help="pass an int or a tuple of ints, e.g. (n, 3)",
        ) from None


def normalize_shape(shape: object) -> tuple[int, ...]:
    """``shape`` as a tuple of non-negative ints (an int, or a tuple/list of ints).

    Raises:
        AllocationSizeError: (FA004) not an int or sequence of ints, or a negative dimension.
    """
    if isinstance(shape, tuple | list):
        dims = tuple(_dimension(d, shape) for d in shape)
    else:
        dims = (_dimension(shape, shape),)
    if any(d < 0 for d in dims):
        raise AllocationSizeError(
            f"shape {shape!r} has a negative dimension",
            help="every dimension must be >= 0",
        )
    if len(dims) > MAX_DIMS:
        raise AllocationSizeError(
            f"shape has {len(dims)} dimensions; numpy arrays have at most {MAX_DIMS}",
            help="reshape the data to fewer dimensions",
        )
    return dims


def exact_shape(shape: object) -> bool:
    """Whether ``shape`` is an ``int`` or a tuple of ``int`` (no float, bool or subclass)."""
    if shape.__class__ is int:
        return True
    if shape.__class__ is not tuple:
        return False
    for dim in shape:  # noqa: SIM110 - a plain loop: no generator object per call
        if dim.__class__ is not int:
            return False
    return True


def _exact_ints(shape: object) -> bool:
    # Cache keys compare by ==, and 4.0 == 4, True == 1: only exact ints may use the cache.
    if shape.__class__ is int:
        return True
    return shape.__class__ is tuple and all(d.__class__ is int for d in shape)


def layout_of(dtype: DTypeSpec, shape: ShapeSpec = ()) -> Layout:
    """The cached :class:`Layout` of a request.

    Raises:
        AllocationTypeError: (FA004) the dtype cannot live in raw memory.
        AllocationSizeError: (FA004) the shape is not a valid shape.
    """
    cacheable = _exact_ints(shape)
    if cacheable:
        try:
            return LAYOUTS[(dtype, shape)]
        except KeyError:
            pass
        except TypeError:  # unhashable dtype spec (a dict)
            cacheable = False
    dt = normalize_dtype(dtype)
    dims = normalize_shape(shape)
    count = 1
    for d in dims:
        count *= d
    ndshape = dims[0] if len(dims) == 1 else dims
    layout = Layout(
        dt,
        dims,
        count * dt.itemsize,
        max(_MIN_ALIGN, dt.alignment),
        ndshape,
        dt.itemsize,
        len(dims) == 1 and dt.subdtype is None,
    )
    if cacheable:
        if len(LAYOUTS) >= _CACHE_LIMIT:
            LAYOUTS.clear()
        LAYOUTS[(dtype, shape)] = layout
    return layout
