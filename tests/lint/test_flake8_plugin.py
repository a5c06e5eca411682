"""The flake8 entry point: same findings as ``fa``, as flake8 tuples and through flake8 itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from framealloc_lint import LintConfig, analyze_source
from framealloc_lint.flake8_plugin import FaFlake8Plugin
from tests.lint.support import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
TARGET = FIXTURES / "FA601" / "bad_self_store.py"


def test_plugin_yields_flake8_tuples() -> None:
    source = TARGET.read_text()
    plugin = FaFlake8Plugin(ast.parse(source), str(TARGET), source.splitlines(keepends=True))
    found = list(plugin.run())
    expected = analyze_source(source, str(TARGET), LintConfig(), module_name=TARGET.stem)
    assert [(line, col + 1, msg.split()[0]) for line, col, msg, _ in found] == [
        (d.line, d.column, d.code) for d in expected
    ]
    assert all(kind is FaFlake8Plugin for *_, kind in found)
    assert all(msg.startswith("FA") and msg[5] == " " for _, _, msg, _ in found)
    assert FaFlake8Plugin.name
    assert FaFlake8Plugin.version


def test_plugin_honours_inline_suppression() -> None:
    source = TARGET.read_text().replace("# expect: FA601", "# fa: allow FA601")
    plugin = FaFlake8Plugin(ast.parse(source), "game.py", source.splitlines(keepends=True))
    assert list(plugin.run()) == []


def _installed_entry_point() -> bool:
    from importlib.metadata import entry_points

    return any(ep.name == "FA" for ep in entry_points(group="flake8.extension"))


def test_flake8_runs_the_plugin(tmp_path: Path) -> None:
    config = tmp_path / "flake8.cfg"
    text = "[flake8]\nselect = FA\n"
    if not _installed_entry_point():  # an uninstalled checkout: register it locally
        text += (
            "\n[flake8:local-plugins]\n"
            "extension =\n    FA = framealloc_lint.flake8_plugin:FaFlake8Plugin\n"
            f"paths = {ROOT}\n"
        )
    config.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--config", str(config), str(TARGET)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 4
    assert all(" FA601 " in line for line in lines)
    assert lines[0].startswith(f"{TARGET}:8:9: FA601")
