"""JSON snapshots of allocator state, on request, keeping the last N files.

Example::

    snaps = alloc.enable_snapshots("snapshots/", keep=10)
    alloc.snapshot()                        # write one now
    # or, from outside the game: touch snapshots/snapshot.request

While enabled, every ``poll_every``-th ``end_frame()`` looks for ``snapshot.request`` in the
folder (one ``os.stat``); when found it writes a snapshot and deletes the request. Polling
uses a frame-end hook, not an allocation observer, so allocations cost nothing extra.
``alloc.poll_snapshot_requests()`` polls explicitly (for example from a thread with no
frames).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framealloc_engine.core.tags import UNTAGGED

if TYPE_CHECKING:
    from framealloc_engine.behavior.model import BehaviorReport
    from framealloc_engine.core.allocator import AllocatorCore
    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["REQUEST_FILE", "SnapshotManager", "allocator_state"]

#: The file whose appearance in the snapshot folder requests a snapshot.
REQUEST_FILE = "snapshot.request"
_NAME = re.compile(r"^snapshot_(\d{6,})\.json$")
SNAPSHOT_VERSION = 1


def _counts(mapping: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {
        (k or UNTAGGED): dataclasses.asdict(v) for k, v in sorted(mapping.items())
    }


def allocator_state(
    alloc: AllocatorCore, *, reason: str = "api", behavior: BehaviorReport | None = None
) -> dict[str, Any]:
    """Everything a snapshot holds, as JSON-ready data.

    Keys: ``version``, ``reason``, ``created_unix``, ``config``, ``stats`` (allocator-wide
    totals), ``threads`` (per thread: counters, tags and phases of the last frame, tag and
    phase totals) and ``behavior`` (the behaviour report when the filter is enabled).
    """
    stats = alloc.stats()
    totals = {k: v for k, v in dataclasses.asdict(stats).items() if k != "threads"}
    totals["active_allocations"] = stats.active_allocations
    states: list[ThreadState] = alloc.thread_states()
    threads = []
    for state in sorted(states, key=lambda s: (not s.alive, s.thread_name, s.thread_id)):
        entry = dataclasses.asdict(state.snapshot())
        entry["last_frame_by_tag"] = _counts(state.last_frame_by_tag)
        entry["last_frame_by_phase"] = _counts(state.last_frame_by_phase)
        entry["tag_totals"] = _counts(state.tag_totals)
        entry["phase_totals"] = _counts(state.phase_totals)
        threads.append(entry)
    data: dict[str, Any] = {
        "version": SNAPSHOT_VERSION,
        "reason": reason,
        "created_unix": time.time(),
        "config": dataclasses.asdict(alloc.config),
        "stats": totals,
        "threads": threads,
    }
    if behavior is not None:
        report = behavior
        data["behavior"] = {
            "summary": report.summary(),
            "issues": [
                {
                    "code": i.code, "level": i.level.value, "tag": i.tag, "kind": i.kind,
                    "message": i.message, "observed": i.observed, "threshold": i.threshold,
                    "suggestion": i.suggestion,
                }
                for i in report.issues
            ],
        }
    return data


class SnapshotManager:
    """Writes snapshots into a folder and answers request files.

    Args:
        alloc: The allocator.
        directory: Folder for snapshots (created if missing).
        keep: Snapshot files kept; older ones are deleted.
        poll_every: Look for the request file every this many frame ends.
    """

    def __init__(
        self,
        alloc: AllocatorCore,
        directory: str | os.PathLike[str],
        *,
        keep: int = 10,
        poll_every: int = 1,
        behavior: Callable[[], BehaviorReport | None] | None = None,
    ) -> None:
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        if poll_every < 1:
            raise ValueError(f"poll_every must be at least 1, got {poll_every}")
        self._alloc = alloc
        self._behavior = behavior
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self.poll_every = poll_every
        self._request = str(self.directory / REQUEST_FILE)
        self._frames = 0
        self._lock = threading.Lock()
        existing = self.files()
        self._seq = int(_NAME.match(existing[-1].name).group(1)) + 1 if existing else 1  # type: ignore[union-attr]

    @property
    def request_path(self) -> Path:
        """Where a request file is looked for."""
        return self.directory / REQUEST_FILE

    def files(self) -> list[Path]:
        """Snapshot files in the folder, oldest first."""
        found = [p for p in self.directory.iterdir() if _NAME.match(p.name)]
        return sorted(found, key=lambda p: int(_NAME.match(p.name).group(1)))  # type: ignore[union-attr]

    def snapshot(self, reason: str = "api") -> Path:
        """Write a snapshot now; returns its path. Older files beyond ``keep`` are deleted."""
        return self.write(self.state(reason))

    def state(self, reason: str = "api") -> dict[str, Any]:
        """The allocator's state as JSON-ready data (what :meth:`snapshot` writes)."""
        behavior = self._behavior() if self._behavior is not None else None
        return allocator_state(self._alloc, reason=reason, behavior=behavior)

    def write(self, data: dict[str, Any]) -> Path:
        """Write ``data`` as the next snapshot file and prune old ones; returns its path."""
        with self._lock:
            path = self.directory / f"snapshot_{self._seq:06d}.json"
            self._seq += 1
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
            os.replace(tmp, path)
            for old in self.files()[: -self.keep]:
                old.unlink(missing_ok=True)
        return path

    @staticmethod
    def load(path: str | os.PathLike[str]) -> dict[str, Any]:
        """Read a snapshot file back; the data gets a ``"file"`` key with its path."""
        data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        data["file"] = str(path)
        return data

    def poll(self) -> Path | None:
        """Answer a pending request file, if any; returns the snapshot written."""
        if not os.path.exists(self._request):
            return None
        request = self.request_path
        try:
            reason = request.read_text(encoding="utf-8").strip() or "request"
        except OSError:
            reason = "request"
        request.unlink(missing_ok=True)
        return self.snapshot(reason=reason[:200])

    def on_frame_end(self, state: ThreadState) -> None:
        """Frame-end hook: poll every ``poll_every`` frames."""
        self._frames += 1
        if self._frames % self.poll_every == 0:
            self.poll()
