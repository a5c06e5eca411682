"""Runner behaviour: parse errors, suppression comments, configuration, module names."""

from __future__ import annotations

from pathlib import Path

import pytest

from framealloc_lint import LintConfig, Severity, analyze_paths, analyze_source
from framealloc_lint.config import ConfigError, find_config, load_config
from framealloc_lint.runner import module_name_for

ESCAPE = """\
import numpy as np
from framealloc_engine.bridge import AllocResource


class T:
    def update(self, alloc: AllocResource) -> None:
        self.a = alloc.frame_alloc(np.float32, 4){first}
        {comment}
        self.b = alloc.frame_alloc(np.float32, 4)
"""


def codes(source: str, config: LintConfig | None = None) -> list[tuple[int, str]]:
    return [(d.line, d.code) for d in analyze_source(source, "t.py", config)]


def test_unparsable_file_is_a_diagnostic_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "latin.py").write_bytes(b"x = '\xff\xfe'\n")
    (tmp_path / "fine.py").write_text("x = 1\n")
    result = analyze_paths([tmp_path])
    found = {(Path(d.path).name, d.code, d.severity) for d in result.diagnostics}
    assert found == {("broken.py", "FA900", Severity.ERROR), ("latin.py", "FA900", Severity.ERROR)}
    broken = next(d for d in result.diagnostics if d.path.endswith("broken.py"))
    assert (broken.line, broken.column) == (1, 7)
    assert len(result.files) == 3


def test_inline_suppression() -> None:
    plain = ESCAPE.format(first="", comment="")
    assert codes(plain) == [(7, "FA601"), (9, "FA601")]
    same_line = ESCAPE.format(first="  # fa: allow FA601", comment="")
    assert codes(same_line) == [(9, "FA601")]
    line_above = ESCAPE.format(first="", comment="# fa: allow FA601, FA602")
    assert codes(line_above) == [(7, "FA601")]
    other_code = ESCAPE.format(first="  # fa: allow FA602", comment="")
    assert codes(other_code) == [(7, "FA601"), (9, "FA601")]
    everything = ESCAPE.format(first="  # fa: allow all", comment="")
    assert codes(everything) == [(9, "FA601")]
    file_wide = "# fa: allow-file FA601\n" + plain
    assert codes(file_wide) == []
    in_string = plain.replace("import numpy as np", 'import numpy as np\nS = "# fa: allow FA601"')
    assert [c for _, c in codes(in_string)] == ["FA601", "FA601"]


def test_levels_and_disabled_from_config() -> None:
    plain = ESCAPE.format(first="", comment="")
    config = LintConfig(levels={"FA601": Severity.ERROR})
    assert {d.severity for d in analyze_source(plain, "t.py", config)} == {Severity.ERROR}
    assert analyze_source(plain, "t.py", LintConfig(disabled=frozenset({"FA601"}))) == []
    assert analyze_source(plain, "t.py", LintConfig(only=frozenset({"FA602"}))) == []
    quiet = LintConfig(min_severity=Severity.ERROR)
    assert analyze_source(plain, "t.py", quiet) == []


def test_load_config_sections(tmp_path: Path) -> None:
    path = tmp_path / ".fa.toml"
    path.write_text(
        '[global]\nmin_severity = "warning"\nexclude = ["gen/**"]\ndeny_warnings = true\n'
        '[lints]\ndisabled = ["fa604"]\nFA602 = "error"\n[lints.levels]\nFA606 = "allow"\n'
        '[tags]\nknown_tags = ["ai"]\nmodule_tags = { "game.render" = "rendering" }\n'
        "[thresholds]\nloop_allocation_limit = 2\nsmall_loop = 3\n"
    )
    config = load_config(path)
    assert config.min_severity is Severity.WARNING
    assert config.exclude == ("gen/**",)
    assert config.deny_warnings
    assert config.disabled == {"FA604", "FA606"}
    assert config.levels == {"FA602": Severity.ERROR}
    assert "ai" in config.known_tags
    assert config.strict_tags
    assert config.module_tags == {"game.render": "rendering"}
    assert (config.loop_allocation_limit, config.small_loop) == (2, 3)
    assert config.root == tmp_path.resolve()
    assert find_config(tmp_path / "sub" / "x.py") == path


