"""XML formats: ``junit`` and ``checkstyle``, valid XML 1.0 whatever the file names hold.

XML 1.0 cannot carry most control characters at all, not even as character references, so
characters outside its ``Char`` production (in file names, messages or source snippets) are
written as visible escapes (``\\x1b``) before the document is built.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from framealloc_lint.model import Diagnostic, Severity
from framealloc_lint.output.common import TOOL_NAME
from framealloc_lint.output.text import render_one
from framealloc_lint.runner import RunResult

__all__ = ["render_checkstyle", "render_junit", "xml_safe"]

_CHECKSTYLE_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.HINT: "info"}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 forbids written as a ``\\xNN``/``\\uNNNN`` escape."""
    return _NOT_XML.sub(_escape, text)


def _element(parent: ET.Element | None, tag: str, **attrs: str) -> ET.Element:
    safe = {key: xml_safe(value) for key, value in attrs.items()}
    return ET.Element(tag, safe) if parent is None else ET.SubElement(parent, tag, safe)


def render_junit(result: RunResult) -> str:
    """JUnit XML: a test suite per file, a failing test case per finding."""
    failures = len(result.diagnostics)
    by_file: dict[str, list[Diagnostic]] = {f: [] for f in result.files}
    for diag in result.diagnostics:
        by_file.setdefault(diag.path, []).append(diag)
    tests = sum(max(1, len(v)) for v in by_file.values())
    root = _element(None, "testsuites", name=TOOL_NAME, tests=str(tests), failures=str(failures))
    for path, diags in by_file.items():
        suite = _element(root, "testsuite", name=path, tests=str(max(1, len(diags))),
                         failures=str(len(diags)), errors="0")  # fmt: skip
        if not diags:
            _element(suite, "testcase", classname=path, name="fa")
        for d in diags:
            case = _element(suite, "testcase", classname=path,
                            name=f"{d.code} at {d.line}:{d.column}")  # fmt: skip
            failure = _element(case, "failure", message=d.message, type=d.severity.label)
            failure.text = xml_safe(render_one(d, result.sources.get(d.path)))
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def render_checkstyle(result: RunResult) -> str:
    """Checkstyle XML: a ``file`` element per file, an ``error`` element per finding."""
    root = _element(None, "checkstyle", version="4.3")
    files: dict[str, ET.Element] = {}
    for path in result.files:
        files[path] = _element(root, "file", name=path)
    for d in result.diagnostics:
        node = files.get(d.path)
        if node is None:
            node = files[d.path] = _element(root, "file", name=d.path)
        _element(node, "error", line=str(d.line), column=str(d.column),
                 severity=_CHECKSTYLE_LEVEL[d.severity], message=d.message,
                 source=f"fa.{d.code}")  # fmt: skip
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
