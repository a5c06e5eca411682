"""``python -m framealloc_engine``: ``info`` (default), ``codes``, ``explain CODE``."""

from __future__ import annotations

import argparse
import sys

from framealloc_engine.config import AllocConfig
from framealloc_engine.diagnostics.codes import all_codes, explain
from framealloc_engine.monitoring.info import info_text

__all__ = ["main"]

_PRESETS = {
    "default": AllocConfig,
    "minimal": AllocConfig.minimal,
    "high_performance": AllocConfig.high_performance,
}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m framealloc_engine")
    sub = parser.add_subparsers(dest="command")
    info = sub.add_parser("info", help="quick reference, active configuration and hints")
    info.add_argument("--preset", choices=sorted(_PRESETS), default="default")
    info.add_argument("--debug", action="store_true", help="show the debug-mode hints")
    sub.add_parser("codes", help="list the runtime FA codes")
    exp = sub.add_parser("explain", help="explain one FA code")
    exp.add_argument("code")
    args = parser.parse_args(argv)
    if args.command == "codes":
        for entry in all_codes():
            print(f"{entry.code}  {entry.category:<8}  {entry.severity.value:<7}  {entry.summary}")
        return 0
    if args.command == "explain":
        try:
            print(explain(args.code))
        except KeyError as exc:
            print(exc.args[0], file=sys.stderr)
            return 2
        return 0
    config = _PRESETS[getattr(args, "preset", "default")]()
    if getattr(args, "debug", False):
        config = config.with_debug(True)
    print(info_text(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
