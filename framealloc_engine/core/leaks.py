"""Leak reports: what is still allocated, and (in debug mode) where it was allocated.

Example::

    alloc = SmartAlloc(AllocConfig().with_debug(True))
    ...
    print(alloc.leak_report())      # every live pool and heap block, with its allocation site
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from framealloc_engine.allocators.heap import SystemHeap
    from framealloc_engine.allocators.slab import Block

__all__ = ["LiveAllocation", "format_leaks", "live_allocations"]


@dataclass(frozen=True, slots=True)
class LiveAllocation:
    """One allocation not freed yet.

    Attributes:
        kind: ``"pool"`` or ``"heap"``.
        nbytes: Bytes of its block.
        site: ``file:line in function`` where it was allocated (debug mode), else ``None``.
        traceback: The allocation's formatted stack (debug mode), else ``""``.
    """

    kind: str
    nbytes: int
    site: str | None
    traceback: str


def _site(stack: list[Any] | None) -> tuple[str | None, str]:
    if not stack:
        return None, ""
    frame = stack[-1]
    return f"{frame.filename}:{frame.lineno} in {frame.name}", "".join(
        traceback.format_list(stack)
    )


def live_allocations(pool_live: dict[int, Block], heap: SystemHeap) -> list[LiveAllocation]:
    """The live pool and heap allocations, oldest site first when sites were recorded."""
    found = []
    for block in list(pool_live.values()):
        site, stack = _site(block.site)
        found.append(LiveAllocation("pool", block.size, site, stack))
    for heap_block in heap.live_blocks():
        site, stack = _site(heap_block.site)
        found.append(LiveAllocation("heap", heap_block.size, site, stack))
    return found


def format_leaks(leaks: list[LiveAllocation]) -> str:
    """A report: one line per allocation, grouped by site, largest first."""
    if not leaks:
        return "no live pool or heap allocations"
    by_site: dict[tuple[str, str | None], list[LiveAllocation]] = {}
    for leak in leaks:
        by_site.setdefault((leak.kind, leak.site), []).append(leak)
    lines = [f"{len(leaks)} live allocation(s), {sum(x.nbytes for x in leaks)} bytes:"]
    ordered = sorted(by_site.items(), key=lambda item: -sum(x.nbytes for x in item[1]))
    for (kind, site), group in ordered:
        where = site or "site not recorded (enable AllocConfig().with_debug(True))"
        lines.append(f"  {len(group)} x {kind}, {sum(x.nbytes for x in group)} bytes: {where}")
    return "\n".join(lines)
