"""``python -m demos.swarm``."""

from __future__ import annotations

from . import main

raise SystemExit(main())
