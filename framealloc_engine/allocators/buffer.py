"""Aligned byte buffers, the raw material of every allocator."""

from __future__ import annotations

import os
import traceback

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BUFFER_ALIGN",
    "POISON_BYTE",
    "aligned_buffer",
    "allocation_site",
    "data_address",
    "poison",
]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Every buffer starts on a cache line, so block offsets that are multiples of 16 (or of a
#: dtype's alignment up to 64) give aligned arrays.
BUFFER_ALIGN = 64
#: Debug mode fills freed and reset memory with this byte.
POISON_BYTE = 0xCD


def data_address(array: np.ndarray) -> int:
    """The address of ``array``'s first byte."""
    return int(array.__array_interface__["data"][0])


def aligned_buffer(nbytes: int, *, prefault: bool = False) -> NDArray[np.uint8]:
    """A fresh ``uint8`` buffer of ``nbytes`` whose first byte is 64-byte aligned.

    Args:
        nbytes: Size in bytes (> 0).
        prefault: Touch every page now, so the first frame pays no page faults.
    """
    raw = np.empty(nbytes + BUFFER_ALIGN, dtype=np.uint8)
    pad = (-data_address(raw)) % BUFFER_ALIGN
    buf = raw[pad : pad + nbytes]
    if prefault:
        buf.fill(0)
    return buf


def poison(view: NDArray[np.uint8]) -> None:
    """Fill a byte view with the 0xCD poison pattern."""
    view.fill(POISON_BYTE)


def allocation_site(limit: int = 10) -> list[traceback.FrameSummary]:
    """The caller's stack up to the call into this package (debug mode records it for every
    allocation): the innermost frame is the user's line that allocated."""
    stack = traceback.extract_stack(limit=limit + 16)
    while stack and stack[-1].filename.startswith(_PACKAGE):
        stack.pop()
    return stack[-limit:]
