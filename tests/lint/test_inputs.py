"""Reading what users point ``fa`` at: encodings, special files, excluded directories."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from framealloc_lint import LintConfig, analyze_paths
from framealloc_lint.cli import main
from framealloc_lint.sources import NotRegularFileError, SourceError, read_source
from tests.lint.support import FIXTURES

BAD = (FIXTURES / "FA601" / "bad_self_store.py").read_text(encoding="utf-8")
BAD_LINES = [8, 11, 12, 13]  # the FA601 findings of that fixture


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code = main([*args, "--no-config", "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def lines_of(data: dict, code: str = "FA601") -> list[int]:
    return [d["line"] for d in data["diagnostics"] if d["code"] == code]


def test_bom_and_coding_lines_are_read_as_python_reads_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + BAD.encode())
    latin = "# -*- coding: latin-1 -*-\n" + BAD.replace("import numpy", "# caf\xe9\nimport numpy")
    (tmp_path / "latin.py").write_bytes(latin.encode("latin-1"))
    (tmp_path / "crlf.py").write_bytes(BAD.replace("\n", "\r\n").encode())
    code, data, _ = run_json([str(tmp_path)], capsys)
    by_file: dict[str, list[int]] = {}
    for diag in data["diagnostics"]:
        by_file.setdefault(Path(diag["path"]).name, []).append(diag["line"])
    assert [d for d in data["diagnostics"] if d["code"] == "FA900"] == []
    assert by_file["bom.py"] == BAD_LINES
    assert by_file["crlf.py"] == BAD_LINES
    assert by_file["latin.py"] == [n + 2 for n in BAD_LINES]  # two lines were added above
    assert code == 0  # FA601 is a warning


def test_undecodable_and_unknown_encodings_are_fa900(tmp_path: Path) -> None:
    (tmp_path / "bad_bytes.py").write_bytes(b"x = '\xff'\n")
    (tmp_path / "bad_cookie.py").write_bytes(b"# coding: no-such-codec\nx = 1\n")
    result = analyze_paths([tmp_path])
    assert sorted((Path(d.path).name, d.code) for d in result.diagnostics) == [
        ("bad_bytes.py", "FA900"), ("bad_cookie.py", "FA900"),
    ]  # fmt: skip
    with pytest.raises(SourceError):
        read_source(tmp_path / "bad_cookie.py")


@pytest.mark.timeout(30)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_and_devices_are_never_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    (tmp_path / "game.py").write_text(BAD)
    code, data, err = run_json([str(tmp_path)], capsys)
    assert data["files"] == 1
    assert lines_of(data) == BAD_LINES
    assert {Path(s["path"]).name for s in data["skipped"]} == {"pipe.py", "zero.py"}
    assert "skipped" in err
    assert "a FIFO" in err
    assert "a character device" in err
    assert code == 0
    with pytest.raises(NotRegularFileError):
        read_source(tmp_path / "pipe.py")
    for name in ("pipe.py", "zero.py"):  # named explicitly: a usage error, not a hang
        assert main(["check", str(tmp_path / name), "--no-config"]) == 2
        assert "not a file to check" in capsys.readouterr().err


def test_explicit_paths_are_honoured_inside_excluded_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "patched.py").write_text(BAD)
    (tmp_path / "main.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path)
    _, data, _ = run_json(["check", "venv/patched.py"], capsys)
    assert data["files"] == 1
    assert lines_of(data) == BAD_LINES
    _, data, _ = run_json(["check", "venv"], capsys)  # a named directory is walked too
    assert data["files"] == 1
    _, data, err = run_json(["check", ".", "--verbose"], capsys)
    assert data["files"] == 1  # main.py; venv/ is excluded below a named directory
    assert "fa: excluded venv (matches 'venv')" in err
    result = analyze_paths([tmp_path], LintConfig(root=tmp_path))
    assert [Path(p).name for p, _ in result.excluded] == ["venv"]


def test_a_file_named_twice_is_checked_once(tmp_path: Path) -> None:
    (tmp_path / "game.py").write_text(BAD)
    result = analyze_paths([tmp_path, tmp_path / "game.py"])
    assert len(result.files) == 1
    assert [d.line for d in result.diagnostics] == BAD_LINES


def test_parallel_runs_report_exactly_what_a_serial_run_does() -> None:
    serial = analyze_paths([FIXTURES], LintConfig(), jobs=1)
    parallel = analyze_paths([FIXTURES], LintConfig(), jobs=2)
    assert len(serial.files) > 32  # enough files for the process pool to be used
    assert parallel.files == serial.files
    assert parallel.diagnostics == serial.diagnostics
    fast = analyze_paths([FIXTURES], LintConfig(), jobs=2, fail_fast=True)
    slow = analyze_paths([FIXTURES], LintConfig(), jobs=1, fail_fast=True)
    assert fast.files == slow.files
    assert fast.stopped_early


def test_a_directory_that_cannot_be_listed_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.py").write_text(BAD)
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if os.fspath(path) == os.fspath(locked):  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fspath(locked))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    result = analyze_paths([tmp_path])
    assert [Path(f).name for f in result.files] == ["ok.py"]
    assert [(Path(p).name, r) for p, r in result.skipped] == [
        ("locked", "cannot list: Permission denied")
    ]
