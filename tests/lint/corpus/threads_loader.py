"""Background loading: decoded images cross to the main thread through a queue."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import numpy as np

from framealloc_engine import SmartAlloc, ThreadBudgetConfig, tags


class Loader:
    def __init__(self, alloc: SmartAlloc) -> None:
        self.alloc = alloc
        self.requests: queue.Queue[Path | None] = queue.Queue()
        self.done: queue.Queue[tuple[Path, np.ndarray]] = queue.Queue()
        self.thread = threading.Thread(target=self.work, daemon=True)

    def work(self) -> None:
        self.alloc.set_thread_budget_config(threading.get_ident(), ThreadBudgetConfig())
        while True:
            path = self.requests.get()
            if path is None:
                return
            raw = path.read_bytes()
            with self.alloc.with_tag(tags.ASSETS):
                pixels = self.alloc.heap_alloc(np.uint8, len(raw))
            pixels[:] = np.frombuffer(raw, np.uint8)
            self.done.put((path, pixels))

    def poll(self, limit: int = 4) -> list[tuple[Path, np.ndarray]]:
        ready = []
        for _ in range(limit):
            try:
                ready.append(self.done.get_nowait())
            except queue.Empty:
                break
        return ready


def preview_in_background(alloc: SmartAlloc, image: np.ndarray, out: queue.Queue) -> None:
    with alloc.frame_scope():
        small = alloc.frame_alloc(np.uint8, image[::4, ::4].shape)
        small[:] = image[::4, ::4]
        out.put(small)  # expect: FA201
        out.put(small.copy())
