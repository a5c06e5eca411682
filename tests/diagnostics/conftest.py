"""Diagnostics tests: reset process-wide diagnostic state around every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from framealloc_engine.diagnostics import context, strict


@pytest.fixture(autouse=True)
def _reset_diagnostics_state() -> Iterator[None]:
    previous = strict.strict_mode()
    strict.set_strict_mode(strict.StrictMode.WARN)
    context.set_engine_context(False)
    context.set_context_allocator(None)
    yield
    strict.set_strict_mode(previous)
    context.set_engine_context(False)
    context.set_context_allocator(None)
