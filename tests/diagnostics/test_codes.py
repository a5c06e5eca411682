"""The FA code table, its coverage of the library's errors, and the command line."""

from __future__ import annotations

import inspect

import pytest

from framealloc_engine import errors
from framealloc_engine.__main__ import main
from framealloc_engine.diagnostics import CODES, DiagnosticKind, all_codes, explain, get_code

SPEC_CODES = (
    "FA001", "FA002", "FA003", "FA101", "FA102", "FA201", "FA202", "FA203", "FA204",
    "FA205", "FA301", "FA302", "FA401", "FA402", "FA501", "FA502", "FA510", "FA520",
    "FA530", "FA901",
)


def test_every_spec_code_and_fa004_is_in_the_table() -> None:
    for code in (*SPEC_CODES, "FA004"):
        assert code in CODES, code
    assert list(CODES) == sorted(CODES)


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_entry_is_documented(code: str) -> None:
    entry = CODES[code]
    assert entry.code == code
    for name in ("category", "summary", "explanation", "example", "fix"):
        assert getattr(entry, name).strip(), (code, name)
    assert isinstance(entry.severity, DiagnosticKind)


def test_severities_follow_the_spec() -> None:
    assert get_code("FA001").severity is DiagnosticKind.ERROR
    assert get_code("FA102").severity is DiagnosticKind.WARNING
    assert get_code("FA203").severity is DiagnosticKind.HINT
    assert get_code("FA510").severity is DiagnosticKind.HINT
    assert {get_code(c).severity for c in ("FA501", "FA502", "FA520", "FA530")} == {
        DiagnosticKind.WARNING
    }


def test_static_analysis_codes_are_not_duplicated() -> None:
    assert not [c for c in CODES if c[2] in "678"]


def test_every_library_error_carries_a_registered_code() -> None:
    classes = [
        obj for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.FrameAllocError)
    ]
    assert len(classes) > 10
    for cls in classes:
        assert cls.code in CODES, (cls.__name__, cls.code)
        assert cls.severity == CODES[cls.code].severity.value or cls.code == "FA102"


def test_lookup_is_case_insensitive_and_unknown_codes_say_where_to_look() -> None:
    assert get_code(" fa003 ").code == "FA003"
    with pytest.raises(KeyError, match="fa list"):
        get_code("FA999")
    assert len(all_codes("behavior")) == 6  # FA501, FA502, FA503, FA510, FA520, FA530
    text = explain("FA003")
    assert "with_frame_arena_size" in text
    assert "Example:" in text


def test_cli_info_prints_reference_configuration_and_hints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(line.startswith("[framealloc]") for line in lines)
    assert "framealloc Quick Reference" in out
    assert "alloc.begin_frame()" in out
    assert "frame_arena_size = 16777216" in out
    assert "release mode" in out
    assert "FA530" in out
    assert main(["info", "--debug", "--preset", "minimal"]) == 0
    out = capsys.readouterr().out
    assert "0xCD" in out
    assert "frame_arena_size = 1048576" in out


def test_cli_codes_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(CODES)
    assert main(["explain", "fa501"]) == 0
    assert "pool_alloc()" in capsys.readouterr().out
    assert main(["explain", "FA999"]) == 2


def test_every_explain_text_names_functions_that_exist() -> None:
    """The examples and fixes of ``explain`` name real methods: each ``.name(`` or
    ``name(`` in them is an attribute of the allocator, its configuration, its parts, the
    engine, or the standard library they use."""
    import re
    import threading

    import numpy as np

    from framealloc_engine import AllocConfig, SmartAlloc
    from framealloc_engine.app import App
    from framealloc_engine.budgets.thread_budgets import ThreadBudgetConfig
    from framealloc_engine.core import boxes
    from framealloc_engine.diagnostics import explain
    from framealloc_engine.handles import HandleAllocator
    from framealloc_engine.streaming.allocator import StreamingAllocator
    from framealloc_engine.sync import FrameBarrier, TransferHandle

    alloc = SmartAlloc()
    owners: list[object] = [
        alloc, AllocConfig, alloc.budgets(), App, FrameBarrier, TransferHandle,
        HandleAllocator, StreamingAllocator, ThreadBudgetConfig, threading, threading.Thread,
        threading.Event, list, np, *vars(boxes).values(),
    ]  # fmt: skip
    missing = []
    for entry in all_codes():
        text = explain(entry.code)
        names = set(re.findall(r"\.(\w+)\(", text)) | set(
            re.findall(r"(?<![.\w])([a-z_]\w+)\(", text)
        )
        for name in sorted(names - {"print"}):
            if not any(hasattr(owner, name) for owner in owners):
                missing.append(f"{entry.code}: {name}")
    assert missing == []
