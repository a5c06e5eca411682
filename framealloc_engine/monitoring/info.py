"""``python -m framealloc_engine info``: quick reference, active configuration, hints.

Python has no build script, so the crate's build-time messages (feature detection, debug
hints, release tips, quick reference) are printed here instead.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import platform
import sys

import numpy as np

from framealloc_engine.allocators import backend
from framealloc_engine.config import AllocConfig
from framealloc_engine.diagnostics.codes import all_codes
from framealloc_engine.diagnostics.strict import STRICT_ENV_VAR, strict_mode

__all__ = ["PREFIX", "info_lines", "info_text"]

PREFIX = "[framealloc]"
_RULE = "─" * 40

_QUICK_REFERENCE = (
    "Frame allocation (fastest, reset per frame):",
    "    alloc.begin_frame()",
    "    data = alloc.frame_alloc(np.float32, (n, 3))   # or alloc.frame_box(value)",
    "    alloc.end_frame()",
    "Pool / heap allocation (freed explicitly):",
    "    a = alloc.pool_alloc(Particle)      alloc.pool_free(a)",
    "    with alloc.heap_box(big_array) as box: ...",
    "Attribution:",
    "    with alloc.with_tag('physics'), alloc.phase_scope('update'): ...",
    "Diagnostics:",
    "    alloc.enable_behavior_filter(); print(alloc.behavior_report())",
    "    with alloc.trace('run.json'): ...        # open in ui.perfetto.dev",
    "    alloc.enable_snapshots('snapshots/')     # touch snapshots/snapshot.request",
    "    FRAMEALLOC_STRICT=error pytest           # diagnostics raise in CI",
)


def _engine_available() -> str | None:
    if importlib.util.find_spec("pygame") is None:
        return None
    try:
        from importlib.metadata import version

        return version("pygame-ce")
    except Exception:  # noqa: BLE001 - any metadata problem just means "unknown version"
        return "unknown version"


def info_lines(config: AllocConfig | None = None) -> list[str]:
    """The lines ``info`` prints (without the prefix)."""
    cfg = config if config is not None else AllocConfig()
    lines = [_RULE, "ℹ️  framealloc Quick Reference", _RULE, *_QUICK_REFERENCE, ""]
    lines.append("Active configuration:")
    for field in dataclasses.fields(cfg):
        lines.append(f"    {field.name} = {getattr(cfg, field.name)!r}")
    lines.append(f"    hot paths = {backend.describe(cfg.backend)}")
    env = os.environ.get(STRICT_ENV_VAR)
    lines.append(
        f"    strict mode = {strict_mode().name}"
        + (f" ({STRICT_ENV_VAR}={env})" if env is not None else f" ({STRICT_ENV_VAR} unset)")
    )
    lines.append(
        f"    python {platform.python_version()}, numpy {np.__version__}, "
        f"assertions {'on' if __debug__ else 'off (-O)'}"
    )
    lines.append("")
    engine = _engine_available()
    if engine is not None:
        lines += [
            f"ℹ️  Engine integration available (pygame-ce {engine})",
            "Remember to add SmartAllocPlugin to your App:",
            "    app.add_plugins(SmartAllocPlugin(AllocConfig()))",
        ]
    else:
        lines.append("ℹ️  pygame-ce not installed: allocator only (no engine integration)")
    if cfg.debug:
        lines += [
            "ℹ️  Debug mode enabled",
            "Debug mode provides:",
            "    • Memory poisoning (freed and reset memory filled with 0xCD)",
            "    • Frame arrays made read-only at end_frame() (late writes raise)",
            "    • No view reuse, extended validation checks",
        ]
    else:
        lines += [
            "ℹ️  Running in release mode (AllocConfig.debug = False)",
            "Tip: use AllocConfig().with_debug(True) while developing to catch late writes",
            "Tip: enable_behavior_filter() in tests to catch frame data kept across frames",
        ]
    if sys.flags.dev_mode:
        lines.append("ℹ️  Python dev mode (-X dev) is on: expect slower frames")
    lines += ["", "Runtime diagnostic codes (python -m framealloc_engine explain FA001):"]
    lines += [f"    {c.code}  {c.severity.value:<7}  {c.summary}" for c in all_codes()]
    return lines


def info_text(config: AllocConfig | None = None) -> str:
    """:func:`info_lines` with the ``[framealloc]`` prefix, one string."""
    return "\n".join(f"{PREFIX} {line}".rstrip() for line in info_lines(config))
