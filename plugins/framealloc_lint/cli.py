"""The ``fa`` command line: ``fa check``, ``explain``, ``show``, ``list``, ``init``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from framealloc_lint.codes import CATEGORIES, RULES, canonical_code, rules_in
from framealloc_lint.config import CONFIG_NAME, ConfigError, LintConfig, find_config, load_config
from framealloc_lint.formats import FORMATS, TOOL_VERSION, render
from framealloc_lint.init_template import INIT_TEMPLATE
from framealloc_lint.model import Severity
from framealloc_lint.runner import RunResult, analyze_paths, default_jobs
from framealloc_lint.sources import file_kind

__all__ = ["CATEGORY_FLAGS", "build_parser", "main"]

COMMANDS = ("check", "explain", "show", "list", "init")
#: cargo-fa's category switches: option -> the categories it selects.
CATEGORY_FLAGS: dict[str, str] = {
    "dirtymem": "frame",
    "budgets": "budget",
    "threading": "thread",
    "async_safety": "async",
    "architecture": "tags",
}
_ALWAYS = frozenset({"FA900", "FA902"})  # file-level problems are reported whatever is selected
_DESCRIPTION = """\
fa: static analysis of memory intent for framealloc-engine code (a port of cargo-fa).
Reads source with `ast`; nothing is imported or run.

commands:
  check [PATH ...]   analyse files and directories (the default command)
  explain CODE       explain a diagnostic code (static or runtime), with examples
  show FILE          analyse one file and show what the analyser recognised
  list               list the diagnostic codes (--category NAME, --runtime)
  init               write a commented .fa.toml in the current directory

