"""Test-suite wide settings: a bounded, deterministic Hypothesis profile, and process-wide
diagnostic state (strict mode, engine context) reset around every test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from framealloc_engine.diagnostics import context, strict

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
