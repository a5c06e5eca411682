"""Generate the workers demo's assets (deterministic; run from anywhere).

``python assets/make_workers.py`` writes, next to this script:

* ``workers/sprites.png``: the agents' 7x7 sprites in one row (RGBA): a calm prey, an
  alarmed prey (fleeing or touching another agent) and a hunter.
* ``workers/arena.json``: the arena's size, obstacles, agent counts and tuning.

Everything here is made by this script (no third-party art): CC0, see
``assets/workers/LICENSE.md``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402 - after the banner switch

__all__ = ["ARENA", "SPRITE", "main", "make_sprites"]

SPRITE = 7

ARENA: dict[str, object] = {
    "width": 700,
    "height": 540,
    "floor": [22, 26, 34],
    "grid": [30, 36, 46],
    "obstacle": [70, 76, 92],
    "obstacle_rim": [120, 128, 150],
    "obstacles": [[175, 150, 46], [520, 140, 38], [350, 300, 58], [160, 410, 40], [560, 400, 50]],
    "prey": 840,
    "hunters": 60,
    "radius": 3.0,
    "prey_speed": 95.0,
    "hunter_speed": 88.0,
    "view_radius": 30.0,
    "separation_radius": 9.0,
    "flee_radius": 55.0,
    "max_accel": 260.0,
}


def _disc_sprite(
    body: tuple[int, int, int], rim: tuple[int, int, int], eye: tuple[int, int, int] | None
) -> np.ndarray:
    c = (SPRITE - 1) / 2
    yy, xx = np.mgrid[0:SPRITE, 0:SPRITE]
    r = np.hypot(yy - c, xx - c)
    rgba = np.zeros((SPRITE, SPRITE, 4), np.uint8)
    rgba[r <= 3.3] = (*rim, 255)
    rgba[r <= 2.3] = (*body, 255)
    if eye is not None:
        rgba[2:4, 2:4] = (*eye, 255)
    return rgba


def make_sprites() -> np.ndarray:
    """``(3, SPRITE, SPRITE, 4)`` uint8 RGBA: calm prey, alarmed prey, hunter."""
    return np.stack(
        [
            _disc_sprite((120, 220, 150), (40, 110, 70), (230, 255, 235)),
            _disc_sprite((250, 240, 120), (160, 120, 30), (255, 255, 255)),
            _disc_sprite((255, 96, 72), (130, 30, 30), (255, 210, 200)),
        ]
    )


def main(out_dir: Path | None = None) -> Path:
    """Write the assets; returns the directory written."""
    out = out_dir if out_dir is not None else Path(__file__).resolve().parent / "workers"
    out.mkdir(parents=True, exist_ok=True)
    sprites = make_sprites()
    sheet = np.concatenate(list(sprites), axis=1)  # (SPRITE, 3 * SPRITE, 4)
    surface = pygame.Surface((sheet.shape[1], sheet.shape[0]), pygame.SRCALPHA, 32)
    pygame.surfarray.blit_array(surface, np.ascontiguousarray(sheet[..., :3].transpose(1, 0, 2)))
    alpha = pygame.surfarray.pixels_alpha(surface)
    alpha[...] = sheet[..., 3].T
    del alpha
    pygame.image.save(surface, str(out / "sprites.png"))
    (out / "arena.json").write_text(json.dumps(ARENA, indent=2) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    print(f"wrote {main()}")
