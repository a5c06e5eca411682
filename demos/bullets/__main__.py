"""``python -m demos.bullets``."""

from __future__ import annotations

from demos.bullets import main

raise SystemExit(main())
