"""SARIF 2.1.0 (GitHub code scanning and other SARIF viewers).

Locations are URI references: a relative path is percent-encoded and resolved against the
``%SRCROOT%`` base (the directory ``fa`` ran in); an absolute path becomes a ``file://`` URI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from framealloc_lint.codes import RULES
from framealloc_lint.model import Severity
from framealloc_lint.output.common import HOME, RULES_URI, TOOL_NAME, TOOL_VERSION
from framealloc_lint.runner import RunResult

__all__ = ["SARIF_SCHEMA", "artifact_uri", "render_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.HINT: "note"}
_BASE = "%SRCROOT%"


def artifact_uri(path: str) -> tuple[str, bool]:
    """The URI reference of a reported path, and whether it is relative to ``%SRCROOT%``."""
    if os.path.isabs(path):
        return Path(path).as_uri(), False
    return quote(PurePosixPath(path).as_posix(), safe="/"), True


def _location(path: str, line: int, column: int) -> dict[str, object]:
    uri, relative = artifact_uri(path)
    artifact: dict[str, str] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = _BASE
    return {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": line, "startColumn": column},
        }
    }


def render_sarif(result: RunResult) -> str:
    """The run as a SARIF 2.1.0 log: every rule in the driver, one result per finding."""
    codes = sorted(RULES)
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "name": RULES[code].name,
            "shortDescription": {"text": RULES[code].summary},
            "fullDescription": {"text": RULES[code].explanation},
            "help": {"text": RULES[code].help},
            "helpUri": RULES_URI,
            "defaultConfiguration": {"level": _LEVEL[RULES[code].severity]},
            "properties": {"category": RULES[code].category},
        }
        for code in codes
    ]
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _LEVEL[d.severity],
            "message": {"text": f"{d.message} (note: {d.note})" if d.note else d.message},
            "locations": [_location(d.path, d.line, d.column)],
        }
        for d in result.diagnostics
    ]
    root = Path.cwd().as_uri().rstrip("/") + "/"
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": TOOL_VERSION,
                        "informationUri": HOME,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {_BASE: {"uri": root}},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
