"""Chrome Trace Event export, validated against the format's rules."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from framealloc_engine import SmartAlloc
from framealloc_engine.monitoring import profiler_zone

PHASES = {"B", "E", "C", "M", "X", "i"}


def validate(path: Path) -> list[dict[str, Any]]:
    """Check a trace file: JSON object form, required keys, ts order, balanced slices."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["displayTimeUnit"] == "ms"
    events: list[dict[str, Any]] = doc["traceEvents"]
    last_ts: dict[int, float] = {}
    stacks: dict[int, list[str]] = {}
    for event in events:
        assert {"name", "ph", "pid", "tid"} <= event.keys(), event
        assert event["ph"] in PHASES
        assert isinstance(event["pid"], int)
        assert isinstance(event["tid"], int)
        if event["ph"] == "M":
            assert "name" in event["args"]
            continue
        ts = event["ts"]
        assert isinstance(ts, int | float)
        assert ts >= 0
        assert ts >= last_ts.get(event["tid"], 0.0), "timestamps must not decrease per thread"
        last_ts[event["tid"]] = ts
        stack = stacks.setdefault(event["tid"], [])
        if event["ph"] == "B":
            stack.append(event["name"])
        elif event["ph"] == "E":
            assert stack, "end without begin"
            assert stack.pop() == event["name"], "unbalanced end"
        elif event["ph"] == "C":
            assert event["args"]
            assert all(isinstance(v, int | float) for v in event["args"].values())
    assert all(not stack for stack in stacks.values()), "unclosed slices"
    return events


def run_frames(alloc: SmartAlloc, n: int) -> None:
    for _ in range(n):
        with alloc.frame_scope():
            with alloc.phase_scope("update"), alloc.with_tag("physics"):
                alloc.frame_alloc(np.float32, 32)
                with alloc.phase_scope("broadphase"):
                    alloc.frame_alloc(np.float32, 8)
            with alloc.phase_scope("render"), alloc.with_tag("rendering"), profiler_zone("draw"):
                alloc.frame_alloc(np.uint8, 64)


def test_trace_of_two_threads_is_valid(tmp_path: Path) -> None:
    alloc = SmartAlloc()
    path = tmp_path / "trace.json"
    with alloc.trace(path) as started:
        assert started == path
        assert alloc.tracing
        worker = threading.Thread(target=run_frames, args=(alloc, 5), name="worker-1")
        worker.start()
        run_frames(alloc, 10)
        worker.join(timeout=30)
    assert not alloc.tracing
    assert alloc.observers == ()
    events = validate(path)
    names = {(e["ph"], e["name"]) for e in events}
    assert {("B", "frame"), ("B", "update"), ("B", "broadphase"), ("B", "render"),
            ("B", "draw"), ("C", "memory"), ("C", "tag bytes"), ("C", "phase bytes")} <= names
    threads = {e["args"]["name"] for e in events if e["name"] == "thread_name"}
    assert {"MainThread", "worker-1"} <= threads
    frames = [e for e in events if e["ph"] == "B" and e["name"] == "frame"]
    assert len(frames) == 15
    ends = [e for e in events if e["ph"] == "E" and e["name"] == "frame"]
    assert all(e["args"]["bytes"] > 0 for e in ends)
    tags = [e["args"] for e in events if e["name"] == "tag bytes"]
    assert tags[0] == {"physics": 160, "rendering": 64}
    phases = [e["args"] for e in events if e["name"] == "phase bytes"]
    assert phases[0] == {"render": 64, "update": 128, "update::broadphase": 32}


def test_stop_mid_frame_closes_open_slices(tmp_path: Path) -> None:
    alloc = SmartAlloc()
    alloc.begin_frame()
    alloc.begin_phase("loading")  # before the trace: its end must not unbalance the file
    path = alloc.start_trace(tmp_path / "t.json")
    alloc.end_phase()
    alloc.end_frame()
    alloc.begin_frame()
    alloc.begin_phase("update")
    assert alloc.stop_trace() == path
    alloc.end_phase()
    alloc.end_frame()
    events = validate(path)
    assert [(e["ph"], e["name"]) for e in events if e["ph"] in "BE"] == [
        ("B", "frame"), ("B", "update"), ("E", "update"), ("E", "frame"),
    ]
    assert alloc.stop_trace() is None


def test_trace_streams_with_bounded_memory(tmp_path: Path) -> None:
    alloc = SmartAlloc()
    path = tmp_path / "stream.json"
    alloc.start_trace(path, flush_every=16)
    recorder = alloc._monitoring.trace_recorder
    assert recorder is not None
    sizes = []
    for _ in range(3):
        run_frames(alloc, 20)
        assert len(recorder.writer._buffer) < 16
        sizes.append(path.stat().st_size)
    assert sizes[0] < sizes[1] < sizes[2]  # written while recording, not at the end
    alloc.stop_trace()
    events = validate(path)
    assert recorder.writer.events_written == len(events)


def test_restarting_a_trace_finishes_the_previous_file(tmp_path: Path) -> None:
    alloc = SmartAlloc()
    first = alloc.start_trace(tmp_path / "a.json")
    run_frames(alloc, 2)
    alloc.start_trace(tmp_path / "b.json")
    run_frames(alloc, 2)
    alloc.stop_trace()
    assert len([e for e in validate(first) if e["name"] == "frame"]) == 4
    assert len([e for e in validate(tmp_path / "b.json") if e["name"] == "frame"]) == 4
    assert alloc._attribution.phase_listeners == ()


def test_trace_context_manager_stops_on_error(tmp_path: Path) -> None:
    alloc = SmartAlloc()

    def fail() -> None:
        with alloc.trace(tmp_path / "e.json"):
            alloc.begin_frame()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail()
    assert not alloc.tracing
    alloc.end_frame()
    validate(tmp_path / "e.json")