Run `fa check --help` for the check options."""
_EPILOG = """\
exit status: 0 clean; 1 an error, a denied code, or a warning with --deny-warnings; 2 bad usage,
bad configuration or an output file that cannot be written.
suppress one finding with a comment on its line: `# fa: allow FA601`."""


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of exiting, and takes no abbreviations."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False  # `--all` must never be read as `--allow`
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: error: {message}")


def _warn(text: str) -> None:
    sys.stderr.write(f"fa: warning: {text}\n")


def _codes(values: list[str] | None) -> frozenset[str]:
    codes: set[str] = set()
    for value in values or []:
        for item in value.replace(",", " ").split():
            try:
                code, note = canonical_code(item)
            except KeyError:
                raise _UsageError(f"fa: error: unknown code {item!r} (see `fa list`)") from None
            if note:
                _warn(note)
            codes.add(code)
    return frozenset(codes)


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid job count {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the job count must be 0 (one per CPU) or more")
    return value


def _add_check_options(parser: argparse.ArgumentParser, paths: bool = True) -> None:
    if paths:
        parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories "
                            "(default: the current directory); a file named here is always "
                            "checked, even in an excluded directory")  # fmt: skip
    parser.add_argument("--format", choices=sorted(FORMATS), default="text",
                        help="output format (default: text)")  # fmt: skip
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write the report to FILE instead of standard output")  # fmt: skip
    parser.add_argument("--deny", action="append", metavar="CODE",
                        help="report CODE as an error and fail when it is found "
                        "(repeatable)")  # fmt: skip
    parser.add_argument("--allow", action="append", metavar="CODE",
                        help="do not report CODE (repeatable)")  # fmt: skip
    parser.add_argument("--deny-warnings", action="store_true", help="exit 1 on any warning")
    parser.add_argument("--exclude", action="append", metavar="GLOB",
                        help="skip paths matching GLOB below the named directories "
                        "(repeatable)")  # fmt: skip
    parser.add_argument("--min-severity", choices=[s.label for s in Severity],
                        help="do not report findings below this severity")  # fmt: skip
    select = parser.add_argument_group(
        "selecting checks", "cargo-fa's switches; without any, every check runs (as --all)"
    )
    select.add_argument("--all", action="store_true", dest="all_checks",
                        help="run every check (cannot be combined with the switches "
                        "below)")  # fmt: skip
    select.add_argument("--dirtymem", action="store_true",
                        help="frame escapes, hot loops, retention (FA60x)")  # fmt: skip
    select.add_argument("--budgets", action="store_true",
                        help="unbounded allocation loops (FA606)")  # fmt: skip
    select.add_argument("--threading", action="store_true", help="thread safety (FA2xx)")
    select.add_argument("--async-safety", action="store_true", help="async and await (FA7xx)")
    select.add_argument("--architecture", action="store_true", help="tags and modules (FA8xx)")
    select.add_argument("--only", action="append", metavar="CODE",
                        help="run only these codes (repeatable, comma-separated)")  # fmt: skip
    select.add_argument("--skip", action="append", metavar="CODE",
                        help="do not run these codes (repeatable, comma-separated)")  # fmt: skip
    parser.add_argument("--fail-fast", action="store_true",
                        help="stop at the first error (fast checks run first)")  # fmt: skip
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help=f"configuration file (default: nearest {CONFIG_NAME}, or "
                        "pyproject.toml with [tool.fa])")  # fmt: skip
    parser.add_argument("--no-config", action="store_true", help="ignore configuration files")
    parser.add_argument("-j", "--jobs", type=_jobs, default=0, metavar="N",
                        help="files checked in parallel (default 0: one process per "
                        "CPU)")  # fmt: skip
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say which configuration is used, what is excluded and why, "
                        "and how long the run took (on standard error)")  # fmt: skip


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
    explain = sub.add_parser("explain", help="explain a diagnostic code (static or runtime)")
    explain.add_argument("code", metavar="CODE")
    show = sub.add_parser("show", help="analyse one file, verbosely")
    show.add_argument("file", type=Path, metavar="FILE")
    _add_check_options(show, paths=False)
    listing = sub.add_parser("list", help="list diagnostic codes")
    listing.add_argument("--category", nargs="?", const="*", metavar="NAME",
                         help="group by category, or show one "
                         f"({', '.join(CATEGORIES)})")  # fmt: skip
    listing.add_argument("--runtime", action="store_true",
                         help="also list the codes the allocator reports at runtime")  # fmt: skip
    init = sub.add_parser("init", help=f"write a commented {CONFIG_NAME}")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.add_argument("--path", type=Path, default=Path(), metavar="DIR",
                      help="directory to write into (default: current directory)")  # fmt: skip
    return parser


def _selection(args: argparse.Namespace) -> frozenset[str] | None:
    categories = {cat for flag, cat in CATEGORY_FLAGS.items() if getattr(args, flag)}
    only = _codes(args.only)
    if args.all_checks and (categories or only):
        raise _UsageError(
            "fa: error: --all selects every check; it cannot be combined with --only or "
            "the category switches"
        )
    if not categories and not only:
        return None
    chosen = {code for code, rule in RULES.items() if rule.category in categories} | only
    return frozenset(chosen | _ALWAYS)


def _config(args: argparse.Namespace, paths: list[Path]) -> LintConfig:
    if args.no_config:
        config = LintConfig()
    else:
        if args.config is not None and not args.config.is_file():
            raise _UsageError(f"fa: error: config file {args.config} not found")
        found = args.config or find_config(paths[0] if paths else Path.cwd())
        config = load_config(found) if found else LintConfig()
    for note in config.notes:
        _warn(f"{config.source}: {note}")
    changes: dict[str, object] = {
        "denied": config.denied | _codes(args.deny),
        "disabled": config.disabled | _codes(args.allow) | _codes(args.skip),
        "exclude": (*config.exclude, *(args.exclude or [])),
        "deny_warnings": config.deny_warnings or args.deny_warnings,
    }
    selected = _selection(args)
    if selected is not None:
        changes["only"] = selected
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


def _check_output(target: Path | None) -> None:
    """Refuse an output path that cannot be written, before any work is done."""
    if target is None:
        return
    if target.is_dir():
        raise _UsageError(f"fa: error: cannot write the report to {target}: it is a directory")
    parent = target.parent if str(target.parent) else Path()
    if not parent.is_dir():
        raise _UsageError(
            f"fa: error: cannot write the report to {target}: {parent} is not a directory"
        )
    if target.exists() and not target.is_file():
        raise _UsageError(f"fa: error: cannot write the report to {target}: not a regular file")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise _UsageError(f"fa: error: cannot write the report to {target}: permission denied")


def _emit(text: str, args: argparse.Namespace, out: TextIO) -> None:
    target: Path | None = getattr(args, "output", None)
    if target is None:
        out.write(text)
        out.flush()  # a closed pipe shows here, where main() handles it
        return
    try:
        with open(target, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
    except OSError as err:
        raise _UsageError(
            f"fa: error: cannot write the report to {target}: {err.strerror or err}"
        ) from None


def _check_paths(paths: list[Path]) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise _UsageError(f"fa: error: no such file or directory: {', '.join(missing)}")
    for path in paths:
        if not path.is_dir():
            mode = path.stat().st_mode
            if not path.is_file():
                raise _UsageError(f"fa: error: {path} is {file_kind(mode)}, not a file to check")


def _verbose_report(result: RunResult, config: LintConfig, jobs: int, seconds: float) -> None:
    err = sys.stderr
    source = config.source if config.source else "none (defaults)"
    err.write(f"fa: configuration: {source}\n")
    for path, pattern in result.excluded:
        err.write(f"fa: excluded {path} (matches {pattern!r})\n")
    err.write(f"fa: checked {len(result.files)} files with {jobs} job(s) in {seconds:.2f} s\n")


def _run_check(args: argparse.Namespace, out: TextIO) -> int:
    paths = [Path(p) for p in args.paths] or [Path()]
    _check_paths(paths)
    _check_output(args.output)
    config = _config(args, paths)
    jobs = args.jobs or default_jobs()
    started = time.perf_counter()
    result = analyze_paths(paths, config, fail_fast=args.fail_fast, jobs=jobs)
    for path, reason in result.skipped:
        _warn(f"skipped {path}: {reason}")
    if args.verbose:
        _verbose_report(result, config, jobs, time.perf_counter() - started)
    _emit(render(result, args.format), args, out)
    return _exit_code(result, config)


def _run_show(args: argparse.Namespace, out: TextIO) -> int:
    from framealloc_lint.describe import describe

    _check_paths([args.file])
    if args.file.is_dir():
        raise _UsageError(f"fa: error: {args.file} is a directory; `fa show` takes one file")
    _check_output(args.output)
    config = _config(args, [args.file])
    result = analyze_paths([args.file], config, fail_fast=args.fail_fast, jobs=1)
    text = render(result, args.format)
    if args.format == "text":
        text = describe(args.file, config) + "\n" + text
    _emit(text, args, out)
    return _exit_code(result, config)


def _run_explain(args: argparse.Namespace, out: TextIO) -> int:
    from framealloc_lint.explain import UnknownCodeError, explain_code

    try:
        out.write(explain_code(args.code))
    except UnknownCodeError as err:
        raise _UsageError(f"fa: error: {err.args[0]}") from None
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
            out.write(f"{rule.code}  {rule.severity.label:<7}  {rule.category:<8}  "
                      f"{rule.summary}\n")  # fmt: skip
    if args.runtime:
        from framealloc_lint.runtime_codes import RuntimeTableError, runtime_codes

        try:
            table = runtime_codes()
        except RuntimeTableError as err:
            raise _UsageError(f"fa: error: {err}") from None
        out.write("[runtime: reported by the allocator, not by fa]\n")
        for entry in table.values():
            out.write(f"{entry.code}  {entry.severity:<7}  {entry.category:<8}  "
                      f"{entry.summary}\n")  # fmt: skip
    return 0


def _run_init(args: argparse.Namespace, out: TextIO) -> int:
    target = args.path / CONFIG_NAME
    if target.exists() and not args.force:
        sys.stderr.write(f"fa: {target} already exists (use --force to overwrite)\n")
        return 1
    try:
        target.write_text(INIT_TEMPLATE, encoding="utf-8")
    except OSError as err:
        raise _UsageError(f"fa: error: cannot write {target}: {err.strerror or err}") from None
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
    except BrokenPipeError:  # `fa check | head`: the reader left; say nothing more
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("fa: interrupted\n")
        return 130
