"""A headless game server: fixed-rate ticks, each its own frame, and a log shipper thread."""

from __future__ import annotations

import queue
import threading
import time

import numpy as np

from framealloc_engine import SmartAlloc, ThreadBudgetConfig

TICK = 1 / 30


class Server:
    def __init__(self, players: int) -> None:
        self.alloc = SmartAlloc()
        self.positions = np.zeros((players, 2), np.float32)
        self.inputs: queue.Queue[tuple[int, float, float]] = queue.Queue()
        self.logs: queue.Queue[str] = queue.Queue()
        self.stopped = threading.Event()

    def apply_inputs(self) -> None:
        moves = self.alloc.frame_alloc(np.float32, self.positions.shape)
        moves.fill(0.0)
        while True:
            try:
                player, dx, dy = self.inputs.get_nowait()
            except queue.Empty:
                break
            moves[player] += (dx, dy)
        self.positions += moves

    def snapshot(self) -> bytes:
        packed = self.alloc.frame_alloc(np.int16, self.positions.shape)
        np.copyto(packed, self.positions, casting="unsafe")
        return packed.tobytes()

    def ship_logs(self) -> None:
        self.alloc.set_thread_budget_config(threading.get_ident(), ThreadBudgetConfig())
        while True:
            line = self.logs.get()
            if self.stopped.is_set():
                break
            record = self.alloc.heap_alloc(np.uint8, len(line))  # expect: FA606
            record[:] = np.frombuffer(line.encode(), np.uint8)

    def serve(self, ticks: int) -> list[bytes]:
        threading.Thread(target=self.ship_logs, daemon=True).start()
        sent = []
        for tick in range(ticks):
            started = time.perf_counter()
            with self.alloc.frame_scope():
                self.apply_inputs()
                sent.append(self.snapshot())
            self.logs.put(f"tick {tick}")
            time.sleep(max(0.0, TICK - (time.perf_counter() - started)))
        self.stopped.set()
        return sent
