"""Engine benchmarks: scheduler overhead, parallel speedup, FrameBarrier round trip.

Run: ``python benchmarks/engine.py`` (one process, well under a minute). Prints one table;
``ratio`` is ours / baseline for times (lower is better) and baseline / ours for the
speedup row (higher is better). Each figure is the best of several repeats, which filters
out noise from other processes on a shared machine.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import esper  # noqa: E402

from framealloc_engine.app import (  # noqa: E402
    App,
    ExecutorSettings,
    ResMut,
    Update,
)
from framealloc_engine.sync import FrameBarrier  # noqa: E402

REPEATS = 5


def best_of(fn: Callable[[], float], repeats: int = REPEATS) -> float:
    """Smallest of ``repeats`` measurements (seconds per operation)."""
    return min(fn() for _ in range(repeats))


# --- 1. scheduler overhead: 50 empty systems vs esper with 50 processors -------------------


def _empty_system(i: int) -> Callable[[], None]:
    def system() -> None:
        pass

    system.__qualname__ = f"empty_{i}"
    return system


def app_frame_time(settings: ExecutorSettings, frames: int = 5000) -> float:
    app = App(executor=settings)
    app.add_systems(Update, *(_empty_system(i) for i in range(50)))
    for _ in range(300):  # build, profile, warm up
        app.update()
    update = app.update

    def measure() -> float:
        start = time.perf_counter()
        for _ in range(frames):
            update()
        return (time.perf_counter() - start) / frames

    try:
        return best_of(measure)
    finally:
        app.shutdown()


class _EmptyProcessor(esper.Processor):
    def process(self) -> None:
        pass


def esper_frame_time(frames: int = 5000) -> float:
    esper.switch_world("bench")
    for _ in range(50):
        esper.add_processor(_EmptyProcessor())
    process = esper.process
    for _ in range(300):
        process()

    def measure() -> float:
        start = time.perf_counter()
        for _ in range(frames):
            process()
        return (time.perf_counter() - start) / frames

    try:
        return best_of(measure)
    finally:
        esper.switch_world("default")
        esper.delete_world("bench")


# --- 2. two GIL-releasing numpy systems: parallel vs one after the other --------------------

SIZE = 2_000_000


class BufA:
    def __init__(self) -> None:
        self.x = np.random.default_rng(1).random(SIZE)
        self.out = np.empty(SIZE)


class BufB(BufA):
    pass


def _heavy(buf: BufA) -> None:
    # elementwise ufuncs release the GIL and run single-threaded (no BLAS threading)
    for _ in range(6):
        np.sin(buf.x, out=buf.out)
        np.multiply(buf.out, 1.0001, out=buf.out)


def numpy_a(buf: ResMut[BufA]) -> None:
    _heavy(buf.value)


def numpy_b(buf: ResMut[BufB]) -> None:
    _heavy(buf.value)


def _numpy_app(settings: ExecutorSettings) -> App:
    app = App(executor=settings).insert_resource(BufA()).insert_resource(BufB())
    app.add_systems(Update, numpy_a, numpy_b)
    for _ in range(6):  # build + the executor's timed profiling runs
        app.update()
    return app


def numpy_frame_times(frames: int = 6, rounds: int = 4) -> tuple[float, float]:
    """(sequential, parallel) seconds per frame; measured alternately so that load from
    other processes hits both alike."""
    apps = [
        _numpy_app(ExecutorSettings.single_threaded()),
        _numpy_app(ExecutorSettings.multi_threaded(threads=2)),
    ]
    best = [float("inf"), float("inf")]
    try:
        for _ in range(rounds):
            for i, app in enumerate(apps):
                start = time.perf_counter()
                for _ in range(frames):
                    app.update()
                best[i] = min(best[i], (time.perf_counter() - start) / frames)
    finally:
        for app in apps:
            app.shutdown()
    return best[0], best[1]


# --- 3. FrameBarrier round trip vs threading.Barrier, 3 threads ----------------------------


def round_trip(make: Callable[[], Callable[[], None]], rounds: int = 3000) -> float:
    wait = make()
    start_line = threading.Barrier(3)

    def worker() -> None:
        start_line.wait()
        for _ in range(rounds):
            wait()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    start_line.wait()
    start = time.perf_counter()
    for _ in range(rounds):
        wait()
    elapsed = time.perf_counter() - start
    for t in threads:
        t.join()
    return elapsed / rounds


def frame_barrier_waiter() -> Callable[[], None]:
    barrier = FrameBarrier(3)
    signal, wait_all = barrier.signal_frame_complete, barrier.wait_all

    def wait() -> None:
        signal()
        wait_all()

    return wait


def threading_barrier_waiter() -> Callable[[], None]:
    barrier = threading.Barrier(3)

    def wait() -> None:
        barrier.wait()

    return wait


# --- table ---------------------------------------------------------------------------------


def main() -> None:
    cores = os.cpu_count()
    rows: list[tuple[str, str, str, float, str]] = []

    esper_t = esper_frame_time()
    st = app_frame_time(ExecutorSettings.single_threaded())
    mt = app_frame_time(ExecutorSettings.multi_threaded(threads=2))
    rows.append(("50 empty systems, single-threaded", f"{st * 1e6:.1f} us",
                 f"esper {esper_t * 1e6:.1f} us", st / esper_t, "<= 1.5x"))
    rows.append(("50 empty systems, multi-threaded", f"{mt * 1e6:.1f} us",
                 f"esper {esper_t * 1e6:.1f} us", mt / esper_t, "<= 1.5x"))

    seq, par = numpy_frame_times()
    rows.append(("2 numpy systems, 2 threads (speedup)", f"{par * 1e3:.1f} ms",
                 f"sequential {seq * 1e3:.1f} ms", seq / par, ">= 1.6x"))

    ours = best_of(lambda: round_trip(frame_barrier_waiter), 3)
    theirs = best_of(lambda: round_trip(threading_barrier_waiter), 3)
    rows.append(("FrameBarrier round trip, 3 threads", f"{ours * 1e6:.1f} us",
                 f"threading.Barrier {theirs * 1e6:.1f} us", ours / theirs, "<= 1.0x"))

    print(f"framealloc-engine engine benchmarks ({cores} cores, Python {sys.version.split()[0]})")
    header = ("benchmark", "ours", "baseline", "ratio", "goal")
    widths = [38, 12, 28, 7, 8]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for name, ours_s, base_s, ratio, goal in rows:
        cells = (name, ours_s, base_s, f"{ratio:.2f}x", goal)
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))


if __name__ == "__main__":
    main()
