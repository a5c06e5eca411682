"""FA801 (tag differs from the module's), FA802 (unknown tag), FA803 (another module's tag)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from fnmatch import fnmatchcase

from framealloc_engine.lint.analysis import ModuleAnalysis
from framealloc_engine.lint.model import Diagnostic

__all__ = ["check", "module_matches"]


def module_matches(pattern: str, module: str, path: str) -> bool:
    """Whether a ``[tags] module_tags`` key names this module.

    A key matches the dotted module name exactly, as a package prefix (``game.physics`` matches
    ``game.physics.solver``), as a glob on the dotted name, or as a glob on the file path.
    """
    if module == pattern or module.startswith(pattern + "."):
        return True
    return fnmatchcase(module, pattern) or fnmatchcase(path.replace("\\", "/"), pattern)


def check(analysis: ModuleAnalysis) -> Iterator[Diagnostic]:
    """Report tags that are unknown or do not belong to the module using them."""
    config = analysis.config
    own = [
        (pattern, tag)
        for pattern, tag in config.module_tags.items()
        if module_matches(pattern, analysis.module_name, analysis.path)
    ]
    # The most specific (longest) matching pattern decides the module's tag.
    own_tag = max(own, key=lambda item: len(item[0]))[1] if own else None
    owners = {tag: pattern for pattern, tag in config.module_tags.items()}
    for flow in analysis.flows.values():
        for call, tag in flow.tags:
            if tag is None:
                continue
            if tag not in config.known_tags:
                close = difflib.get_close_matches(tag, sorted(config.known_tags), n=1)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                yield analysis.diagnostic(
                    "FA802", call, f"unknown tag `{tag}`{hint}",
                    "tags are matched by name; this one has no budget and no known owner",
                )  # fmt: skip
            elif own_tag is not None and tag != own_tag:
                if tag in owners:
                    yield analysis.diagnostic(
                        "FA803", call,
                        f"module `{analysis.module_name}` uses tag `{tag}`, owned by "
                        f"`{owners[tag]}`",
                        f"this module's configured tag is `{own_tag}`",
                    )  # fmt: skip
                else:
                    yield analysis.diagnostic(
                        "FA801", call,
                        f"tag `{tag}` does not match module `{analysis.module_name}`'s "
                        f"configured tag `{own_tag}`",
                        "[tags] module_tags assigns this module's memory to another tag",
                    )  # fmt: skip
