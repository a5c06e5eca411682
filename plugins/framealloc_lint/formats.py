"""Output formats: text, compact, json, sarif (2.1.0), junit and checkstyle XML."""

from __future__ import annotations

import json
from collections.abc import Callable

from framealloc_lint.codes import RULES
from framealloc_lint.model import Diagnostic, Severity
from framealloc_lint.runner import RunResult

__all__ = ["FORMATS", "TOOL_NAME", "TOOL_VERSION", "render", "summary_line"]

TOOL_NAME = "fa"
TOOL_VERSION = "0.1.0"
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.HINT: "note"}
_CHECKSTYLE_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.HINT: "info"}


def summary_line(result: RunResult) -> str:
    """``fa: 12 files checked: 1 error, 2 warnings, 0 hints``."""

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    text = (
        f"fa: {plural(len(result.files), 'file')} checked: "
        f"{plural(result.count(Severity.ERROR), 'error')}, "
        f"{plural(result.count(Severity.WARNING), 'warning')}, "
        f"{plural(result.count(Severity.HINT), 'hint')}"
    )
    return text + (" (stopped at the first error: --fail-fast)" if result.stopped_early else "")


def _text_one(diag: Diagnostic, source: str | None) -> str:
    lines = [f"{diag.severity.label}[{diag.code}]: {diag.message}"]
    gutter = " " * len(str(diag.line))
    lines.append(f"{gutter}--> {diag.path}:{diag.line}:{diag.column}")
    if source is not None:
        src = source.splitlines()
        if 0 < diag.line <= len(src):
            code = src[diag.line - 1].rstrip()
            lines += [f"{gutter} |", f"{diag.line} | {code}",
                      f"{gutter} | {' ' * (diag.column - 1)}^"]  # fmt: skip
    if diag.note:
        lines.append(f"{gutter} = note: {diag.note}")
    if diag.help:
        lines.append(f"{gutter} = help: {diag.help}")
    return "\n".join(lines)


def _text(result: RunResult) -> str:
    parts = [_text_one(d, result.sources.get(d.path)) for d in result.diagnostics]
    parts.append(summary_line(result))
    return "\n\n".join(parts) + "\n"


def _compact(result: RunResult) -> str:
    lines = [
        f"{d.path}:{d.line}:{d.column}: {d.severity.label}[{d.code}] {d.message}"
        for d in result.diagnostics
    ]
    return "".join(line + "\n" for line in lines)


def _json(result: RunResult) -> str:
    data = {
        "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
        "files": len(result.files),
        "stopped_early": result.stopped_early,
        "summary": {s.label: result.count(s) for s in Severity},
        "diagnostics": [d.to_dict() for d in result.diagnostics],
    }
    return json.dumps(data, indent=2) + "\n"


def _sarif(result: RunResult) -> str:
    codes = sorted(RULES)
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "name": RULES[code].name,
            "shortDescription": {"text": RULES[code].summary},
            "fullDescription": {"text": RULES[code].explanation},
            "help": {"text": RULES[code].help},
            "defaultConfiguration": {"level": _SARIF_LEVEL[RULES[code].severity]},
            "properties": {"category": RULES[code].category},
        }
        for code in codes
    ]
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": f"{d.message} (note: {d.note})" if d.note else d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": d.path},
                        "region": {"startLine": d.line, "startColumn": d.column},
                    }
                }
            ],
        }
        for d in result.diagnostics
    ]
    log = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": TOOL_VERSION,
                        "informationUri": "https://github.com/framealloc-engine",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _junit(result: RunResult) -> str:
    import xml.etree.ElementTree as ET

    failures = len(result.diagnostics)
    by_file: dict[str, list[Diagnostic]] = {f: [] for f in result.files}
    for diag in result.diagnostics:
        by_file.setdefault(diag.path, []).append(diag)
    tests = sum(max(1, len(v)) for v in by_file.values())
    root = ET.Element("testsuites", name=TOOL_NAME, tests=str(tests), failures=str(failures))
    for path, diags in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=path, tests=str(max(1, len(diags))),
                              failures=str(len(diags)), errors="0")  # fmt: skip
        if not diags:
            ET.SubElement(suite, "testcase", classname=path, name="fa")
        for d in diags:
            case = ET.SubElement(suite, "testcase", classname=path,
                                 name=f"{d.code} at {d.line}:{d.column}")  # fmt: skip
            failure = ET.SubElement(case, "failure", message=d.message, type=d.severity.label)
            failure.text = _text_one(d, result.sources.get(d.path))
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _checkstyle(result: RunResult) -> str:
    import xml.etree.ElementTree as ET

    root = ET.Element("checkstyle", version="4.3")
    files: dict[str, ET.Element] = {}
    for path in result.files:
        files[path] = ET.SubElement(root, "file", name=path)
    for d in result.diagnostics:
        node = files.get(d.path)
        if node is None:
            node = files[d.path] = ET.SubElement(root, "file", name=d.path)
        ET.SubElement(node, "error", line=str(d.line), column=str(d.column),
                      severity=_CHECKSTYLE_LEVEL[d.severity], message=d.message,
                      source=f"fa.{d.code}")  # fmt: skip
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


#: Format name -> renderer.
FORMATS: dict[str, Callable[[RunResult], str]] = {
    "text": _text,
    "compact": _compact,
    "json": _json,
    "sarif": _sarif,
    "junit": _junit,
    "checkstyle": _checkstyle,
}


def render(result: RunResult, fmt: str = "text") -> str:
    """Render a run in one of :data:`FORMATS`.

    Raises:
        KeyError: For an unknown format name.
    """
    return FORMATS[fmt](result)
