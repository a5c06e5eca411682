"""Output formats: JSON and SARIF 2.1.0 structure, JUnit and Checkstyle XML, text and compact."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from framealloc_lint import RULES, LintConfig, Severity, analyze_paths
from framealloc_lint.formats import FORMATS, render
from framealloc_lint.runner import RunResult
from tests.lint.support import FIXTURES


@pytest.fixture(scope="module")
def result() -> RunResult:
    run = analyze_paths([FIXTURES / d for d in ("FA201", "FA604", "FA605")], LintConfig())
    assert {d.severity for d in run.diagnostics} == set(Severity)  # errors, warnings, hints
    return run


def test_every_format_renders(result: RunResult) -> None:
    assert set(FORMATS) == {"text", "json", "sarif", "junit", "checkstyle", "compact"}
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
