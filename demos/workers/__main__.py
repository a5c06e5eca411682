"""``python -m demos.workers``."""

from __future__ import annotations

from demos.workers import main

raise SystemExit(main())
