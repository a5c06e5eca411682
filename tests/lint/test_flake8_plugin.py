"""The flake8 entry point: same findings as ``fa``, as flake8 tuples and through flake8 itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from framealloc_lint import LintConfig, analyze_source
from framealloc_lint.flake8_plugin import FaFlake8Plugin, check_prefix
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


_FUTURE_STUB = '''\
class FutureAnnotations:
    """Stands in for flake8-future-annotations: the same `FA` prefix, codes FA100/FA102."""

    name = "flake8-future-annotations-stub"
    version = "1.1.0"

    def __init__(self, tree):
        self.tree = tree

    def run(self):
        yield 1, 0, "FA100 Missing import: from __future__ import annotations", type(self)
'''


def _flake8(tmp_path: Path, options: str) -> list[str]:
    """flake8 over the FA601 fixture with ours and a same-prefix stand-in plugin installed."""
    (tmp_path / "future_stub.py").write_text(_FUTURE_STUB)
    config = tmp_path / "flake8.cfg"
    extensions = "    FA = future_stub:FutureAnnotations\n"
    if not _installed_entry_point():
        extensions += "    FA = framealloc_lint.flake8_plugin:FaFlake8Plugin\n"
    config.write_text(
        f"[flake8]\n{options}\n[flake8:local-plugins]\nextension =\n{extensions}"
        f"paths =\n    {tmp_path}\n    {ROOT}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--config", str(config), str(TARGET)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return [line.split(": ", 1)[1].split()[0] for line in proc.stdout.splitlines()]


def test_prefix_clash_with_flake8_future_annotations(tmp_path: Path) -> None:
    both = _flake8(tmp_path, "select = FA")
    assert sorted(both) == ["FA100", "FA601", "FA601", "FA601", "FA601"]
    ours = _flake8(tmp_path, "select = FA2,FA6,FA7,FA8,FA9")
    assert ours == ["FA601"] * 4
    renamed = _flake8(tmp_path, "select = FAL\nfa-code-prefix = FAL")
    assert renamed == ["FAL601"] * 4
    theirs = _flake8(tmp_path, "select = FA1\nfa-code-prefix = FAL")
    assert theirs == ["FA100"]


def test_bad_prefix_is_a_clear_flake8_error(tmp_path: Path) -> None:
    config = tmp_path / "flake8.cfg"
    config.write_text("[flake8]\nselect = FA\nfa-code-prefix = fa1\n")
    if not _installed_entry_point():
        pytest.skip("needs the installed entry point")
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--config", str(config), str(TARGET)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "fa-code-prefix must be 1 to 3 capital letters" in proc.stderr + proc.stdout
    with pytest.raises(ValueError, match="capital letters"):
        check_prefix("FAAL")
    assert check_prefix("FAL") == "FAL"


def test_plugin_uses_the_configured_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    source = TARGET.read_text()
    monkeypatch.setattr(FaFlake8Plugin, "prefix", "FAL")
    plugin = FaFlake8Plugin(ast.parse(source), str(TARGET), source.splitlines(keepends=True))
    assert {msg.split()[0] for _, _, msg, _ in plugin.run()} == {"FAL601"}
