"""Following the allocator across modules: names imported from the project's other modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from framealloc_lint import LintConfig, analyze_paths

MEMORY = """\
from framealloc_engine import SmartAlloc

alloc = SmartAlloc()
POOL_SIZE = 64
"""

RENDER = """\
import numpy as np

from game.memory import alloc


class Renderer:
    def draw(self, sprites: list[int]) -> None:
        self.verts = alloc.frame_alloc(np.float32, (64, 2))
        for sprite in sprites:
            alloc.frame_alloc(np.float32, sprite)


def helper() -> None:
    alloc.frame_alloc(np.float32, 4)


header = alloc.frame_box({"version": 1})
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def findings(root: Path, *names: str) -> list[tuple[str, int, str]]:
    result = analyze_paths([root / n for n in names] or [root], LintConfig(root=root))
    return sorted((Path(d.path).name, d.line, d.code) for d in result.diagnostics)


def test_allocator_imported_from_another_module_is_analysed(tmp_path: Path) -> None:
    write(tmp_path, {"game/__init__.py": "", "game/memory.py": MEMORY, "game/render.py": RENDER})
    assert findings(tmp_path, "game/render.py") == [
        ("render.py", 8, "FA601"),  # stored on self
        ("render.py", 10, "FA602"),  # once per sprite
        ("render.py", 17, "FA603"),  # at import time, no frame; helper() is the owner's business
    ]


@pytest.mark.parametrize(
    ("importer", "expected"),
    [
        ("from .memory import alloc as A\n", "A"),  # relative, renamed
        ("from game.memory import *\n", "alloc"),  # star import
        ("import game.memory as mem\n", "mem.alloc"),  # module attribute
        ("from game.shim import alloc\n", "alloc"),  # re-exported by another module
    ],
)
def test_every_import_form_is_followed(tmp_path: Path, importer: str, expected: str) -> None:
    user = f"import numpy as np\n{importer}\n\nclass C:\n    def f(self) -> None:\n" \
           f"        self.keep = {expected}.frame_alloc(np.float32, 4)\n"  # fmt: skip
    shim = "from .memory import alloc\n"
    write(tmp_path, {"game/__init__.py": "", "game/memory.py": MEMORY, "game/shim.py": shim,
                     "game/user.py": user})  # fmt: skip
    assert findings(tmp_path, "game/user.py") == [("user.py", 7, "FA601")]


def test_scripts_next_to_each_other_and_base_classes(tmp_path: Path) -> None:
    base = (
        "from framealloc_engine import SmartAlloc\n\n"
        "class Engine:\n    def __init__(self) -> None:\n        self.alloc = SmartAlloc()\n"
    )
    level = (
        "import numpy as np\nfrom engine import Engine\n\n"
        "class Level(Engine):\n    def build(self) -> None:\n"
        "        self.tiles = self.alloc.frame_alloc(np.int32, 256)\n"
    )
    write(tmp_path, {"engine.py": base, "level.py": level})
    assert ("level.py", 6, "FA601") in findings(tmp_path, "level.py")


def test_import_cycles_and_missing_modules_are_harmless(tmp_path: Path) -> None:
    write(tmp_path, {
        "a.py": "from b import alloc\nx = alloc.frame_alloc(int, 1)\n",
        "b.py": "from a import alloc\n",
        "c.py": "from nowhere.at.all import alloc\nalloc.frame_alloc(int, 1)\n",
    })  # fmt: skip
    assert findings(tmp_path) == []


def test_names_that_are_not_allocators_stay_silent(tmp_path: Path) -> None:
    other = "class Cache:\n    def frame_alloc(self, *a: object) -> list[object]:\n" \
            "        return list(a)\n\ncache = Cache()\n"  # fmt: skip
    user = "from other import cache\n\nclass C:\n    def f(self) -> None:\n" \
           "        self.keep = cache.frame_alloc(1)\n"  # fmt: skip
    write(tmp_path, {"other.py": other, "user.py": user})
    assert findings(tmp_path, "user.py") == []


def test_show_says_where_an_imported_allocator_comes_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from framealloc_lint.cli import main

    write(tmp_path, {"game/__init__.py": "", "game/memory.py": MEMORY, "game/render.py": RENDER})
    assert main(["show", str(tmp_path / "game" / "render.py"), "--no-config"]) == 0
    assert "alloc (imported from game.memory)" in capsys.readouterr().out
