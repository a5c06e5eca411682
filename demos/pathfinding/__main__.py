"""``python -m demos.pathfinding``."""

from __future__ import annotations

from demos.pathfinding import main

raise SystemExit(main())
