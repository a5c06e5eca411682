"""``python -m demos.streaming``."""

from __future__ import annotations

from . import main

raise SystemExit(main())
