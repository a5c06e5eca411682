"""TransferHandle: explicit once-only cross-thread hand-over."""

from __future__ import annotations

import gc
import logging
import queue
import threading
from collections.abc import Callable

import numpy as np
import pytest

from framealloc_engine import AllocConfig, SmartAlloc, StaleHandleError
from framealloc_engine.lifecycle import FrameEvent, TransferCompleted, TransferInitiated
from framealloc_engine.sync.transfer import TransferError, TransferState


def _alloc(debug: bool = False) -> SmartAlloc:
    return SmartAlloc(AllocConfig.minimal().with_debug(debug))


def _on_thread(fn: Callable[[], object]) -> dict[str, object]:
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=20)
    assert not t.is_alive()
    return out


def test_states_and_receive_on_worker_without_frame() -> None:
    alloc = _alloc()
    with alloc.frame_scope():
        handle = alloc.frame_box_for_transfer(np.arange(4, dtype=np.float32))
        assert handle.state is TransferState.OWNED
        assert handle.size == 16
        assert handle.origin_thread == threading.get_ident()
        assert handle.send() is handle
        assert handle.state is TransferState.IN_FLIGHT
    # the sender's frame has ended: the value was captured, it is still receivable
    out = _on_thread(handle.receive)
    value = out["value"]
    assert isinstance(value, np.ndarray)
    np.testing.assert_array_equal(value, [0, 1, 2, 3])
    assert handle.state is TransferState.RECEIVED
    assert handle.is_received
    stats = alloc.transfer_stats()
    assert (stats.initiated, stats.received, stats.in_flight) == (1, 1, 0)
    assert (stats.bytes_initiated, stats.bytes_received) == (16, 16)


def test_receive_into_the_receivers_frame_arena() -> None:
    alloc = _alloc()
    handle = alloc.frame_box_for_transfer(np.full(8, 3.0))
    channel: queue.Queue[object] = queue.Queue()

    def worker() -> object:
        with alloc.frame_scope():
            value = handle.receive()
            assert isinstance(value, np.ndarray)
            in_arena = alloc._tls.arena.owns(value)
            channel.put(float(value.sum()))
            return in_arena

    out = _on_thread(worker)
    assert out == {"value": True}
    assert channel.get(timeout=5) == 24.0


def test_scalar_and_object_values() -> None:
    alloc = _alloc()
    scalar = alloc.frame_box_for_transfer(42)
    marker = object()
    obj = alloc.frame_box_for_transfer(marker)
    assert obj.size == 0
    assert _on_thread(scalar.receive)["value"] == 42
    assert _on_thread(obj.receive_owned)["value"] is marker
    assert obj.state is TransferState.CONSUMED


def test_second_receive_is_an_error() -> None:
    alloc = _alloc()
    handle = alloc.frame_box_for_transfer((1.0, 2.0))
    assert _on_thread(handle.receive)["value"] is not None
    err = _on_thread(handle.receive)["error"]
    assert isinstance(err, TransferError)
    assert isinstance(err, StaleHandleError)
    assert err.code == "FA401"
    assert "RECEIVED" in err.message
    with pytest.raises(TransferError):
        handle.receive_owned()
    with pytest.raises(TransferError):
        handle.cancel()
    with pytest.raises(TransferError, match="send"):
        handle.send()


def test_cancel_returns_value_and_blocks_receive() -> None:
    alloc = _alloc()
    handle = alloc.frame_box_for_transfer(np.ones(3))
    np.testing.assert_array_equal(handle.cancel(), np.ones(3))
    assert handle.state is TransferState.CONSUMED
    assert not handle.is_received
    assert isinstance(_on_thread(handle.receive)["error"], TransferError)
    assert alloc.transfer_stats().cancelled == 1


