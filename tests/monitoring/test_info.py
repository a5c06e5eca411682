"""``python -m framealloc_engine info`` says which backend runs the hot paths, and why."""

from __future__ import annotations

import subprocess
import sys

import pytest

from framealloc_engine import AllocConfig
from framealloc_engine.allocators import backend
from framealloc_engine.monitoring.info import info_lines


def _hot_paths(config: AllocConfig | None = None) -> str:
    return next(line for line in info_lines(config) if "hot paths" in line)


def test_info_names_the_backend() -> None:
    expected = "native" if backend.NATIVE_AVAILABLE else "pure Python"
    assert _hot_paths().split("= ", 1)[1].startswith(expected)
    assert "pure Python (asked for)" in _hot_paths(AllocConfig().with_backend("pure"))


@pytest.mark.skipif(backend.NATIVE_AVAILABLE, reason="the native core is loaded here")
def test_info_says_why_native_is_unavailable() -> None:
    assert "unavailable" in _hot_paths(AllocConfig().with_backend("native"))


def test_the_environment_variable_turns_the_extension_off_for_the_process() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "framealloc_engine", "info"],
        env={"FRAMEALLOC_BACKEND": "pure", "PATH": ""},
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert "hot paths = pure Python (native core not loaded: FRAMEALLOC_BACKEND=pure)" in out


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend must be"):
        AllocConfig().with_backend("fast")
    done = subprocess.run(
        [sys.executable, "-c", "import framealloc_engine"],
        env={"FRAMEALLOC_BACKEND": "fast", "PATH": ""},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "FA903" in done.stderr
