"""The asset loader (``demos.assets``), the generated particles assets and their licence."""

from __future__ import annotations

import importlib.util
import os
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pygame
import pytest

from demos import assets
from tests.demos.support import load_pixels

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"


def test_assets_are_found_next_to_the_demos_package() -> None:
    path = assets.asset_path("particles", "palette.png")
    assert path == ASSETS / "particles" / "palette.png"
    roots = assets.asset_roots()
    installed = Path(sys.prefix) / "share" / "framealloc-engine" / "assets"
    assert roots[0] == ASSETS  # FRAMEALLOC_ASSETS unset: the clone first
    assert roots[1] == installed  # then the wheel's data files (a venv or system install)
    user = Path(sysconfig.get_path("data", sysconfig.get_preferred_scheme("user")))
    assert roots[-1] == user / "share" / "framealloc-engine" / "assets"  # pip install --user


def test_env_var_roots_come_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "more"
    (tmp_path / "particles").mkdir()
    (tmp_path / "particles" / "settings.json").write_text('{"count": 7}')
    monkeypatch.setenv(assets.ASSETS_ENV_VAR, os.pathsep.join([str(other), str(tmp_path)]))
    found = assets.asset_path("particles", "settings.json")
    assert found == tmp_path / "particles" / "settings.json"
    assert assets.load_json("particles", "settings.json") == {"count": 7}
    assert assets.asset_path("particles", "palette.png") == ASSETS / "particles" / "palette.png"


def test_missing_asset_names_every_place_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(assets.ASSETS_ENV_VAR, str(tmp_path))
    with pytest.raises(FileNotFoundError) as err:
        assets.asset_path("nope", "missing.png")
    message = str(err.value)
    assert str(tmp_path / "nope" / "missing.png") in message
    assert str(ASSETS / "nope" / "missing.png") in message
    assert "share/framealloc-engine/assets" in message
    assert assets.ASSETS_ENV_VAR in message
    with pytest.raises(ValueError, match="relative"):
        assets.asset_path("..", "pyproject.toml")
    with pytest.raises(ValueError, match="at least one"):
        assets.asset_path()


def test_loaders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pygame.init()
    palette = assets.load_image("particles", "palette.png", alpha=False)
    assert palette.get_size() == (256, 1)
    sprite = assets.load_image("particles", "attractor.png")
    assert sprite.get_size() == (32, 32)
    assert sprite.get_flags() & pygame.SRCALPHA
    assert assets.load_image("particles", "attractor.png") is not sprite  # callers own copies
    np.save(tmp_path / "grid.npy", np.arange(6, dtype=np.int16).reshape(2, 3))
    monkeypatch.setenv(assets.ASSETS_ENV_VAR, str(tmp_path.parent))
    grid = assets.load_npy(tmp_path.name, "grid.npy")
    assert grid.dtype == np.int16
    assert grid.tolist() == [[0, 1, 2], [3, 4, 5]]


def _generator() -> object:
    spec = importlib.util.spec_from_file_location("make_assets", ASSETS / "make_assets.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    generator = _generator()
    assert generator.main([str(tmp_path)]) == 0  # type: ignore[attr-defined]
    for name in ("palette.png", "attractor.png"):
        made = load_pixels(tmp_path / "particles" / name)
        committed = load_pixels(ASSETS / "particles" / name)
        np.testing.assert_array_equal(made, committed)
    ramp = load_pixels(ASSETS / "particles" / "palette.png")[:, 0]
    assert tuple(ramp[0]) == (6, 8, 20)  # the background
    brightness = ramp.astype(int).sum(axis=1)
    assert brightness[0] < brightness[1] < brightness[4] < brightness[12]  # denser, brighter
    assert (ramp[24:] == ramp[24]).all()  # saturated from 24 particles per pixel
    assert (ramp[24] != ramp[23]).any()


def test_assets_are_small_and_licensed() -> None:
    files = [p for p in ASSETS.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert sum(p.stat().st_size for p in files) < 1 << 20
    licence = (ASSETS / "LICENSE.md").read_text(encoding="utf-8")
    assert "CC0 1.0 Universal" in licence
    assert "CC0-1.0" in licence
    for name in ("particles/palette.png", "particles/attractor.png", "particles/settings.json"):
        assert f"`{name}`" in licence
