"""Fixtures for demo tests (helpers live in ``tests/demos/support.py``).

* every test gets its SDL environment back afterwards (the harness sets
  ``SDL_VIDEODRIVER=dummy`` for headless runs) and pygame shut down;
* ``real_window``: unset ``SDL_VIDEODRIVER`` so SDL opens a real X11 window on the display
  pytest-xvfb started (mark such tests ``@pytest.mark.window``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pygame
import pytest

_SDL_VARS = ("SDL_VIDEODRIVER", "SDL_AUDIODRIVER")


@pytest.fixture(autouse=True)
def _restore_sdl_environment() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in _SDL_VARS}
    yield
    pygame.quit()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def real_window(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A real window on pytest-xvfb's display (audio stays on SDL's dummy driver)."""
    if not os.environ.get("DISPLAY"):
        pytest.fail("no X display: window tests run under pytest-xvfb (Xvfb installed)")
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    pygame.quit()
    yield
    pygame.quit()