@pytest.mark.parametrize(
    "text",
    [
        '[lints]\ndisabled = ["FA000"]\n',
        '[global]\nmin_severity = "loud"\n',
        "[thresholds]\nloop_allocation_limit = -1\n",
        '[global]\nexclude = "*.py"\n',
        "not toml = = 1\n",
    ],
)
def test_invalid_config_is_rejected(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".fa.toml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        load_config(path)


def test_pyproject_tool_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.fa.global]\nmin_severity = "error"\n')
    found = find_config(tmp_path)
    assert found == tmp_path / "pyproject.toml"
    assert load_config(found).min_severity is Severity.ERROR


def test_loop_allocation_limit() -> None:
    source = (
        "import numpy as np\nfrom framealloc_engine import AllocResource\n\n"
        "def f(alloc: AllocResource, xs: list[int]) -> None:\n"
        "    for x in xs:\n"
        "        alloc.frame_alloc(np.float32, x)\n"
    )
    assert codes(source) == [(6, "FA602")]
    assert codes(source, LintConfig(loop_allocation_limit=1)) == []


def test_custom_tags_need_known_tags_to_be_unknown() -> None:
    source = (
        "from framealloc_engine import AllocResource\n\n"
        "def f(alloc: AllocResource) -> None:\n"
        "    with alloc.with_tag('ai'):\n        pass\n"
        "    with alloc.with_tag('Physics'):\n        pass\n"
    )
    assert codes(source) == [(6, "FA802")]  # a near-miss of 'physics' only
    strict = LintConfig(strict_tags=True)
    assert codes(source, strict) == [(4, "FA802"), (6, "FA802")]


def test_relative_imports_resolve_inside_a_package(tmp_path: Path) -> None:
    package = tmp_path / "framealloc_engine" / "game"
    package.mkdir(parents=True)
    (tmp_path / "framealloc_engine" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    module = package / "physics.py"
    module.write_text(
        "from ..smart import SmartAlloc\n\n"
        "class W:\n    def __init__(self) -> None:\n"
        "        self.a = SmartAlloc()\n        self.b = self.a.frame_alloc(int, 3)\n"
    )
    assert module_name_for(module) == ("framealloc_engine.game.physics", False)
    assert module_name_for(package / "__init__.py") == ("framealloc_engine.game", True)
    found = {d.code for d in analyze_paths([module]).diagnostics}
    assert found == {"FA601", "FA603"}


def test_files_without_the_library_are_skipped_quickly() -> None:
    source = "class SmartAlloc:\n    pass\n\nSmartAlloc().frame_alloc(int)\n"
    assert analyze_source(source, "t.py") == []


def test_varied_real_code_never_breaks_the_analyser() -> None:
    """Standard-library modules (threads, executors, asyncio) run through every check."""
    import asyncio
    import concurrent.futures
    import threading

    files = [Path(threading.__file__)]
    files += sorted(Path(concurrent.futures.__file__).parent.glob("*.py"))
    files += sorted(Path(asyncio.__file__).parent.glob("*.py"))[:20]
    for file in files:
        source = "import framealloc_engine\n" + file.read_text(encoding="utf-8")
        found = analyze_source(source, str(file), module_name=file.stem)
        assert [d for d in found if d.code == "FA900"] == [], file


def test_a_failing_check_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    from framealloc_lint import checks

    def boom(_analysis: object) -> list[object]:
        raise RuntimeError("synthetic")

    broken = checks.Check("tags", frozenset({"FA802"}), 0, boom)  # type: ignore[arg-type]
    monkeypatch.setattr("framealloc_lint.module_check.CHECKS", (broken, *checks.CHECKS[1:]))
    source = ESCAPE.format(first="", comment="")
    found = analyze_source(source, "t.py")
    internal = [d for d in found if d.code == "FA902"]
    assert len(internal) == 1
    assert "synthetic" in internal[0].message
    assert "tags checks" in internal[0].message
    assert [d.code for d in found if d.code != "FA902"] == ["FA601", "FA601"]


def test_the_quick_library_filter_never_hides_a_trigger() -> None:
    from framealloc_lint.analysis import TRIGGER_METHODS
    from framealloc_lint.module_check import may_refer_to_library

    for method in TRIGGER_METHODS:
        assert may_refer_to_library(f"alloc.{method}(x)\n"), method
    assert may_refer_to_library("import framealloc_engine.app\n")
    unrelated = "self.frame_index += 1\nsys._getframe()\nheapq.heappush(h, 1)\n"
    assert not may_refer_to_library(unrelated)
    assert may_refer_to_library("x = 1\n", "framealloc_engine.smart")