def test_failed_copy_leaves_the_handle_receivable() -> None:
    from framealloc_engine import ArenaExhaustedError

    alloc = _alloc()
    handle = alloc.frame_box_for_transfer(np.zeros(600_000, np.uint8))

    def worker() -> object:
        with alloc.frame_scope():
            alloc.frame_alloc(np.uint8, 600_000)  # 1 MiB arena: no room for a second copy
            with pytest.raises(ArenaExhaustedError):
                handle.receive()
            state = handle.state
        return state, handle.receive().nbytes

    assert _on_thread(worker)["value"] == (TransferState.OWNED, 600_000)


def test_many_handles_each_received_exactly_once() -> None:
    alloc = _alloc()
    handles = [alloc.frame_box_for_transfer(np.full(4, i)) for i in range(200)]
    received: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(4, timeout=20)

    def worker() -> None:
        start.wait()
        with alloc.frame_scope():
            for h in handles:
                try:
                    value = h.receive()
                except TransferError as exc:
                    with lock:
                        errors.append(exc)
                    continue
                with lock:
                    received.append(int(value[0]))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()
    assert sorted(received) == list(range(200))
    assert len(errors) == 3 * 200
    assert alloc.transfer_stats().received == 200


def test_dropped_handle_counts_and_warns_in_debug(caplog: pytest.LogCaptureFixture) -> None:
    alloc = _alloc(debug=True)
    handle = alloc.frame_box_for_transfer(np.ones(2))
    with caplog.at_level(logging.WARNING, logger="framealloc"):
        with pytest.warns(ResourceWarning, match="dropped while OWNED"):
            del handle
        gc.collect()
    assert "without being received" in caplog.text
    assert alloc.transfer_stats().dropped_unreceived == 1


def test_dropped_handle_is_only_counted_outside_debug(recwarn: pytest.WarningsRecorder) -> None:
    alloc = _alloc()
    handle = alloc.frame_box_for_transfer(np.ones(2)).send()
    del handle
    gc.collect()
    assert not [w for w in recwarn if issubclass(w.category, ResourceWarning)]
    stats = alloc.transfer_stats()
    assert (stats.dropped_unreceived, stats.in_flight) == (1, 0)


def test_lifecycle_events_for_transfers() -> None:
    alloc = _alloc()
    events: list[FrameEvent] = []
    alloc.on_frame_event(events.append)
    alloc.enable_lifecycle_tracking()
    handle = alloc.frame_box_for_transfer(np.ones(4, np.float32))
    out = _on_thread(lambda: (handle.receive(), threading.get_ident())[1])
    started = [e for e in events if isinstance(e, TransferInitiated)]
    done = [e for e in events if isinstance(e, TransferCompleted)]
    assert [(e.transfer_id, e.size) for e in started] == [(handle.id, 16)]
    assert [(e.thread_id, e.from_thread) for e in done] == [(out["value"], threading.get_ident())]
    sender = alloc.thread_frame_stats()
    assert sender is not None
    assert sender.transfers_sent == 1
    receiver = alloc.thread_frame_stats(out["value"])  # type: ignore[arg-type]
    assert receiver is not None
    assert receiver.transfers_received == 1
    assert "TransferHandle" in repr(handle)


def test_the_captured_copy_lives_on_the_heap_and_is_freed() -> None:
    import gc

    alloc = SmartAlloc.with_defaults()
    with alloc.frame_scope():
        values = alloc.frame_alloc(np.float32, 256)
        values[:] = 7
        handle = alloc.frame_box_for_transfer(values)
        assert alloc.stats().heap_allocated == 1024  # the copy: allocator memory, not numpy
    with alloc.frame_scope():
        received = handle.receive()
        assert float(received.sum()) == 7 * 256
        assert alloc.stats().heap_allocated == 0
    dropped = alloc.frame_box_for_transfer(np.arange(8.0))
    assert alloc.stats().heap_allocated == 64
    del dropped
    gc.collect()
    assert alloc.stats().heap_allocated == 0
    cancelled = alloc.frame_box_for_transfer(np.arange(4))
    assert list(cancelled.cancel()) == [0, 1, 2, 3]
    assert alloc.stats().heap_allocated == 0
