"""The commented ``.fa.toml`` that ``fa init`` writes."""

from __future__ import annotations

__all__ = ["INIT_TEMPLATE"]

INIT_TEMPLATE = """\
# .fa.toml: configuration for `fa`, the framealloc-engine static analyser.
# `fa` finds this file in the checked directory or any parent. Every key is optional.

[global]
# Findings below this severity are not reported: "hint", "warning" or "error".
min_severity = "hint"
# Glob patterns of paths to skip, relative to this file's directory.
exclude = ["build/**", "tests/lint/fixtures/**"]
# Exit with status 1 when any warning is reported (as `--deny-warnings`).
deny_warnings = false

[lints]
# Codes never reported (as `--allow CODE`).
disabled = []

[lints.levels]
# Per-code severity: "error" (or "deny"), "warning", "hint", or "allow" to disable.
# FA602 = "error"
# FA604 = "allow"

[tags]
# Tags accepted besides the library's (rendering, physics, audio, scripting, assets, ui,
# networking, general); a tag outside this list is FA802.
known_tags = []
# Module (dotted name, package prefix, or glob on the name or the path) -> the tag it owns.
# A module tagging memory with another tag is FA801, or FA803 when another module owns it.
# module_tags = { "game.render" = "rendering", "game.physics" = "physics" }

[thresholds]
# Allocations tolerated per loop before FA602 reports them (0: any allocation in a loop).
loop_allocation_limit = 0
# Loops over a literal with at most this many items (`for side in (L, R)`) are not hot.
small_loop = 8
"""
