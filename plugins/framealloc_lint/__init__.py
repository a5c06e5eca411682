"""``fa``: the static analyser for framealloc-engine code (a port of cargo-fa).

It reads source with :mod:`ast` (nothing is imported or run) and reports memory-intent
mistakes: frame memory escaping its frame, allocations in hot loops, frame memory crossing
threads or ``await``, tags that do not match the module. Run ``fa check``; see ``fa --help``.

Example::

    from framealloc_lint import analyze_source
    codes = [d.code for d in analyze_source("import framealloc_engine\\n")]  # []
"""

from __future__ import annotations

from framealloc_lint.codes import RULES, get_rule
from framealloc_lint.config import LintConfig, load_config
from framealloc_lint.model import Diagnostic, Rule, Severity
from framealloc_lint.runner import RunResult, analyze_paths, analyze_source

__all__ = [
    "RULES",
    "Diagnostic",
    "LintConfig",
    "Rule",
    "RunResult",
    "Severity",
    "analyze_paths",
    "analyze_source",
    "get_rule",
    "load_config",
]
