"""FA801 (tag differs from the module's), FA802 (unknown tag), FA803 (another module's tag)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from fnmatch import fnmatchcase

from framealloc_lint.analysis import ModuleAnalysis
from framealloc_lint.model import Diagnostic

__all__ = ["check", "module_matches"]


def module_matches(pattern: str, module: str, path: str) -> bool:
    """Whether a ``[tags] module_tags`` key names this module.

    A key matches the dotted module name exactly, as a package prefix (``game.physics`` matches
    ``game.physics.solver``), as a glob on the dotted name, or as a glob on the file path.
    """
    if module == pattern or module.startswith(pattern + "."):
        return True
    return fnmatchcase(module, pattern) or fnmatchcase(path.replace("\\", "/"), pattern)


def _near_miss(tag: str, known: frozenset[str]) -> str | None:
    """The known tag ``tag`` is probably a misspelling of (case or a small edit), if any."""
    lowered = {k.lower(): k for k in known}
    if tag.lower() in lowered:
        return lowered[tag.lower()]
    close = difflib.get_close_matches(tag.lower(), sorted(lowered), n=1, cutoff=0.8)
    return lowered[close[0]] if close else None


def check(analysis: ModuleAnalysis) -> Iterator[Diagnostic]:
    """Report tags that are unknown or do not belong to the module using them.

    Without a ``[tags] known_tags`` list only likely misspellings of known tags are unknown:
    custom tags (``"ai"``) are part of the library's design.
    """
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
                close = _near_miss(tag, config.known_tags)
                if close is None and not config.strict_tags:
                    continue  # a custom tag; only a `known_tags` list makes it unknown
                hint = f"; did you mean `{close}`?" if close else ""
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
