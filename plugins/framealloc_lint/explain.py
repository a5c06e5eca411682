"""``fa explain CODE``: what a code means to the analyser, to the runtime, or to both."""

from __future__ import annotations

import textwrap

from framealloc_lint.codes import RENAMED, RULES
from framealloc_lint.model import Rule
from framealloc_lint.runtime_codes import RuntimeCode, RuntimeTableError, runtime_codes

__all__ = ["UnknownCodeError", "explain_code"]


class UnknownCodeError(KeyError):
    """Neither the analyser nor the runtime has this code."""


def _static(rule: Rule) -> str:
    indent = "    "
    bad = "\n".join(indent + line for line in rule.bad.splitlines())
    good = "\n".join(indent + line for line in rule.good.splitlines())
    return (
        f"{rule.code} ({rule.name}): {rule.summary}\n"
        f"reported by: fa (static analysis)\n"
        f"category: {rule.category}    default severity: {rule.severity.label}\n\n"
        f"{textwrap.fill(rule.explanation, 88)}\n\n"
        f"Bad:\n\n{bad}\n\nGood:\n\n{good}\n\nhelp: {rule.help}\n"
    )


def _runtime(entry: RuntimeCode, also_static: bool) -> str:
    heading = (
        f"At runtime, framealloc_engine reports {entry.code} ({entry.severity}) for the same "
        "mistake when it happens:"
        if also_static
        else f"{entry.code} is reported by the allocator at runtime (framealloc_engine), "
        "not by fa:"
    )
    return f"{textwrap.fill(heading, 88)}\n\n{entry.text}\n"


def explain_code(code: str) -> str:
    """The explanation ``fa explain`` prints for ``code`` (any case).

    A static code gets its rule (with a bad and a good example); a code the runtime also
    reports gets the runtime's explanation too; a runtime-only code (FA001, FA301...) gets the
    runtime's; a renamed code says what it became.

    Raises:
        UnknownCodeError: Neither table has ``code`` (or only the runtime's has it and the
            runtime table cannot be loaded: the message says why).
    """
    key = code.strip().upper()
    rule = RULES.get(key)
    try:
        runtime: dict[str, RuntimeCode] = runtime_codes()
        problem = ""
    except RuntimeTableError as err:
        runtime, problem = {}, str(err)
    parts: list[str] = []
    if rule is not None:
        parts.append(_static(rule))
    if key in runtime:
        parts.append(_runtime(runtime[key], also_static=rule is not None))
    if key in RENAMED:
        new = RENAMED[key]
        parts.append(
            textwrap.fill(
                f"note: before fa 0.2.0 the static check `{RULES[new].name}` was reported as "
                f"{key}; it is now {new} (`fa explain {new}`). Configuration and `--allow` "
                f"that still say {key} are read as {new}, with a warning.",
                88,
            )
            + "\n"
        )
    if not parts:
        why = f": {problem}" if problem else ""
        raise UnknownCodeError(f"unknown code {code!r} (see `fa list --runtime`){why}")
    if rule is None and key not in runtime:  # renamed, and the runtime table is unavailable
        parts.insert(0, f"{key}: a runtime code (its explanation is unavailable: {problem})\n")
    return "\n".join(parts)
