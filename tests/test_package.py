"""The package surface: every exported name resolves, typed, and pygame stays optional."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import framealloc_engine

ROOT = Path(__file__).resolve().parent.parent


def test_every_exported_name_resolves() -> None:
    missing = [n for n in framealloc_engine.__all__ if not hasattr(framealloc_engine, n)]
    assert missing == []
    assert len(framealloc_engine.__all__) == len(set(framealloc_engine.__all__))


def test_public_names_have_docstrings() -> None:
    undocumented = [
        name
        for name in framealloc_engine.__all__
        if isinstance(getattr(framealloc_engine, name), type)
        and not (getattr(framealloc_engine, name).__doc__ or "").strip()
    ]
    assert undocumented == []


def test_py_typed_marker_ships() -> None:
    assert (ROOT / "framealloc_engine" / "py.typed").is_file()


def test_allocator_does_not_import_pygame() -> None:
    code = (
        "import sys, numpy as np, framealloc_engine as fe\n"
        "a = fe.SmartAlloc.with_defaults()\n"
        "with a.frame_scope():\n"
        "    a.frame_alloc(np.float32, 8)\n"
        "assert 'pygame' not in sys.modules, sorted(m for m in sys.modules if 'pygame' in m)\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_root_is_the_allocator_and_knows_no_engine() -> None:
    """The root re-exports the allocator only; importing it loads neither engine nor pygame."""
    code = (
        "import sys, framealloc_engine as fe\n"
        "engine = sorted(m for m in sys.modules if m.startswith(('framealloc_engine.app', "
        "'framealloc_engine.bridge', 'pygame')))\n"
        "print(engine, [n for n in ('App', 'Update', 'SmartAllocPlugin') if hasattr(fe, n)])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] []"


def test_prelude_gathers_the_three_namespaces() -> None:
    import framealloc_engine.app
    import framealloc_engine.bridge
    import framealloc_engine.prelude as prelude

    expected = {
        *framealloc_engine.__all__, *framealloc_engine.app.__all__,
        *framealloc_engine.bridge.__all__,
    }  # fmt: skip
    assert set(prelude.__all__) == expected
    assert len(prelude.__all__) == len(expected)  # no name exported by two namespaces
    assert all(hasattr(prelude, name) for name in prelude.__all__)


def test_root_init_lists_each_name_once() -> None:
    """Plain re-exports: every imported name appears in ``__all__`` and nothing else."""
    import ast

    tree = ast.parse((ROOT / "framealloc_engine" / "__init__.py").read_text(encoding="utf-8"))
    imported = [
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        for alias in node.names
    ]
    assert sorted(imported) == sorted(framealloc_engine.__all__)


def test_arcade_stays_optional() -> None:
    """Without arcade, the allocator, the engine, the pygame plugins and the pygame demos
    still import and run (arcade is the ``[arcade]`` extra)."""
    code = (
        "import sys\n"
        "sys.modules['arcade'] = None  # as if the extra were not installed\n"
        "import framealloc_engine, framealloc_engine.app, framealloc_engine.bridge\n"
        "import framealloc_pygame, framealloc_overlay\n"
        "from demos import particles\n"
        "code = particles.main(['--headless', '--frames', '2', '--no-overlay'])\n"
        "assert code == 0, code\n"
        "try:\n"
        "    import framealloc_arcade\n"
        "except ImportError:\n"
        "    print('ok')\n"
    )
    env = {"PATH": "", "PYTHONPATH": f"{ROOT}:{ROOT / 'plugins'}", "SDL_AUDIODRIVER": "dummy"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_every_plugin_package_ships_py_typed() -> None:
    packages = sorted((ROOT / "plugins").glob("framealloc_*"))
    assert {p.name for p in packages} >= {"framealloc_pygame", "framealloc_overlay",
                                         "framealloc_arcade", "framealloc_lint"}  # fmt: skip
    assert [p.name for p in packages if not (p / "py.typed").is_file()] == []
