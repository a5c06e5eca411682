"""Generate the bullets demo's sprites (small PNGs under ``assets/bullets/``).

Everything is drawn procedurally and deterministically (no external art), so the files can
be regenerated bit for bit: ``python assets/make_bullets.py``. They are made here and
dedicated to the public domain (CC0), like every generated asset of this repository.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402 - after hiding the banner

__all__ = ["OUT", "SPRITES", "main", "render"]

OUT = Path(__file__).resolve().parent / "bullets"

RGBA = np.ndarray


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates relative to the sprite centre."""
    c = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    return x - c, y - c


def _image(size: tuple[int, int]) -> RGBA:
    return np.zeros((size[1], size[0], 4), np.uint8)


def _paint(img: RGBA, mask: np.ndarray, rgb: tuple[int, int, int], alpha: int = 255) -> None:
    img[mask, :3] = rgb
    img[mask, 3] = alpha


def _round_bullet(core: tuple[int, int, int], rim: tuple[int, int, int]) -> Callable[[], RGBA]:
    def draw() -> RGBA:
        img = _image((9, 9))
        x, y = _grid(9)
        r = np.hypot(x, y)
        _paint(img, r <= 4.3, rim)
        _paint(img, r <= 2.6, core)
        _paint(img, r <= 1.1, (255, 255, 255))
        return img

    return draw


def _player_bullet() -> RGBA:
    img = _image((4, 12))
    img[:, :, :3] = (255, 236, 120)
    img[:, :, 3] = 255
    img[1:-1, 1:3, :3] = 255
    return img


def _spark() -> RGBA:
    img = _image((3, 3))
    _paint(img, np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool), (255, 190, 60))
    img[1, 1, :3] = (255, 255, 210)
    return img


def _with_alpha(size: int, points: list[tuple[float, float]], rgb: tuple[int, int, int]) -> RGBA:
    surface = pygame.Surface((size, size), pygame.SRCALPHA)
    pygame.draw.polygon(surface, (*rgb, 255), points)
    rgb_px = pygame.surfarray.pixels3d(surface).transpose(1, 0, 2)
    alpha = pygame.surfarray.pixels_alpha(surface).T
    img = _image((size, size))
    img[..., :3] = rgb_px
    img[..., 3] = alpha
    return img


def _ship() -> RGBA:
    img = _with_alpha(
        28, [(14, 1), (26, 24), (18, 20), (14, 26), (10, 20), (2, 24)], (90, 210, 255)
    )
    x, y = _grid(28)
    cockpit = np.hypot(x, (y + 2) * 0.7) <= 2.6
    _paint(img, cockpit, (235, 250, 255))
    wings = (np.abs(x) >= 8) & (np.abs(x) <= 11) & (y >= 5) & (y <= 9) & (img[..., 3] > 0)
    _paint(img, wings, (40, 120, 220))
    return img


def _enemy_ring() -> RGBA:
    img = _image((26, 26))
    x, y = _grid(26)
    disc = (x / 12.5) ** 2 + (y / 7.0) ** 2 <= 1.0
    _paint(img, disc, (220, 60, 200))
    dome = (x / 6.0) ** 2 + ((y + 3) / 6.0) ** 2 <= 1.0
    _paint(img, dome, (255, 170, 250))
    lights = disc & (np.abs(y - 2) <= 1) & (np.mod(np.round(x), 5) == 0)
    _paint(img, lights, (255, 255, 160))
    return img


def _enemy_aimed() -> RGBA:
    img = _with_alpha(24, [(1, 2), (12, 23), (23, 2), (12, 8)], (255, 140, 40))
    x, y = _grid(24)
    eye = np.hypot(x, y - 1) <= 2.2
    _paint(img, eye, (255, 240, 200))
    return img


def _enemy_spiral() -> RGBA:
    img = _image((40, 40))
    x, y = _grid(40)
    r = np.hypot(x, y)
    angle = np.arctan2(y, x)
    petals = r <= 15 + 4 * np.cos(6 * angle)
    _paint(img, petals, (120, 40, 200))
    _paint(img, r <= 9, (80, 230, 160))
    _paint(img, r <= 4, (230, 255, 240))
    return img


def _stars() -> RGBA:
    rng = np.random.default_rng(2024)
    img = _image((128, 128))
    y = np.arange(128, dtype=np.float32)[:, None]
    img[..., 0] = 6
    img[..., 1] = (10 + 6 * np.sin(y / 128 * np.pi)).astype(np.uint8)
    img[..., 2] = (26 + 10 * np.sin(y / 128 * np.pi)).astype(np.uint8)
    img[..., 3] = 255
    for _ in range(40):
        sx, sy = rng.integers(0, 128, 2)
        level = int(rng.integers(90, 256))
        img[sy, sx, :3] = (level, level, min(255, level + 30))
    return img


#: File name -> drawing function.
SPRITES: dict[str, Callable[[], RGBA]] = {
    "ship.png": _ship,
    "enemy_ring.png": _enemy_ring,
    "enemy_aimed.png": _enemy_aimed,
    "enemy_spiral.png": _enemy_spiral,
    "bullet_player.png": _player_bullet,
    "bullet_pink.png": _round_bullet((255, 110, 200), (200, 30, 140)),
    "bullet_orange.png": _round_bullet((255, 190, 80), (230, 100, 20)),
    "bullet_green.png": _round_bullet((150, 255, 170), (30, 170, 110)),
    "spark.png": _spark,
    "stars.png": _stars,
}


def render(name: str) -> pygame.Surface:
    """Draw one sprite as an RGBA surface."""
    img = np.ascontiguousarray(SPRITES[name]())
    height, width = img.shape[:2]
    return pygame.image.frombuffer(img.tobytes(), (width, height), "RGBA")


def main(out: Path = OUT) -> list[Path]:
    """Write every sprite to ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SPRITES:
        path = out / name
        pygame.image.save(render(name), str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main():
        print(path)
