"""Plugin tests open many windows, one after another, in one process.

A closed ``arcade.Window`` that pyglet collects later calls arcade's ``close`` again from
``__del__``, and arcade's ``close`` clears the *current* window, which by then may be the next
test's. Collecting at the end of each test keeps that inside the test that made the window.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _collect_closed_windows() -> Iterator[None]:
    yield
    gc.collect()
