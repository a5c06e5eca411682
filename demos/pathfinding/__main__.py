"""``python -m demos.pathfinding``."""

from __future__ import annotations

from . import main

raise SystemExit(main())
