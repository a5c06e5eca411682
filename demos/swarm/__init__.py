"""Swarm (arcade): 384 fireflies chase drifting lights; state in pool memory, temps in frames.

Runs on arcade (``pip install 'framealloc-engine[arcade]'``): ``python -m demos swarm``
(hold the left mouse button to call the swarm; F3 toggles the overlay) or
``python -m demos swarm --headless --frames 300 --screenshot swarm.png`` (offscreen through
EGL, no display needed).

The fireflies' positions and velocities are two blocks of pool memory, allocated at startup
(:mod:`.sim`). Every arcade update is one ``FixedUpdate`` step: the pull towards the nearest
light, a little noise and the edge bounces are computed with numpy in frame-arena arrays
(``out=`` everywhere). Once per frame ``sync_sprites`` copies the positions from pool memory
into the ``SpriteList``'s sprites, and arcade draws the list in one call (:mod:`.game`).

Importing this package does not import arcade (``python -m demos --list`` works without it);
the game module is imported once the harness has chosen a window or offscreen rendering.
"""

from __future__ import annotations

from typing import Any

from framealloc_engine.app import App

from .._arcade import arcade_demo_main
from .._harness import DemoOptions
from .sim import COUNT, HEIGHT, LIGHTS, WIDTH, Swarm

__all__ = ["COUNT", "HEIGHT", "LIGHTS", "WIDTH", "Swarm", "build", "details", "main"]


def build(app: App, options: DemoOptions) -> None:
    """Add the swarm, its sprites and its systems (imports arcade)."""
    from .game import build as build_game

    build_game(app, options)


def details(app: App) -> dict[str, Any]:
    """Summary lines: the swarm, its memory, and arcade's updates and draws."""
    from .game import details as game_details

    return game_details(app)


def main(argv: list[str] | None = None) -> int:
    """Command line of every demo (``--headless``, ``--frames N``, ``--screenshot PATH``...)."""
    return arcade_demo_main("swarm", build, argv, size=(WIDTH, HEIGHT), details=details)
