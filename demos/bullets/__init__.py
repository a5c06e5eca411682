"""Bullet hell: bullets and enemies in handle-addressed pools, waves as allocation groups.

Run ``python -m demos.bullets`` (arrows/WASD fly the ship; the autopilot takes over after two
idle seconds) or ``python -m demos.bullets --headless --frames 600 --screenshot shot.png``.

* Bullets live in chunks of 256 ``Bullet`` records, each chunk a block of the allocator's
  handle allocator (``alloc.handles()``), integrated and collided chunk by chunk with numpy.
* Each wave is an allocation group (``alloc.groups()``): its formation and pattern go with
  one ``free_group`` when the wave is cleared; its enemy records are a handle block.
* Systems run in phases ``ai``/``physics``/``render`` under tags, and every per-frame
  temporary comes from the frame arena: steady-state frames allocate nothing from numpy
  and trigger no garbage collection.
"""

from __future__ import annotations

from .game import SIZE, BulletPools, BulletsPlugin, Score, View, build, details, main

__all__ = ["SIZE", "BulletPools", "BulletsPlugin", "Score", "View", "build", "details", "main"]
