"""JSON snapshots: on API call, on request file, keeping the last N."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from framealloc_engine import SmartAlloc
from framealloc_engine.monitoring import REQUEST_FILE


def test_snapshot_without_folder_returns_state() -> None:
    alloc = SmartAlloc()
    block = alloc.pool_alloc(np.float32, 4)
    with alloc.frame_scope(), alloc.with_tag("ai"):
        alloc.frame_alloc(np.float32, 8)
    data = alloc.snapshot()
    json.dumps(data)
    assert data["stats"]["pool_allocated"] == 16
    assert data["config"]["frame_arena_size"] == alloc.config.frame_arena_size
    (main,) = [t for t in data["threads"] if t["thread_name"] == "MainThread"]
    assert main["last_frame_by_tag"]["ai"]["frame_bytes"] == 32
    assert "file" not in data
    assert "behavior" not in data
    alloc.pool_free(block)


def test_api_snapshots_keep_the_last_n(tmp_path: Path) -> None:
    alloc = SmartAlloc()
    alloc.enable_behavior_filter()
    manager = alloc.enable_snapshots(tmp_path, keep=3)
    paths = [Path(alloc.snapshot(reason=f"r{i}")["file"]) for i in range(5)]
    assert [p.name for p in manager.files()] == [p.name for p in paths[-3:]]
    data = json.loads(paths[-1].read_text(encoding="utf-8"))
    assert data["reason"] == "r4"
    assert data["behavior"]["summary"].startswith("Behavior analysis")
    # numbering continues across managers
    again = alloc.enable_snapshots(tmp_path, keep=3)
    assert again.snapshot().name == "snapshot_000006.json"


def test_request_file_is_answered_at_frame_end(tmp_path: Path) -> None:
    alloc = SmartAlloc()
    manager = alloc.enable_snapshots(tmp_path, keep=2, poll_every=2)
    (tmp_path / REQUEST_FILE).write_text("from the debugger\n", encoding="utf-8")
    with alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 100)
    assert manager.files() == []  # polled every second frame
    with alloc.frame_scope():
        alloc.frame_alloc(np.uint8, 100)
    (written,) = manager.files()
    assert not (tmp_path / REQUEST_FILE).exists()
    data = json.loads(written.read_text(encoding="utf-8"))
    assert data["reason"] == "from the debugger"
    assert data["stats"]["frame_allocated"] >= 100  # taken before the frame's reset
    (tmp_path / REQUEST_FILE).touch()
    assert alloc.poll_snapshot_requests() is not None
    assert alloc.poll_snapshot_requests() is None
    alloc.disable_snapshots()
    (tmp_path / REQUEST_FILE).touch()
    with alloc.frame_scope():
        pass
    assert (tmp_path / REQUEST_FILE).exists()
    assert alloc.poll_snapshot_requests() is None
