"""Draw the particles demo's assets procedurally and save them as PNG.

Run from anywhere: ``python assets/make_assets.py [OUT_DIR]`` (rewrites
``assets/particles/*.png``, or writes them under ``OUT_DIR/particles``).
Output is deterministic, so regenerating leaves the committed files unchanged. Other demos
keep their generators in ``assets/make_<demo>.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402 - after the prompt is silenced

__all__ = ["attractor_sprite", "density_palette", "main"]

HERE = Path(__file__).resolve().parent

# Density -> colour stops: position in [0, 1] (log of the particle count per pixel), RGB.
_STOPS = (
    (0.00, (18, 26, 84)),
    (0.30, (28, 96, 210)),
    (0.55, (60, 200, 255)),
    (0.80, (210, 245, 255)),
    (1.00, (255, 236, 160)),
)
BACKGROUND = (6, 8, 20)


def density_palette(size: int = 256, saturate_at: int = 24) -> np.ndarray:
    """RGB ramp, shape ``(size, 3)`` uint8: entry k is the colour of a pixel k particles hit.

    Entry 0 is the background; the ramp is logarithmic in k, from the first stop at one
    particle to the last at ``saturate_at`` particles and beyond.
    """
    k = np.arange(size, dtype=np.float64)
    t = np.clip(np.log(np.maximum(k, 1.0)) / np.log(saturate_at), 0.0, 1.0)
    positions = np.array([s[0] for s in _STOPS])
    colours = np.array([s[1] for s in _STOPS], dtype=np.float64)
    rgb = np.stack([np.interp(t, positions, colours[:, c]) for c in range(3)], axis=1)
    rgb[0] = BACKGROUND
    return np.rint(rgb).astype(np.uint8)


def attractor_sprite(size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """A soft glow with a bright core: ``(rgb (size, size, 3), alpha (size, size))`` uint8."""
    c = (size - 1) / 2.0
    x, y = np.meshgrid(np.arange(size) - c, np.arange(size) - c, indexing="ij")
    r = np.hypot(x, y) / c
    glow = np.exp(-(r**2) * 5.0)
    ring = np.exp(-(((r - 0.55) / 0.08) ** 2)) * 0.6
    alpha = np.clip(glow + ring, 0.0, 1.0) * (r <= 1.0)
    core = np.exp(-(r**2) * 30.0)
    rgb = np.stack(
        [255 * np.ones_like(r), 150 + 105 * core, 60 + 195 * core], axis=2
    )
    return np.rint(rgb).astype(np.uint8), np.rint(alpha * 255).astype(np.uint8)


def _save_rgb(path: Path, rgb: np.ndarray) -> None:
    surface = pygame.surfarray.make_surface(rgb)
    pygame.image.save(surface, str(path))


def _save_rgba(path: Path, rgb: np.ndarray, alpha: np.ndarray) -> None:
    surface = pygame.Surface(rgb.shape[:2], pygame.SRCALPHA, 32)
    pygame.surfarray.blit_array(surface, rgb)
    view = pygame.surfarray.pixels_alpha(surface)
    view[...] = alpha
    del view
    pygame.image.save(surface, str(path))


def main(argv: list[str] | None = None) -> int:
    """Write every particles asset (into ``argv[0]/particles`` when given, else next to this
    script); returns 0."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else HERE
    out = root / "particles"
    out.mkdir(parents=True, exist_ok=True)
    palette = density_palette()
    _save_rgb(out / "palette.png", palette[:, None, :])  # (x=256, y=1)
    rgb, alpha = attractor_sprite()
    _save_rgba(out / "attractor.png", rgb, alpha)
    for path in sorted(out.iterdir()):
        print(f"{path.relative_to(root)}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
