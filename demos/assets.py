"""Find and load the files under ``assets/``, wherever the package is installed.

Example::

    from demos.assets import asset_path, load_image, load_json

    palette = load_image("particles", "palette.png")
    settings = load_json("particles", "settings.json")

Roots searched, in order:

1. every directory in ``FRAMEALLOC_ASSETS`` (``os.pathsep``-separated);
2. ``assets/`` next to the ``demos`` package (a source checkout);
3. ``<sys.prefix>/share/framealloc-engine/assets`` (where the wheel installs them: a venv or
   a system install);
4. the same below the user data directory (``pip install --user``: ``~/.local`` on Linux).

Images are loaded once and cached (a demo asks for them at startup, never per frame).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import sysconfig
from pathlib import Path
from typing import Any

import numpy as np
import pygame

__all__ = [
    "ASSETS_ENV_VAR",
    "asset_path",
    "asset_roots",
    "load_image",
    "load_json",
    "load_npy",
]

#: Environment variable naming extra asset roots (searched first).
ASSETS_ENV_VAR = "FRAMEALLOC_ASSETS"


def asset_roots() -> list[Path]:
    """The directories searched for assets, in order (existing or not)."""
    roots = [Path(p) for p in os.environ.get(ASSETS_ENV_VAR, "").split(os.pathsep) if p]
    roots.append(Path(__file__).resolve().parents[1] / "assets")
    installed = [Path(sys.prefix)]
    with contextlib.suppress(KeyError):  # schemes a platform lacks
        installed.append(Path(sysconfig.get_path("data", sysconfig.get_preferred_scheme("user"))))
    for prefix in installed:
        root = prefix / "share" / "framealloc-engine" / "assets"
        if root not in roots:
            roots.append(root)
    return roots


def asset_path(*parts: str) -> Path:
    """The path of an asset, e.g. ``asset_path("particles", "palette.png")``.

    Raises:
        FileNotFoundError: no root holds it; the message lists every place searched.
    """
    if not parts:
        raise ValueError("asset_path() needs at least one path part")
    relative = Path(*parts)
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"asset paths are relative to an assets root, got {relative}")
    searched = []
    for root in asset_roots():
        candidate = root / relative
        if candidate.is_file():
            return candidate
        searched.append(str(candidate))
    raise FileNotFoundError(
        f"asset {relative.as_posix()!r} not found; searched:\n  "
        + "\n  ".join(searched)
        + f"\nset {ASSETS_ENV_VAR} to the directory holding the assets"
    )


@functools.lru_cache(maxsize=64)
def _load_surface(path: Path) -> pygame.Surface:
    return pygame.image.load(str(path))


def load_image(*parts: str, alpha: bool = True) -> pygame.Surface:
    """Load an image as a ``pygame.Surface`` (converted to the display format when a
    display is open, so blits are fast). The file is read once per process.

    Args:
        *parts: Path parts below the assets root.
        alpha: Keep per-pixel alpha (``convert_alpha``) rather than ``convert``.
    """
    surface = _load_surface(asset_path(*parts))
    if pygame.display.get_init() and pygame.display.get_surface() is not None:
        return surface.convert_alpha() if alpha else surface.convert()
    return surface.copy()


def load_json(*parts: str) -> Any:
    """Parse a JSON asset."""
    return json.loads(asset_path(*parts).read_text(encoding="utf-8"))


def load_npy(*parts: str) -> np.ndarray:
    """Load a ``.npy`` array asset (no pickles)."""
    array: np.ndarray = np.load(asset_path(*parts), allow_pickle=False)
    return array
