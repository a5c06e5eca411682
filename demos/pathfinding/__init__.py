"""Pathfinding: agents plan with A* in frame memory, speculate, roll back and promote paths.

Run ``python -m demos.pathfinding`` (a window) or
``python -m demos.pathfinding --headless --frames 600 --screenshot shot.png``.

* The map comes from ``assets/pathfinding/map.txt``; its doors open and close, so paths are
  re-planned while agents walk.
* Each request first tries the straight line speculatively (``alloc.speculative``), then A*
  with its node arrays in the frame arena and a node budget under
  ``alloc.checkpoint_guard()``: out of budget, the whole attempt is rolled back in O(1) and
  the search continues across frames with node arrays from
  ``alloc.scratch_pool("pathfinding")``, which is reset once no long search is left.
* Found paths are smoothed with vectorised line-of-sight tests and kept with
  ``alloc.frame_retained(..., RetentionPolicy.PROMOTE_TO_POOL)``; a ``Last`` system promotes
  them into pool boxes the agents walk.
"""

from __future__ import annotations

from .game import (
    AGENTS,
    SIZE,
    Heat,
    PathfindingPlugin,
    View,
    build,
    details,
    main,
)

__all__ = ["AGENTS", "SIZE", "Heat", "PathfindingPlugin", "View", "build", "details", "main"]
