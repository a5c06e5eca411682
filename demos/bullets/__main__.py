"""``python -m demos.bullets``."""

from __future__ import annotations

from . import main

raise SystemExit(main())
