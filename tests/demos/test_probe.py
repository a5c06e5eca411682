"""``demos._probe.AllocProbe`` counts numpy data allocations (any thread) and GC collections."""

from __future__ import annotations

import gc
import threading
import tracemalloc

import numpy as np

from demos._probe import AllocProbe, numpy_domain_growth
from framealloc_engine import SmartAlloc


def test_counts_temporaries_and_not_out_arguments() -> None:
    a = np.ones(1000, np.float32)
    out = np.empty_like(a)
    two = np.full((), 2.0, np.float32)
    with AllocProbe() as clean:
        np.multiply(a, two, out=out)
        np.add(out, a, out=out)
        out.fill(0.0)
    assert clean.numpy_allocations == 0
    with AllocProbe() as dirty:
        b = a * two + a  # two fresh arrays
        c = np.multiply(a, 2.0, out=out)  # the Python float becomes a 0-d array
    assert dirty.numpy_allocations >= 3
    assert b.shape == c.shape == a.shape


def test_frame_arena_views_allocate_nothing() -> None:
    alloc = SmartAlloc.with_defaults()
    for _ in range(3):  # the arena reuses last frame's views
        with alloc.frame_scope():
            alloc.frame_alloc(np.float32, (256, 3)).fill(1.0)
    with AllocProbe() as probe, alloc.frame_scope():
        alloc.frame_alloc(np.float32, (256, 3)).fill(1.0)
    assert probe.numpy_allocations == 0


def test_counts_threads_it_is_installed_on() -> None:
    probe = AllocProbe()

    def work(install: bool) -> None:
        if install:
            probe.install_here()
        np.arange(10) + 1

    with probe:
        for install in (False, True):
            thread = threading.Thread(target=work, args=(install,))
            thread.start()
            thread.join()
    assert probe.numpy_allocations >= 2  # only the installed thread's arange and sum


def test_counts_gc_collections() -> None:
    with AllocProbe() as probe:
        gc.collect()
    assert probe.gc_collections >= 1
    assert probe.numpy_allocations == 0


def test_numpy_domain_growth_sees_live_arrays() -> None:
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        kept = np.ones(4096)
        count, size = numpy_domain_growth(before)
    finally:
        tracemalloc.stop()
    assert count == 1
    assert size >= kept.nbytes
