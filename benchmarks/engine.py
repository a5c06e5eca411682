"""Engine benchmarks: scheduler overhead, parallel speedup, FrameBarrier round trip.

Run: ``python benchmarks/engine.py`` (one process, under a minute; ``--json`` adds the rows
as JSON). Every row times ours and its baseline interleaved, round by round (see
``timing.py``). The ratio is ours / baseline for times (lower is better) and the speedup,
baseline / ours, for the parallel rows (higher is better).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import esper  # noqa: E402
from timing import Case, Row, compare, compare_backends, print_table  # noqa: E402

from framealloc_engine import AllocConfig  # noqa: E402
from framealloc_engine.allocators import backend as backends  # noqa: E402
from framealloc_engine.app import App, ExecutorSettings, ResMut, Update  # noqa: E402
from framealloc_engine.sync import FrameBarrier  # noqa: E402

try:
    from framealloc_engine.bridge import SmartAllocPlugin  # noqa: E402
except ImportError:  # the first release kept it in the engine package
    from framealloc_engine.app import SmartAllocPlugin  # type: ignore[no-redef]  # noqa: E402

FRAMES = 2000


# --- 1. scheduler overhead: 50 empty systems vs esper with 50 processors -------------------


def _empty_system(i: int) -> Callable[[], None]:
    def system() -> None:
        pass

    system.__qualname__ = f"empty_{i}"
    return system


def _empty_app(settings: ExecutorSettings, *, with_alloc: bool, backend: str = "auto") -> App:
    app = App(executor=settings)
    if with_alloc:
        app.add_plugins(SmartAllocPlugin(AllocConfig().with_backend(backend)))
    app.add_systems(Update, *(_empty_system(i) for i in range(50)))
    for _ in range(300):  # build, profile, warm up
        app.update()
    return app


def _app_frames(app: App, frames: int = FRAMES) -> Callable[[], int]:
    update = app.update

    def run() -> int:
        for _ in range(frames):
            update()
        return frames

    return run


class _EmptyProcessor(esper.Processor):
    def process(self) -> None:
        pass


def _esper_frames(frames: int = FRAMES) -> Callable[[], int]:
    esper.switch_world("bench")
    for _ in range(50):
        esper.add_processor(_EmptyProcessor())
    process = esper.process

    def run() -> int:
        esper.switch_world("bench")
        for _ in range(frames):
            process()
        return frames

    return run


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


def _numpy_frames(app: App, frames: int = 4) -> Callable[[], int]:
    def run() -> int:
        for _ in range(frames):
            app.update()
        return frames

    return run


def _plain_threads(frames: int = 4) -> tuple[Callable[[], int], Callable[[], int]]:
    """The same numpy work on two ``threading.Thread`` s, and one after the other: how much
    two cores give right now, whatever the engine does (the control for the speedup row)."""
    a, b = BufA(), BufB()

    def sequential() -> int:
        for _ in range(frames):
            _heavy(a)
            _heavy(b)
        return frames

    def parallel() -> int:
        for _ in range(frames):
            t = threading.Thread(target=_heavy, args=(b,))
            t.start()
            _heavy(a)
            t.join()
        return frames

    return parallel, sequential


# --- 3. FrameBarrier round trip vs threading.Barrier, 3 threads ----------------------------


def _round_trips(make: Callable[[], Callable[[], None]], rounds: int = 2000) -> Callable[[], int]:
    def run() -> int:
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
        for _ in range(rounds):
            wait()
        for t in threads:
            t.join()
        return rounds

    return run


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


def _rows() -> list[Row]:
    rows: list[Row] = []
    esper_run = _esper_frames()
    names = ["native", "pure"] if backends.NATIVE_AVAILABLE else ["pure"]
    single = {
        b: _empty_app(ExecutorSettings.single_threaded(), with_alloc=True, backend=b)
        for b in names
    }
    multi = {
        b: _empty_app(ExecutorSettings.multi_threaded(threads=2), with_alloc=True, backend=b)
        for b in names
    }
    apps = [*single.values(), *multi.values()]
    numpy_apps = [
        _numpy_app(ExecutorSettings.single_threaded()),
        _numpy_app(ExecutorSettings.multi_threaded(threads=2)),
    ]
    try:
        ones: dict[str, Case] = {b: _app_frames(app) for b, app in single.items()}
        rows += compare_backends(
            "App frame: 50 empty systems + SmartAllocPlugin, 1 thread", ones,
            "esper, 50 processors", esper_run, goal="<= 1.0",
        )  # fmt: skip
        twos: dict[str, Case] = {b: _app_frames(app) for b, app in multi.items()}
        rows += compare_backends(
            "App frame: 50 empty systems + SmartAllocPlugin, 2 threads", twos,
            "esper, 50 processors", esper_run, goal="<= 1.0",
        )  # fmt: skip
        rows.append(compare(
            "2 numpy systems on 2 worker threads (speedup)", _numpy_frames(numpy_apps[1]),
            "the same app single-threaded", _numpy_frames(numpy_apps[0]), rounds=9,
            goal=">= 1.6", invert=True,
        ))  # fmt: skip
        parallel, sequential = _plain_threads()
        rows.append(compare(
            "control: the same numpy work on 2 plain threads", parallel,
            "one after the other", sequential, rounds=9, invert=True,
        ))  # fmt: skip
    finally:
        for app in (*apps, *numpy_apps):
            app.shutdown()
        esper.switch_world("default")
        esper.delete_world("bench")
    rows.append(compare(
        "FrameBarrier round trip, 3 threads", _round_trips(frame_barrier_waiter),
        "threading.Barrier", _round_trips(threading_barrier_waiter), rounds=9, goal="<= 1.0",
    ))  # fmt: skip
    return rows


def main() -> None:
    """Print the benchmark table."""
    print_table(
        f"framealloc-engine engine benchmark ({os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}; interleaved rounds)",
        _rows(),
        "speedup rows: baseline / ours; the plain-threads control shows what 2 cores give now",
    )


if __name__ == "__main__":
    main()
