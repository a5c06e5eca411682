"""Allocation tags: names of the subsystems memory is attributed to.

Tags nest per thread; the path of nested tags is joined with ``"::"``
(``"ai::pathfinding"``). Every allocation is charged to the current path.
"""

from __future__ import annotations

__all__ = [
    "ASSETS",
    "AUDIO",
    "GENERAL",
    "NETWORKING",
    "PHYSICS",
    "RENDERING",
    "SCRIPTING",
    "STANDARD_TAGS",
    "TAG_SEPARATOR",
    "UI",
    "UNTAGGED",
    "validate_tag",
]

RENDERING = "rendering"
PHYSICS = "physics"
AUDIO = "audio"
SCRIPTING = "scripting"
ASSETS = "assets"
UI = "ui"
NETWORKING = "networking"
GENERAL = "general"
#: The common subsystems, in a stable order.
STANDARD_TAGS = (RENDERING, PHYSICS, AUDIO, SCRIPTING, ASSETS, UI, NETWORKING, GENERAL)
#: Joins nested tag and phase names.
TAG_SEPARATOR = "::"
#: The path reported for allocations made outside any tag.
UNTAGGED = ""


def validate_tag(name: object, what: str = "tag") -> str:
    """Check a tag or phase name: a non-empty string without the ``::`` separator."""
    if not isinstance(name, str) or not name or TAG_SEPARATOR in name:
        raise ValueError(
            f"{what} name must be a non-empty string without '{TAG_SEPARATOR}', got {name!r}"
        )
    return name
