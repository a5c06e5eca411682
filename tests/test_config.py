"""AllocConfig: defaults, presets, builders, validation."""

from __future__ import annotations

import dataclasses

import pytest

from framealloc_engine import KIB, MIB, AllocConfig, SmartAlloc


def test_defaults_match_the_crate() -> None:
    cfg = AllocConfig()
    assert cfg.frame_arena_size == 16 * MIB
    assert cfg.size_classes == (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
    assert cfg.slab_page_size == 64 * KIB
    assert cfg.slab_pages_per_class == 4
    assert cfg.enable_budgets is False
    assert cfg.global_memory_limit == 0
    assert cfg.debug is False
    assert cfg.max_pool_size == 4096


def test_presets() -> None:
    small = AllocConfig.minimal()
    assert (small.frame_arena_size, small.size_classes) == (1 * MIB, (32, 128, 512, 2048))
    assert (small.slab_page_size, small.slab_pages_per_class) == (16 * KIB, 1)
    fast = AllocConfig.high_performance()
    assert fast.frame_arena_size == 64 * MIB
    assert fast.size_classes[-1] == 8192
    assert (fast.slab_page_size, fast.slab_pages_per_class) == (256 * KIB, 8)


def test_builders_return_copies() -> None:
    base = AllocConfig()
    cfg = (
        base.with_frame_arena_size(2 * MIB)
        .with_slab_page_size(32 * KIB)
        .with_budgets(True)
        .with_memory_limit(64 * MIB)
        .with_debug(True)
        .with_size_classes(32, 64)
        .with_slab_pages_per_class(2)
        .with_heap_region_size(1 * MIB)
    )
    assert base == AllocConfig()
    assert cfg.frame_arena_size == 2 * MIB
    assert cfg.slab_page_size == 32 * KIB
    assert cfg.enable_budgets
    assert cfg.debug
    assert cfg.global_memory_limit == 64 * MIB
    assert cfg.size_classes == (32, 64)
    assert cfg.slab_pages_per_class == 2
    assert cfg.heap_region_size == 1 * MIB
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.debug = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"frame_arena_size": 10}, "frame_arena_size"),
        ({"frame_arena_size": -1}, "frame_arena_size"),
        ({"frame_arena_size": 1.5}, "frame_arena_size"),
        ({"slab_page_size": 3000}, "slab_page_size"),
        ({"slab_page_size": 48 * KIB}, "slab_page_size"),
        ({"slab_pages_per_class": -1}, "slab_pages_per_class"),
        ({"global_memory_limit": -5}, "global_memory_limit"),
        ({"size_classes": ()}, "size_classes"),
        ({"size_classes": (32, 16)}, "size_classes"),
        ({"size_classes": (24,)}, "size_classes"),
        ({"size_classes": [16, 32]}, "size_classes"),
        ({"size_classes": (16, 128 * KIB)}, "size_classes"),
        ({"debug": 1}, "debug"),
        ({"enable_budgets": "yes"}, "enable_budgets"),
        ({"heap_region_size": 100}, "heap_region_size"),
    ],
)
def test_bad_values_name_the_field_and_range(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field) as info:
        AllocConfig(**change)  # type: ignore[arg-type]
    message = str(info.value)
    assert "got" in message
    assert "[" in message or "bool" in message


def test_every_field_is_honoured() -> None:
    cfg = (
        AllocConfig()
        .with_frame_arena_size(64 * KIB)
        .with_size_classes(32, 128)
        .with_slab_page_size(8 * KIB)
        .with_slab_pages_per_class(3)
        .with_heap_region_size(128 * KIB)
    )
    alloc = SmartAlloc(cfg)
    assert alloc._slabs.pages_created == 2 * 3
    with alloc.frame_scope():
        assert alloc.frame_remaining() == 64 * KIB
        block = alloc.pool_alloc("u1", 100)
        assert block.nbytes == 100
        # 100 bytes live in the 128-byte class
        assert alloc.stats().pool_allocated == 128
        alloc.pool_free(block)
    stats = alloc.stats()
    assert stats.threads[0].arena_capacity == 64 * KIB
    # reserved: 6 slab pages of 8 KiB and one 64 KiB arena
    assert stats.reserved_bytes == 6 * 8 * KIB + 64 * KIB
    big = alloc.heap_alloc("u1", 10 * KIB)
    assert alloc.stats().reserved_bytes == 6 * 8 * KIB + 64 * KIB + 128 * KIB
    alloc.heap_free(big)


def test_the_crates_names_are_aliases() -> None:
    """Names Rust users will type: slab_size_classes, set_event_callback, diagnostics(),
    and current_tag()/current_phase() are both methods."""
    from framealloc_engine import SmartAlloc
    from framealloc_engine.budgets.tag_budgets import BudgetEvent, BudgetEventKind

    config = AllocConfig().with_size_classes(32, 64)
    assert config.slab_size_classes == config.size_classes == (32, 64)
    alloc = SmartAlloc(config.with_budgets(True))
    events: list[BudgetEvent] = []
    alloc.budgets().set_event_callback(events.append)
    alloc.budgets().register_tag("ai", soft_limit=16)
    with alloc.frame_scope(), alloc.with_tag("ai"):
        alloc.frame_alloc("u1", 64)
    assert BudgetEventKind.SOFT_LIMIT_EXCEEDED in {e.kind for e in events}
    assert alloc.diagnostics() is alloc.diagnostics_hooks()
    with alloc.frame_scope(), alloc.with_tag("ai"), alloc.phase_scope("update"):
        assert (alloc.current_tag(), alloc.current_phase()) == ("ai", "update")
