"""``python -m demos.workers``."""

from __future__ import annotations

from . import main

raise SystemExit(main())
