"""The built wheel installs whole: into a fresh venv outside the clone, its demos run.

Slow (about a minute): it builds the wheel from a copy of the sources, makes a venv in a
temporary directory (no access to the clone's packages or site-packages), installs the wheel
with its dependencies from the package index, and runs a demo headless from another
temporary directory, both through the ``framealloc-demos`` console script and through
``python -m framealloc_demos``. The README's window game passes ``mypy --strict`` there
(every package ships ``py.typed``). The wheel carries the compiled native core and runs it;
built where no C compiler works, it is a pure-Python wheel that still runs.

It runs in the native-backend pass of ``./run test`` only: what it checks does not depend on
the backend the suite runs on.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_PACKAGES = sorted(p.name for p in (ROOT / "plugins").glob("framealloc_*") if p.is_dir())
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "tests",
    "benchmarks", "*.so",
)  # fmt: skip

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        os.environ.get("FRAMEALLOC_BACKEND") == "pure",
        reason="packaging is checked once, in the native-backend pass",
    ),
]


def _run(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["SDL_VIDEODRIVER"] = "dummy"
    env["SDL_AUDIODRIVER"] = "dummy"
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, and the wheel built from it (``python -m build``), from a copy of the
    sources (a build writes into its source tree)."""
    work = tmp_path_factory.mktemp("build")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE)
    result = _run(sys.executable, "-m", "build", "--outdir", work / "dist", source, cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    return work / "dist"


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    """The wheel (built from the sdist, so the sdist holds everything the wheel needs)."""
    (built,) = dist.glob("framealloc_engine-*.whl")
    return built


def test_sdist_holds_the_licence_texts(dist: Path) -> None:
    (sdist,) = dist.glob("framealloc_engine-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE-MIT", "LICENSE-APACHE", "CHANGELOG.md", "setup.py"} <= names
    assert "demos/bullets/game.py" in names
    assert "assets/particles/palette.png" in names
    native = "framealloc_engine/allocators/_native"
    for source in ("native.h", "module.c", "arena.c", "pools.c", "front.c", "memory.c"):
        assert f"{native}/{source}" in names, source
    assert f"{native}.pyi" in names


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel (and mypy) installed; yields its bin directory."""
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bin_dir = env_dir / "bin"
    result = _run(bin_dir / "python", "-m", "pip", "install", "-q", wheel, "mypy", cwd=env_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    return bin_dir


def test_wheel_holds_demos_assets_licences_and_markers(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "framealloc_demos/__main__.py" in names
    assert "framealloc_demos/bullets/game.py" in names
    assert not any(n.startswith("demos/") for n in names)  # no top-level "demos" package
    data = "framealloc_engine-0.1.0.data/data/share/framealloc-engine/assets/"
    assert f"{data}particles/palette.png" in names
    assert f"{data}LICENSE.md" in names
    for licence in ("LICENSE-MIT", "LICENSE-APACHE"):
        assert f"framealloc_engine-0.1.0.dist-info/licenses/{licence}" in names
    for package in ("framealloc_engine", *PLUGIN_PACKAGES):
        assert f"{package}/py.typed" in names, package
    assert any(re.fullmatch(r"framealloc_engine/allocators/_native\..*\.so", n) for n in names)
    assert "framealloc_engine/allocators/_native.pyi" in names
    assert not any(n.endswith(".c") for n in names)  # sources stay in the sdist
    metadata = zipfile.ZipFile(wheel).read("framealloc_engine-0.1.0.dist-info/METADATA")
    assert b"Project-URL: Changelog," in metadata
    assert b"Provides-Extra: arcade" in metadata


def test_installed_demos_run_from_anywhere(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    where = _run(installed / "python", "-c",
                 "import framealloc_demos, framealloc_engine; "
                 "print(framealloc_demos.__file__); print(framealloc_engine.__file__)",
                 cwd=elsewhere)  # fmt: skip
    assert where.returncode == 0, where.stderr
    for line in where.stdout.split():
        assert Path(line).is_relative_to(installed.parent), line  # not the clone's sources
        assert not Path(line).is_relative_to(ROOT), line
    info = _run(installed / "python", "-m", "framealloc_engine", "info", cwd=elsewhere)
    assert "hot paths = native (C extension" in info.stdout, info.stdout + info.stderr
    script = _run(installed / "framealloc-demos", "particles", "--headless", "--frames", "5",
                  cwd=elsewhere)  # fmt: skip
    assert script.returncode == 0, script.stdout + script.stderr
    assert "particles: 5 frames" in script.stdout
    assert "behaviour warnings: 0" in script.stdout
    module = _run(installed / "python", "-m", "framealloc_demos", "--list", cwd=elsewhere)
    assert module.returncode == 0, module.stderr
    assert "bullets" in module.stdout
    assert "core_tour" in module.stdout
    shot = tmp_path / "bullets.png"
    game = _run(installed / "python", "-m", "framealloc_demos.bullets", "--headless",
                "--frames", "5", "--screenshot", shot, cwd=elsewhere)  # fmt: skip
    assert game.returncode == 0, game.stdout + game.stderr
    assert shot.stat().st_size > 1000


def test_readme_game_passes_mypy_strict_against_the_installed_wheel(
    installed: Path, tmp_path: Path
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    games = [b for b in re.findall(r"```py\n(.*?)```", readme, re.S) if "PygamePlugin" in b]
    assert len(games) == 1
    (tmp_path / "game.py").write_text(games[0], encoding="utf-8")
    result = _run(installed / "mypy", "--strict", "--no-incremental", "game.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_a_compiler_the_wheel_is_pure_python_and_runs(tmp_path: Path) -> None:
    """No usable C compiler: the build says so and succeeds; the package runs pure."""
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(CC="/bin/false", LDSHARED="/bin/false", FRAMEALLOC_WERROR="0")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "dist", source],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    assert "the pure-Python backend will run" in built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("framealloc_engine-*.whl")
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    assert not list(unpacked.rglob("*.so"))
    env["PYTHONPATH"] = str(unpacked)
    env.pop("FRAMEALLOC_BACKEND", None)
    ran = subprocess.run(
        [sys.executable, "-c",
         "import numpy as np, framealloc_engine as fe\n"
         "from framealloc_engine.allocators import backend\n"
         "alloc = fe.SmartAlloc()\n"
         "with alloc.frame_scope():\n"
         "    alloc.frame_alloc(np.float32, 8)[:] = 1\n"
         "print(backend.DEFAULT.name, fe.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    name, where = ran.stdout.split()
    assert name == "pure"
    assert Path(where).is_relative_to(unpacked)
