"""The ``fa`` command line: ``fa check``, ``explain``, ``show``, ``list``, ``init``."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import TextIO

from framealloc_lint.codes import CATEGORIES, get_rule, is_code, rules_in
from framealloc_lint.config import (
    CONFIG_NAME,
    ConfigError,
    LintConfig,
    find_config,
    load_config,
)
from framealloc_lint.formats import FORMATS, TOOL_VERSION, render
from framealloc_lint.init_template import INIT_TEMPLATE
from framealloc_lint.model import Severity
from framealloc_lint.runner import RunResult, analyze_paths

__all__ = ["build_parser", "main"]

COMMANDS = ("check", "explain", "show", "list", "init")
_DESCRIPTION = """\
fa: static analysis of memory intent for framealloc-engine code (a port of cargo-fa).
Reads source with `ast`; nothing is imported or run.

commands:
  check [PATH ...]   analyse files and directories (the default command)
  explain CODE       explain a diagnostic code, with a bad and a good example
  show FILE          analyse one file and show what the analyser recognised
  list               list the diagnostic codes (--category NAME to filter)
  init               write a commented .fa.toml in the current directory

Run `fa check --help` for the check options."""
_EPILOG = """\
exit status: 0 clean; 1 an error, a denied code, or a warning with --deny-warnings; 2 bad usage.
suppress one finding with a comment on its line: `# fa: allow FA601`."""


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: error: {message}")


def _codes(values: list[str] | None) -> frozenset[str]:
    codes: set[str] = set()
    for value in values or []:
        for code in value.replace(",", " ").split():
            if not is_code(code):
                raise _UsageError(f"fa: error: unknown code {code!r} (see `fa list`)")
            codes.add(code.upper())
    return frozenset(codes)


def _add_check_options(parser: argparse.ArgumentParser, paths: bool = True) -> None:
    if paths:
        parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories "
                            "(default: the current directory)")  # fmt: skip
    parser.add_argument("--format", choices=sorted(FORMATS), default="text",
                        help="output format (default: text)")  # fmt: skip
    parser.add_argument(
        "--deny",
        action="append",
        metavar="CODE",
        help="report CODE as an error and fail when it is found (repeatable)",
    )
    parser.add_argument(
        "--allow", action="append", metavar="CODE", help="do not report CODE (repeatable)"
    )
    parser.add_argument("--deny-warnings", action="store_true", help="exit 1 on any warning")
    parser.add_argument(
        "--exclude", action="append", metavar="GLOB", help="skip paths matching GLOB (repeatable)"
    )
    parser.add_argument(
        "--min-severity",
        choices=[s.label for s in Severity],
        help="do not report findings below this severity",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="CODE",
        help="run only these codes (repeatable, comma-separated)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        metavar="CODE",
        help="do not run these codes (repeatable, comma-separated)",
    )
    parser.add_argument(
        "--fail-fast", action="store_true", help="stop at the first error (fast checks run first)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=f"configuration file (default: nearest {CONFIG_NAME})",
    )
    parser.add_argument("--no-config", action="store_true", help="ignore configuration files")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write the report to FILE instead of standard output",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``fa`` (subcommands included)."""
    parser = _Parser(prog="fa", description=_DESCRIPTION, epilog=_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("-V", "--version", action="version", version=f"fa {TOOL_VERSION}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    raw = argparse.RawDescriptionHelpFormatter
    check = sub.add_parser("check", help="analyse files and directories", epilog=_EPILOG,
                           formatter_class=raw)  # fmt: skip
    _add_check_options(check)
    explain = sub.add_parser("explain", help="explain a diagnostic code")
    explain.add_argument("code", metavar="CODE")
    show = sub.add_parser("show", help="analyse one file, verbosely")
    show.add_argument("file", type=Path, metavar="FILE")
    _add_check_options(show, paths=False)
    listing = sub.add_parser("list", help="list diagnostic codes")
    listing.add_argument(
        "--category",
        nargs="?",
        const="*",
        metavar="NAME",
        help=f"group by category, or show one ({', '.join(CATEGORIES)})",
    )
    init = sub.add_parser("init", help=f"write a commented {CONFIG_NAME}")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.add_argument(
        "--path",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="directory to write into (default: current directory)",
    )
    return parser


def _config(args: argparse.Namespace, paths: list[Path]) -> LintConfig:
    if args.no_config:
        config = LintConfig()
    else:
        found = args.config or find_config(paths[0] if paths else Path.cwd())
        if args.config is not None and not args.config.is_file():
            raise _UsageError(f"fa: error: config file {args.config} not found")
        config = load_config(found) if found else LintConfig()
    changes: dict[str, object] = {
        "denied": config.denied | _codes(args.deny),
        "disabled": config.disabled | _codes(args.allow) | _codes(args.skip),
        "exclude": (*config.exclude, *(args.exclude or [])),
        "deny_warnings": config.deny_warnings or args.deny_warnings,
    }
    if args.only:
        changes["only"] = _codes(args.only)
    if args.min_severity:
        changes["min_severity"] = Severity.parse(args.min_severity)
    return config.merged(**changes)


def _exit_code(result: RunResult, config: LintConfig) -> int:
    for diag in result.diagnostics:
        if diag.severity is Severity.ERROR or diag.code in config.denied:
            return 1
        if diag.severity is Severity.WARNING and config.deny_warnings:
            return 1
    return 0


def _emit(text: str, args: argparse.Namespace, out: TextIO) -> None:
    if getattr(args, "output", None):
        args.output.write_text(text, encoding="utf-8")
    else:
        out.write(text)


def _run_check(args: argparse.Namespace, out: TextIO) -> int:
    paths = [Path(p) for p in args.paths] or [Path()]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise _UsageError(f"fa: error: no such file or directory: {', '.join(missing)}")
    config = _config(args, paths)
    result = analyze_paths(paths, config, fail_fast=args.fail_fast)
    _emit(render(result, args.format), args, out)
    return _exit_code(result, config)


def _run_show(args: argparse.Namespace, out: TextIO) -> int:
    from framealloc_lint.describe import describe

    if not args.file.is_file():
        raise _UsageError(f"fa: error: no such file: {args.file}")
    config = _config(args, [args.file])
    result = analyze_paths([args.file], config, fail_fast=args.fail_fast)
    text = render(result, args.format)
    if args.format == "text":
        text = describe(args.file, config) + "\n" + text
    _emit(text, args, out)
    return _exit_code(result, config)


def _run_explain(args: argparse.Namespace, out: TextIO) -> int:
    if not is_code(args.code):
        raise _UsageError(f"fa: error: unknown code {args.code!r} (see `fa list`)")
    rule = get_rule(args.code)
    indent = "    "
    bad = "\n".join(indent + line for line in rule.bad.splitlines())
    good = "\n".join(indent + line for line in rule.good.splitlines())
    out.write(
        f"{rule.code} ({rule.name}): {rule.summary}\n"
        f"category: {rule.category}    default severity: {rule.severity.label}\n\n"
        f"{textwrap.fill(rule.explanation, 88)}\n\n"
        f"Bad:\n\n{bad}\n\nGood:\n\n{good}\n\nhelp: {rule.help}\n"
    )
    return 0


def _run_list(args: argparse.Namespace, out: TextIO) -> int:
    category = args.category
    if category not in (None, "*") and category not in CATEGORIES:
        raise _UsageError(f"fa: error: unknown category {category!r} ({', '.join(CATEGORIES)})")
    groups = CATEGORIES if category in (None, "*") else (category,)
    for group in groups:
        rules = rules_in(group)
        if category is not None and rules:
            out.write(f"[{group}]\n")
        for rule in rules:
            out.write(f"{rule.code}  {rule.severity.label:<7}  {rule.category:<6}  "
                      f"{rule.summary}\n")  # fmt: skip
    return 0


def _run_init(args: argparse.Namespace, out: TextIO) -> int:
    target = args.path / CONFIG_NAME
    if target.exists() and not args.force:
        sys.stderr.write(f"fa: {target} already exists (use --force to overwrite)\n")
        return 1
    target.write_text(INIT_TEMPLATE, encoding="utf-8")
    out.write(f"fa: wrote {target}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``fa`` with ``argv`` (``sys.argv[1:]`` when None) and return the exit status."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    if not args_in or (args_in[0] not in COMMANDS and args_in[0] not in
                       ("-h", "--help", "-V", "--version")):  # fmt: skip
        args_in.insert(0, "check")
    out = sys.stdout
    try:
        args = build_parser().parse_args(args_in)
        runners = {"check": _run_check, "show": _run_show, "explain": _run_explain,
                   "list": _run_list, "init": _run_init}  # fmt: skip
        return runners[args.command](args, out)
    except _UsageError as err:
        sys.stderr.write(f"{err}\n")
        return 2
    except ConfigError as err:
        sys.stderr.write(f"fa: configuration error: {err}\n")
        return 2
    except SystemExit as exit_:  # --help / --version
        return exit_.code if isinstance(exit_.code, int) else 0
