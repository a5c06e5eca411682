"""The ``fa`` command line: subcommands, options and exit codes (in-process and as a module)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from framealloc_lint.cli import main
from framealloc_lint.codes import CATEGORIES, RULES
from tests.lint.support import FIXTURES

BAD_ERROR = FIXTURES / "FA201" / "bad_thread_args.py"  # errors (FA201)
BAD_WARNING = FIXTURES / "FA601" / "bad_self_store.py"  # warnings only
CLEAN = FIXTURES / "FA601" / "good_copies.py"  # no findings at all


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_file_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", str(CLEAN), "--no-config"], capsys)
    assert code == 0
    assert "0 errors, 0 warnings, 0 hints" in out


def test_error_exits_one_and_check_is_the_default_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run([str(BAD_ERROR), "--no-config"], capsys)
    assert code == 1
    assert "error[FA201]" in out
    assert f"--> {BAD_ERROR.as_posix()}" in out or "bad_thread_args.py:" in out


def test_warnings_pass_unless_denied(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["check", str(BAD_WARNING), "--no-config"], capsys)[0] == 0
    assert run(["check", str(BAD_WARNING), "--no-config", "--deny-warnings"], capsys)[0] == 1
    code, out, _ = run(["check", str(BAD_WARNING), "--no-config", "--deny", "FA601"], capsys)
    assert code == 1
    assert "error[FA601]" in out


def test_allow_and_skip_remove_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", str(BAD_ERROR), "--no-config", "--allow", "FA201"], capsys)
    assert "FA201" not in out
    assert code == 0
    _, out, _ = run(["check", str(BAD_WARNING), "--no-config", "--skip", "FA601"], capsys)
    assert "FA601" not in out


def test_only_restricts_codes(capsys: pytest.CaptureFixture[str]) -> None:
    target = FIXTURES / "FA202" / "bad_thread_worker.py"
    _, out, _ = run(["check", str(target), "--no-config", "--only", "FA203",
                     "--format", "compact"], capsys)  # fmt: skip
    codes = {line.split("[")[1].split("]")[0] for line in out.splitlines()}
    assert codes == {"FA203"}


def test_min_severity_hides_lower_findings(capsys: pytest.CaptureFixture[str]) -> None:
    target = FIXTURES / "FA604" / "bad_discard_policy.py"
    _, out, _ = run(["check", str(target), "--no-config", "--format", "compact"], capsys)
    assert "hint[FA604]" in out
    _, out, _ = run(["check", str(target), "--no-config", "--format", "compact",
                     "--min-severity", "warning"], capsys)  # fmt: skip
    assert "FA604" not in out


def test_fail_fast_stops_at_first_error(capsys: pytest.CaptureFixture[str]) -> None:
    directory = FIXTURES / "FA201"
    _, out, _ = run(["check", str(directory), "--no-config", "--format", "json"], capsys)
    full = json.loads(out)
    _, out, _ = run(["check", str(directory), "--no-config", "--format", "json",
                     "--fail-fast"], capsys)  # fmt: skip
    fast = json.loads(out)
    assert fast["stopped_early"] is True
    assert fast["files"] < full["files"]
    assert fast["summary"]["error"] >= 1


def test_exclude_glob(capsys: pytest.CaptureFixture[str]) -> None:
    directory = FIXTURES / "FA201"
    _, out, _ = run(["check", str(directory), "--no-config", "--format", "json",
                     "--exclude", "bad_*"], capsys)  # fmt: skip
    data = json.loads(out)
    assert data["files"] == len(list(directory.glob("good_*.py")))
    assert data["diagnostics"] == []


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--format", "yaml"],
        ["check", "--deny", "FA999"],
        ["explain", "FA000"],
        ["check", "does/not/exist.py"],
        ["list", "--category", "nonsense"],
        ["check", "--config", "missing.toml"],
        ["frobnicate-not-a-path-either"],
    ],
)
def test_bad_usage_exits_two(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(args, capsys)
    assert code == 2
    assert "error" in err


def test_explain_shows_bad_and_good_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for code in RULES:
        status, out, _ = run(["explain", code.lower()], capsys)
        assert status == 0
        assert out.startswith(code)
        assert "Bad:" in out
        assert "Good:" in out
        assert RULES[code].help in out


def test_list_and_categories(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["list"], capsys)
    assert [line.split()[0] for line in out.splitlines()] == sorted(
        RULES, key=lambda c: (list(CATEGORIES).index(RULES[c].category), c))
    _, out, _ = run(["list", "--category", "thread"], capsys)
    assert out.splitlines()[0] == "[thread]"
    assert {line.split()[0] for line in out.splitlines()[1:]} == {
        c for c, r in RULES.items() if r.category == "thread"
    }
    _, grouped, _ = run(["list", "--category"], capsys)
    assert "[frame]" in grouped
    assert "[async]" in grouped


def test_show_describes_what_was_recognised(capsys: pytest.CaptureFixture[str]) -> None:
    target = FIXTURES / "FA603" / "bad_app_without_plugin.py"
    code, out, _ = run(["show", str(target), "--no-config"], capsys)
    assert code == 0  # FA603 is a warning
    assert "ALLOC (module, owned)" in out
    assert "step (no frame)" in out
    assert "warning[FA603]" in out


def test_init_writes_a_config_that_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["init"], capsys)[0] == 0
    text = (tmp_path / ".fa.toml").read_text()
    for section in ("[global]", "[lints]", "[tags]", "[thresholds]", "loop_allocation_limit"):
        assert section in text
    assert run(["init"], capsys)[0] == 1  # refuses to overwrite
    assert run(["init", "--force"], capsys)[0] == 0
    assert run(["check", "--format", "compact"], capsys)[0] == 0  # the written file is valid


def test_config_file_is_found_and_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "game.py").write_text(BAD_WARNING.read_text())
    (tmp_path / ".fa.toml").write_text('[lints.levels]\nFA601 = "error"\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["check", "--format", "compact"], capsys)
    assert code == 1
    assert "error[FA601]" in out
    (tmp_path / ".fa.toml").write_text('[global]\nexclude = ["game.py"]\n')
    code, out, _ = run(["check", "--format", "compact"], capsys)
    assert (code, out) == (0, "")
    (tmp_path / ".fa.toml").write_text('[lints]\ndisabled = ["FA999"]\n')
    assert run(["check"], capsys)[0] == 2


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    run(["check", str(BAD_ERROR), "--no-config", "--format", "json", "-o", str(report)], capsys)
    assert json.loads(report.read_text())["summary"]["error"] >= 1


def test_help_lists_commands_and_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for command in ("check", "explain", "show", "list", "init"):
        assert command in out
    _, out, _ = run(["check", "--help"], capsys)
    for option in ("--format", "--deny", "--allow", "--deny-warnings", "--exclude",
                   "--min-severity", "--only", "--skip", "--fail-fast", "--config"):  # fmt: skip
        assert option in out


def test_module_entry_point_in_a_subprocess() -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "framealloc_lint", "check", str(BAD_ERROR), "--no-config",
         "--format", "compact"],  # fmt: skip
        capture_output=True, text=True, cwd=root, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert ":13:" in proc.stdout
    assert "error[FA201]" in proc.stdout
    clean = subprocess.run(
        [sys.executable, "-m", "framealloc_lint", str(CLEAN), "--no-config"],
        capture_output=True, text=True, cwd=root, timeout=60, check=False,
    )  # fmt: skip
    assert clean.returncode == 0, clean.stderr


def test_all_and_no_abbreviations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "game.py").write_text(BAD_ERROR.read_text())
    code, out, err = run(["check", "--all", str(source), "--no-config", "--format", "json"],
                         capsys)  # fmt: skip
    assert code == 1, err
    assert json.loads(out)["files"] == 1  # `src` is a path, not the value of `--allow`
    for abbreviated in (["--al", str(source)], ["--allo", "FA201"], ["--form", "json"]):
        status, _, err = run(["check", *abbreviated, "--no-config"], capsys)
        assert status == 2
        assert "error" in err
    status, _, err = run(["check", "--all", "--only", "FA601", str(source), "--no-config"],
                         capsys)  # fmt: skip
    assert status == 2
    assert "--all" in err


def test_category_switches_select_families(capsys: pytest.CaptureFixture[str]) -> None:
    targets = [str(FIXTURES / "FA201"), str(FIXTURES / "FA601")]
    _, out, _ = run(["check", *targets, "--no-config", "--format", "json"], capsys)
    assert {d["code"] for d in json.loads(out)["diagnostics"]} >= {"FA201", "FA601"}
    _, out, _ = run(["check", *targets, "--no-config", "--format", "json", "--threading"],
                    capsys)  # fmt: skip
    assert {d["code"][:3] for d in json.loads(out)["diagnostics"]} == {"FA2"}
    _, out, _ = run(["check", *targets, "--no-config", "--format", "json", "--dirtymem"],
                    capsys)  # fmt: skip
    assert {d["code"][:4] for d in json.loads(out)["diagnostics"]} == {"FA60"}


@pytest.mark.parametrize("target", ["directory", "missing/x.json", "file/x.json"])
def test_unwritable_output_is_a_usage_error(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "directory").mkdir()
    (tmp_path / "file").write_text("")
    code, out, err = run(["check", str(BAD_ERROR), "--no-config", "-o", str(tmp_path / target)],
                         capsys)  # fmt: skip
    assert code == 2
    assert out == ""
    assert "cannot write the report" in err


@pytest.mark.parametrize(
    "content",
    [b"\x00\xff\xfe binary \x89PNG", b"[tool.fa\nmin_severity = 1\n", b"[tool]\nfa = 3\n"],
    ids=["binary", "malformed", "fa-not-a-table"],
)
def test_bad_pyproject_is_a_configuration_error(
    content: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    (tmp_path / "pyproject.toml").write_bytes(content)
    (tmp_path / "game.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["check"], capsys)
    assert code == 2
    assert err.startswith("fa: configuration error:")
    assert "pyproject.toml" in err
    assert "Traceback" not in err


def test_renamed_code_is_read_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    target = FIXTURES / "FA606" / "bad_while_true.py"
    _, out, _ = run(["check", str(target), "--no-config", "--format", "compact"], capsys)
    assert "[FA606]" in out
    code, out, err = run(["check", str(target), "--no-config", "--format", "compact",
                          "--allow", "FA301"], capsys)  # fmt: skip
    assert code == 0
    assert "[FA606]" not in out
    assert "FA301 was renamed FA606" in err


def test_explain_knows_runtime_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["explain", "FA003"], capsys)
    assert code == 0
    assert "frame arena exhausted" in out
    assert "reported by the allocator at runtime" in out
    code, out, _ = run(["explain", "fa201"], capsys)  # static and runtime
    assert code == 0
    assert "reported by: fa (static analysis)" in out
    assert "At runtime, framealloc_engine reports FA201" in out
    code, out, _ = run(["explain", "FA301"], capsys)  # runtime meaning, plus the rename
    assert "global memory budget exceeded" in out
    assert "now FA606" in out
    assert "unbounded-loop-allocation" in out


def test_every_code_is_listed_and_explained(capsys: pytest.CaptureFixture[str]) -> None:
    from framealloc_engine.diagnostics.codes import all_codes

    runtime = [entry.code for entry in all_codes()]
    code, out, _ = run(["list", "--runtime"], capsys)
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("FA")]
    assert set(listed) == set(RULES) | set(runtime)
    for each in sorted(set(RULES) | set(runtime)):
        status, text, _ = run(["explain", each], capsys)
        assert status == 0, each
        assert each in text


def test_one_meaning_per_code() -> None:
    """A code both tables have means the same mistake; FA301 is the runtime's alone."""
    from framealloc_engine.diagnostics.codes import CODES

    shared = set(RULES) & set(CODES)
    assert shared == {"FA201", "FA202", "FA203", "FA205"}
    for code in shared:
        assert RULES[code].category == CODES[code].category == "thread"
    assert "FA301" not in RULES
    assert RULES["FA606"].name == "unbounded-loop-allocation"


def test_jobs_and_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", str(FIXTURES), "--no-config", "--format", "json", "-j", "2",
                          "-v"], capsys)  # fmt: skip
    serial = run(["check", str(FIXTURES), "--no-config", "--format", "json", "-j", "1"], capsys)
    assert json.loads(out) == json.loads(serial[1])
    assert "with 2 job(s)" in err
    assert "fa: configuration: none" in err
    assert run(["check", str(FIXTURES), "-j", "-1"], capsys)[0] == 2


def test_a_closed_pipe_ends_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fa check | head -1``: the reader is gone; no traceback, status 1."""

    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["check", str(BAD_WARNING), "--no-config"]) == 1
