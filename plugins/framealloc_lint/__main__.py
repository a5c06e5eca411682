"""``python -m framealloc_lint``: the ``fa`` command."""

from __future__ import annotations

import sys

from framealloc_lint.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
