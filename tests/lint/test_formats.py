"""Output formats: JSON and SARIF 2.1.0 structure, JUnit and Checkstyle XML, text and compact."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from framealloc_lint import RULES, Diagnostic, LintConfig, Severity, analyze_paths
from framealloc_lint.formats import FORMATS, render
from framealloc_lint.output.common import HOME
from framealloc_lint.runner import RunResult
from tests.lint.support import FIXTURES


@pytest.fixture(scope="module")
def result() -> RunResult:
    run = analyze_paths([FIXTURES / d for d in ("FA201", "FA604", "FA605")], LintConfig())
    assert {d.severity for d in run.diagnostics} == set(Severity)  # errors, warnings, hints
    return run


def test_every_format_renders(result: RunResult) -> None:
    assert set(FORMATS) == {
        "text", "json", "sarif", "junit", "checkstyle", "compact", "github", "gitlab",
    }  # fmt: skip
    for name in FORMATS:
        assert render(result, name).endswith("\n")


def test_json(result: RunResult) -> None:
    data = json.loads(render(result, "json"))
    assert data["files"] == len(result.files)
    assert len(data["diagnostics"]) == len(result.diagnostics)
    first = data["diagnostics"][0]
    assert set(first) == {"code", "severity", "message", "path", "line", "column", "note", "help"}
    assert data["summary"] == {s.label: result.count(s) for s in Severity}


def test_sarif(result: RunResult) -> None:
    log = json.loads(render(result, "sarif"))
    assert log["version"] == "2.1.0"
    assert "sarif" in log["$schema"]
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "fa"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == sorted(RULES)
    assert all(r["shortDescription"]["text"] for r in driver["rules"])
    assert len(run["results"]) == len(result.diagnostics)
    for res, diag in zip(run["results"], result.diagnostics, strict=True):
        assert res["ruleId"] == diag.code
        assert rule_ids[res["ruleIndex"]] == diag.code
        assert res["level"] in ("error", "warning", "note")
        (loc,) = res["locations"]
        physical = loc["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == diag.path
        assert physical["region"] == {"startLine": diag.line, "startColumn": diag.column}
    levels = {r["level"] for r in run["results"]}
    assert levels == {"error", "warning", "note"}


def test_junit(result: RunResult) -> None:
    root = ET.fromstring(render(result, "junit"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert {s.get("name") for s in suites} == set(result.files)
    failures = root.findall("./testsuite/testcase/failure")
    assert len(failures) == len(result.diagnostics) == int(root.get("failures", "-1"))
    assert {f.get("type") for f in failures} == {"error", "warning", "hint"}
    clean = [s for s in suites if s.get("failures") == "0"]
    assert clean
    assert all(len(s.findall("testcase")) == 1 for s in clean)
    names = {
        c.get("name", "").split()[0] for c in root.iter("testcase") if c.find("failure") is not None
    }
    assert names <= set(RULES)


def test_checkstyle(result: RunResult) -> None:
    root = ET.fromstring(render(result, "checkstyle"))
    assert root.tag == "checkstyle"
    files = root.findall("file")
    assert {f.get("name") for f in files} == set(result.files)
    errors = root.findall("./file/error")
    assert len(errors) == len(result.diagnostics)
    for node in errors:
        assert node.get("severity") in ("error", "warning", "info")
        assert int(node.get("line", "0")) >= 1
        assert node.get("source", "").startswith("fa.FA")
        assert node.get("message")


def test_text_and_compact(result: RunResult) -> None:
    text = render(result, "text")
    diag = result.diagnostics[0]
    assert f"{diag.severity.label}[{diag.code}]: {diag.message}" in text
    assert f"--> {diag.path}:{diag.line}:{diag.column}" in text
    assert "= help:" in text
    assert text.rstrip().splitlines()[-1].startswith(f"fa: {len(result.files)} files checked")
    compact = render(result, "compact").splitlines()
    assert len(compact) == len(result.diagnostics)
    assert compact[0] == (
        f"{diag.path}:{diag.line}:{diag.column}: {diag.severity.label}[{diag.code}] {diag.message}"
    )


def test_empty_run_renders_valid_documents() -> None:
    empty = RunResult()
    assert json.loads(render(empty, "sarif"))["runs"][0]["results"] == []
    assert ET.fromstring(render(empty, "junit")).get("tests") == "0"
    assert ET.fromstring(render(empty, "checkstyle")).findall("file") == []
    assert render(empty, "compact") == ""


def _crafted(path: str, message: str, line: int = 3) -> RunResult:
    diag = Diagnostic(path, line, 5, "FA601", Severity.WARNING, message, "a note", "a help")
    source = "x = 1\n\x0c\nself.a = alloc.frame_alloc(np.float32, 4)  # \x1b[31mred\n"
    return RunResult([diag], [path], {path: "\n" * (line - 3) + source})


@pytest.mark.parametrize("fmt", ["junit", "checkstyle"])
def test_xml_stays_valid_with_control_characters(fmt: str) -> None:
    weird = "dir\x01/na\x1bme\udcff,\x7f.py"
    root = ET.fromstring(render(_crafted(weird, "bad\x00 message\x08"), fmt))
    names = {e.get("name") for e in root.iter() if e.tag in ("testsuite", "file")}
    assert names == {"dir\\x01/na\\x1bme\\udcff,\x7f.py"}
    text = "".join(root.itertext()) + "".join(v for e in root.iter() for v in e.attrib.values())
    assert "bad\\x00 message\\x08" in text


def test_xml_from_a_real_file_with_a_control_character_in_its_name(tmp_path: Path) -> None:
    bad = (FIXTURES / "FA601" / "bad_self_store.py").read_text()
    (tmp_path / "ctl\x01\x1bname.py").write_text(bad + "\x0c\n")
    run = analyze_paths([tmp_path], LintConfig())
    assert run.diagnostics
    for fmt in ("junit", "checkstyle"):
        root = ET.fromstring(render(run, fmt))
        assert any("ctl\\x01\\x1bname.py" in (e.get("name") or "") for e in root.iter())


def test_sarif_uris_are_percent_encoded_and_the_home_is_real() -> None:
    log = json.loads(render(_crafted("my dir/a#b%c.py", "m"), "sarif"))
    (run,) = log["runs"]
    assert run["tool"]["driver"]["informationUri"] == HOME
    assert HOME == "https://github.com/framealloc-engine/framealloc-engine"
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "my%20dir/a%23b%25c.py", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")
    absolute = json.loads(render(_crafted("/tmp/x y.py", "m"), "sarif"))
    location = absolute["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "file:///tmp/x%20y.py"}


def test_github_workflow_commands(result: RunResult) -> None:
    lines = render(result, "github").splitlines()
    assert len(lines) == len(result.diagnostics)
    levels = {"error": "error", "warning": "warning", "hint": "notice"}
    for line, diag in zip(lines, result.diagnostics, strict=True):
        assert line.startswith(
            f"::{levels[diag.severity.label]} title=fa (FA{diag.code[2:]}),file={diag.path},"
            f"line={diag.line},col={diag.column}::"
        )
        assert line.endswith(f"{diag.code} {diag.message}")
    escaped = render(_crafted("a,b:c.py", "100% wrong\nsecond line"), "github")
    assert escaped == (
        "::warning title=fa (FA601),file=a%2Cb%3Ac.py,line=3,col=5::"
        "a,b:c.py:3:5: FA601 100%25 wrong%0Asecond line\n"
    )


def test_gitlab_code_quality(result: RunResult, monkeypatch: pytest.MonkeyPatch) -> None:
    issues = json.loads(render(result, "gitlab"))
    assert len(issues) == len(result.diagnostics)
    for issue, diag in zip(issues, result.diagnostics, strict=True):
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["check_name"] == diag.code
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"] == {"path": diag.path,
                                     "lines": {"begin": diag.line, "end": diag.line}}  # fmt: skip
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    # A finding keeps its fingerprint when the code above it moves.
    first = json.loads(render(_crafted("g.py", "m", line=3), "gitlab"))[0]
    moved = json.loads(render(_crafted("g.py", "m", line=9), "gitlab"))[0]
    assert first["location"]["lines"]["begin"] != moved["location"]["lines"]["begin"]
    assert first["fingerprint"] == moved["fingerprint"]
    monkeypatch.setenv("CI_PROJECT_DIR", str(Path.cwd()))
    absolute = json.loads(render(_crafted(str(Path.cwd() / "src" / "g.py"), "m"), "gitlab"))
    assert absolute[0]["location"]["path"] == "src/g.py"
