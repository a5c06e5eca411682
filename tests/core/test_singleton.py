"""alloc.streaming() and alloc.handles(): one lazily created instance each."""

from __future__ import annotations

import pytest

from framealloc_engine import AllocConfig, GlobalBudgetExceededError, SmartAlloc
from framealloc_engine.handles.allocator import HandleAllocator
from framealloc_engine.handles.feature import DEFAULT_HANDLE_CAPACITY
from framealloc_engine.streaming.allocator import StreamingAllocator
from framealloc_engine.streaming.feature import DEFAULT_STREAMING_BUDGET


def test_streaming_is_created_once_and_reserved() -> None:
    alloc = SmartAlloc(AllocConfig.minimal())
    before = alloc.stats().reserved_bytes
    streaming = alloc.streaming(1 << 20)
    assert isinstance(streaming, StreamingAllocator)
    assert alloc.streaming() is streaming
    assert alloc.streaming(1 << 20) is streaming
    assert alloc.stats().reserved_bytes == before + (1 << 20)
    with pytest.raises(ValueError, match="already exists"):
        alloc.streaming(2 << 20)
    sid = streaming.reserve(1000)
    streaming.begin_load(sid)[:] = 1
    streaming.finish_load(sid)
    view = streaming.access(sid)
    assert view is not None
    assert int(view.sum()) == 1000


def test_handles_is_created_once_with_default_capacity() -> None:
    alloc = SmartAlloc(AllocConfig.minimal())
    handles = alloc.handles()
    assert isinstance(handles, HandleAllocator)
    assert handles.capacity == DEFAULT_HANDLE_CAPACITY
    assert alloc.handles() is handles
    assert alloc.handles(DEFAULT_HANDLE_CAPACITY) is handles
    with pytest.raises(ValueError, match="already exists"):
        alloc.handles(4096)
    assert DEFAULT_STREAMING_BUDGET == 64 << 20


def test_global_limit_covers_streaming_and_handles() -> None:
    alloc = SmartAlloc(AllocConfig.minimal().with_memory_limit(4 << 20))
    with pytest.raises(GlobalBudgetExceededError):
        alloc.streaming()  # 64 MiB default does not fit
    with pytest.raises(GlobalBudgetExceededError):
        alloc.handles(8 << 20)
    reserved = alloc.stats().reserved_bytes
    with pytest.raises(Exception):  # noqa: B017, PT011 - the allocator's own validation
        alloc.streaming(1)
    assert alloc.stats().reserved_bytes == reserved  # released after a failed creation
    assert alloc.handles(1 << 16).capacity == 1 << 16
