"""Checked by mypy (``test_typing.py``), never run: what users' type checkers see."""

from __future__ import annotations

from typing import Any, assert_type

import numpy as np
from numpy.typing import NDArray

from framealloc_engine import SmartAlloc
from framealloc_engine.bridge import AllocResource

alloc = SmartAlloc()
assert_type(alloc.frame_alloc(np.float32, 16), NDArray[np.float32])
assert_type(alloc.frame_alloc(np.dtype(np.int16), (4, 4)), NDArray[np.int16])
assert_type(alloc.frame_alloc("f4", 16), NDArray[Any])
assert_type(alloc.try_frame_alloc(np.uint8, 64), NDArray[np.uint8] | None)
assert_type(alloc.pool_alloc(np.float64, 8), NDArray[np.float64])
assert_type(alloc.heap_alloc(np.complex64, 1024), NDArray[np.complex64])
assert_type(alloc.frame_slice(np.int32, 10), NDArray[np.int32])
Record = np.dtype([("x", "f4"), ("hp", "i4")])
assert_type(alloc.pool_alloc(Record), NDArray[np.void])


def system(resource: AllocResource) -> NDArray[np.float32]:
    return resource.frame_alloc(np.float32, (128, 3))
