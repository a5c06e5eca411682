"""Numeric constants as 0-d arrays in heap memory.

A ufunc turns every Python or numpy *scalar* operand into a fresh 0-d array (a numpy data
allocation per call); a 0-d *array* operand is used as it is. The demo's kernels therefore
take their constants from a :class:`ConstantPool`, and write per-frame scalars into 0-d
frame arrays with ``fill``.
"""

from __future__ import annotations

import numpy as np

from framealloc_engine import SmartAlloc

__all__ = ["ConstantPool"]


class ConstantPool:
    """0-d read-only views into one heap block of ``dtype``.

    Args:
        alloc: Owns the block (for the pool's life).
        dtype: The constants' dtype.
        capacity: How many constants the block holds.

    Example::

        k = ConstantPool(alloc, np.float32)
        half = k.const(0.5)
        np.multiply(x, half, out=x)   # no allocation
    """

    def __init__(self, alloc: SmartAlloc, dtype: type[np.generic], capacity: int = 64) -> None:
        self._block = alloc.heap_alloc(dtype, capacity)
        self._used = 0

    def const(self, value: float) -> np.ndarray:
        """A new 0-d constant holding ``value``."""
        i = self._used
        if i >= len(self._block):
            raise ValueError(f"the constant pool holds {len(self._block)} constants")
        self._used = i + 1
        self._block[i] = value
        view = self._block[i : i + 1].reshape(())
        view.flags.writeable = False
        return view
