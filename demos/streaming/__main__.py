"""``python -m demos.streaming``."""

from __future__ import annotations

from demos.streaming import main

raise SystemExit(main())
