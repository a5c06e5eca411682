"""fa_diagnostic / fa_emit / fa_assert output, DiagContext, strict mode and its env var."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from framealloc_engine import FrameAllocError, SmartAlloc
from framealloc_engine.diagnostics import (
    LOGGER_NAME,
    DiagContext,
    DiagnosticKind,
    StrictMode,
    StrictModeGuard,
    StrictModeViolation,
    fa_assert,
    fa_diagnostic,
    fa_emit,
    fa_emit_ctx,
    set_context_allocator,
    set_engine_context,
    set_strict_mode,
    strict_mode,
)
from framealloc_engine.diagnostics.strict import init_strict_mode_from_env

ROOT = Path(__file__).resolve().parents[2]


def test_fa_diagnostic_logs_the_spec_format(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    diag = fa_diagnostic(
        "Error", "FA001", "frame allocation used outside an active frame",
        note="this allocation was requested after end_frame()",
        help="call alloc.begin_frame() before allocating",
    )
    assert caplog.records[-1].getMessage() == (
        "[framealloc][FA001] error: frame allocation used outside an active frame\n"
        "  note: this allocation was requested after end_frame()\n"
        "  help: call alloc.begin_frame() before allocating"
    )
    record = caplog.records[-1]
    assert record.levelno == logging.ERROR
    assert record.name == "framealloc"
    assert record.fa_code == "FA001"  # type: ignore[attr-defined]
    assert record.fa_diagnostic is diag  # type: ignore[attr-defined]


def test_fa_emit_uses_the_table(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    fa_emit("FA001")
    assert caplog.records[-1].getMessage() == (
        "[framealloc][FA001] error: frame allocation used outside an active frame\n"
        "  note: this allocation was requested when no frame was active\n"
        "  help: call alloc.begin_frame() before allocating, or use pool_alloc()/heap_alloc()"
    )
    fa_emit("FA102", "hooks skipped in frame 7")
    assert caplog.records[-1].levelno == logging.WARNING
    assert "[FA102] warning: hooks skipped in frame 7" in caplog.records[-1].getMessage()
    fa_emit("FA510")
    assert caplog.records[-1].levelno == logging.INFO
    with pytest.raises(KeyError):
        fa_emit("FA000")


def test_fa_emit_ctx_and_diag_context(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    alloc = SmartAlloc()
    alloc.begin_frame()
    alloc.end_frame()
    alloc.begin_frame()
    set_engine_context(True)
    ctx = DiagContext.capture(alloc)
    assert (ctx.frame_number, ctx.frame_active, ctx.engine_active) == (2, True, True)
    assert ctx.is_main_thread
    assert ctx.thread_id == threading.get_ident()
    assert ctx == alloc.diag_context()
    diag = fa_emit_ctx("FA003", alloc=alloc)
    assert diag.context == ctx
    assert "note: frame 2 (active), thread 'MainThread'" in caplog.records[-1].getMessage()
    alloc.end_frame()
    set_context_allocator(alloc)
    assert DiagContext.capture().frame_number == 2
    assert not DiagContext.capture().frame_active


def test_capture_on_a_thread_without_state_creates_none() -> None:
    alloc = SmartAlloc()
    seen: list[DiagContext] = []
    worker = threading.Thread(target=lambda: seen.append(DiagContext.capture(alloc)), name="w")
    worker.start()
    worker.join(timeout=10)
    assert seen[0].frame_number == 0
    assert not seen[0].is_main_thread
    assert seen[0].thread_name == "w"
    assert all(t.thread_name != "w" for t in alloc.stats().threads)


def test_fa_assert(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    assert fa_assert(True, "FA001")
    assert not caplog.records
    assert not fa_assert(False, "FA001")
    assert not fa_assert(0, "FA001", ctx=True)
    assert "thread 'MainThread'" in caplog.records[-1].getMessage()


def test_strict_mode_raises_with_the_code() -> None:
    set_strict_mode(StrictMode.PANIC_ON_ERROR)
    with pytest.raises(StrictModeViolation) as info:
        fa_emit("FA003")
    assert info.value.code == "FA003"
    assert isinstance(info.value, FrameAllocError)
    assert str(info.value).startswith("[framealloc][FA003] error: frame arena exhausted")
    fa_emit("FA102")  # warnings only log under PANIC_ON_ERROR
    with pytest.raises(StrictModeViolation) as ctx_info:
        fa_assert(False, "FA001", ctx=True)
    assert "MainThread" in (ctx_info.value.note or "")


def test_strict_mode_guard_restores() -> None:
    assert strict_mode() is StrictMode.WARN
    with StrictModeGuard.panic_on_warning():
        with pytest.raises(StrictModeViolation) as info:
            fa_emit("FA102")
        assert info.value.severity == "warning"
        fa_diagnostic(DiagnosticKind.HINT, "FA510", "hints never raise")
        with StrictModeGuard.panic_on_error():
            fa_emit("FA102")
        assert strict_mode() is StrictMode.PANIC_ON_WARNING
    assert strict_mode() is StrictMode.WARN
    guard = StrictModeGuard(StrictMode.PANIC_ON_ERROR)
    guard.restore()
    guard.restore()
    assert strict_mode() is StrictMode.WARN


def test_env_parsing() -> None:
    assert init_strict_mode_from_env({"FRAMEALLOC_STRICT": "error"}) is StrictMode.PANIC_ON_ERROR
    assert (
        init_strict_mode_from_env({"FRAMEALLOC_STRICT": "Warning"})
        is StrictMode.PANIC_ON_WARNING
    )
    assert init_strict_mode_from_env({"FRAMEALLOC_STRICT": "warn"}) is StrictMode.WARN
    assert init_strict_mode_from_env({"FRAMEALLOC_STRICT": "bogus"}) is None
    assert strict_mode() is StrictMode.WARN
    assert init_strict_mode_from_env({}) is None


_SCRIPT = """
import sys
from framealloc_engine.diagnostics import fa_emit, strict_mode
print(strict_mode().name, flush=True)
fa_emit(sys.argv[1])
print("survived", flush=True)
"""


def _run(env_value: str | None, code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FRAMEALLOC_STRICT"}
    env["PYTHONPATH"] = str(ROOT)
    if env_value is not None:
        env["FRAMEALLOC_STRICT"] = env_value
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, code], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )


@pytest.mark.parametrize(
    ("value", "code", "mode", "raises"),
    [
        (None, "FA001", "WARN", False),
        ("warn", "FA001", "WARN", False),
        ("error", "FA001", "PANIC_ON_ERROR", True),
        ("error", "FA102", "PANIC_ON_ERROR", False),
        ("warning", "FA102", "PANIC_ON_WARNING", True),
    ],
)
def test_strict_mode_from_the_environment_in_a_subprocess(
    value: str | None, code: str, mode: str, raises: bool
) -> None:
    proc = _run(value, code)
    assert proc.stdout.splitlines()[0] == mode
    if raises:
        assert proc.returncode == 1
        assert "StrictModeViolation" in proc.stderr
        assert f"[framealloc][{code}]" in proc.stderr
        assert "survived" not in proc.stdout
    else:
        assert proc.returncode == 0, proc.stderr
        assert "survived" in proc.stdout
        # logging's last-resort handler prints warnings and errors to stderr
        assert f"[framealloc][{code}]" in proc.stderr


def test_frame_api_misuse_still_raises_its_own_error() -> None:
    alloc = SmartAlloc()
    with pytest.raises(FrameAllocError) as info:
        alloc.frame_alloc(np.float32, 4)
    assert info.value.code == "FA001"


# --- the library's own warnings go through fa_emit: strict mode sees them ------------------


def _strict_warnings() -> None:
    from framealloc_engine.diagnostics import strict

    strict.set_strict_mode(strict.StrictMode.PANIC_ON_WARNING)


def test_strict_mode_sees_a_tag_soft_limit_and_the_budget_stays_consistent() -> None:
    from framealloc_engine.diagnostics.strict import StrictModeViolation

    alloc = SmartAlloc()
    budgets = alloc.budgets()
    budgets.register_tag("ai", soft_limit=64, hard_limit=0)
    _strict_warnings()
    with alloc.frame_scope(), alloc.with_tag("ai"):
        alloc.frame_alloc(np.uint8, 32)
        with pytest.raises(StrictModeViolation) as info:
            alloc.frame_alloc(np.uint8, 64)  # past the soft limit: a warning, refused here
        assert info.value.code == "FA302"
        assert budgets.tag_budget("ai").current == 32  # the refused bytes were given back


def test_strict_mode_sees_thread_budget_warnings() -> None:
    from framealloc_engine.budgets.thread_budgets import ThreadBudgetConfig
    from framealloc_engine.diagnostics.strict import StrictModeViolation

    alloc = SmartAlloc()
    alloc.set_thread_budget_config(None, ThreadBudgetConfig(frame_budget=1024))
    _strict_warnings()
    alloc.begin_frame()
    alloc.frame_alloc(np.uint8, 512)
    with pytest.raises(StrictModeViolation) as info:
        alloc.frame_alloc(np.uint8, 1024)  # past the budget with the WARN policy
    assert info.value.code == "FA301"
    alloc.frame_alloc(np.uint8, 400)  # past 80 %: reported at the frame's end
    with pytest.raises(StrictModeViolation) as info:
        alloc.end_frame()
    assert info.value.code == "FA303"
    assert not alloc.frame_active  # the frame did end
