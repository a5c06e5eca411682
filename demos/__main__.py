"""Demo launcher: ``python -m demos`` runs the showcase; ``python -m demos --list`` lists all.

The same directory installs as the package ``framealloc_demos``, so outside a clone the
launcher is ``framealloc-demos`` (a console script) or ``python -m framealloc_demos``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

#: This package's import name: ``demos`` in a clone, ``framealloc_demos`` when installed.
PACKAGE = __package__ or "demos"
SHOWCASE = "particles"
#: Modules of the package that are not demos (shared helpers).
HELPERS = frozenset({"assets"})


def available() -> list[str]:
    """Names of the runnable demo modules in this package."""
    here = Path(__file__).resolve().parent
    return sorted(
        m.name
        for m in pkgutil.iter_modules([str(here)])
        if not m.name.startswith("_") and m.name not in HELPERS
    )


def main(argv: list[str] | None = None) -> int:
    """Run the named demo (default: the showcase), passing the remaining arguments on."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog=f"python -m {PACKAGE}", add_help=False)
    parser.add_argument("--list", action="store_true")
    known, rest = parser.parse_known_args(argv)
    names = available()
    if known.list:
        for name in names:
            doc = (importlib.import_module(f"{PACKAGE}.{name}").__doc__ or "").strip().splitlines()
            print(f"{name:16} {doc[0] if doc else ''}")
        return 0
    name = SHOWCASE
    if rest and not rest[0].startswith("-"):
        name = rest.pop(0)
    if name not in names:
        print(f"unknown demo {name!r}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"{PACKAGE}.{name}")
    result: int = module.main(rest)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
