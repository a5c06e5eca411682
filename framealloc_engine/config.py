"""``AllocConfig``: every knob of the allocator, validated up front.

Example::

    cfg = AllocConfig().with_frame_arena_size(64 * 1024 * 1024).with_debug(True)
    alloc = SmartAlloc(cfg)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["KIB", "MIB", "AllocConfig"]

KIB = 1024
MIB = 1024 * 1024

_MIN_ARENA = 4 * KIB
_MAX_ARENA = 1 << 40
_MIN_PAGE = 4 * KIB
_MAX_PAGE = 256 * MIB
_MIN_CLASS = 16
_MAX_PAGES_PER_CLASS = 4096
_MIN_HEAP_REGION = 64 * KIB


def _is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


@dataclass(frozen=True, slots=True)
class AllocConfig:
    """Configuration of a :class:`~framealloc_engine.SmartAlloc`.

    Every field is honoured by the allocator.

    Attributes:
        frame_arena_size: Bytes of each thread's frame arena (bump allocator, reset per
            frame). Default 16 MiB.
        size_classes: Block sizes of the small-object pools, strictly increasing multiples
            of 16. A pool request larger than the last class is refused (use the heap).
        slab_page_size: Bytes of one slab page; pools carve pages into blocks. Power of two.
        slab_pages_per_class: Pages reserved for each size class when the allocator is
            created, so the first pool allocations never reach the system.
        enable_budgets: Track per-tag budgets (see ``BudgetManager``).
        global_memory_limit: Upper bound, in bytes, on memory the allocator reserves from
            the system (arenas, slab pages, heap regions). 0 means no limit.
        debug: Poison freed and reset memory with 0xCD, freeze outstanding frame arrays at
            ``end_frame()`` so late writes raise, and never reuse array views.
        heap_region_size: Bytes the heap reserves at a time for blocks that fit in a region;
            larger blocks get a dedicated region released on free.
        backend: Which implementation runs the hot paths: ``"auto"`` (the native C
            extension when it is built, unless ``FRAMEALLOC_BACKEND`` says otherwise),
            ``"native"`` (refused with FA903 when the extension is missing) or ``"pure"``.
    """

    frame_arena_size: int = 16 * MIB
    size_classes: tuple[int, ...] = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
    slab_page_size: int = 64 * KIB
    slab_pages_per_class: int = 4
    enable_budgets: bool = False
    global_memory_limit: int = 0
    debug: bool = False
    heap_region_size: int = 4 * MIB
    backend: str = "auto"

    def __post_init__(self) -> None:
        _check_int("frame_arena_size", self.frame_arena_size, _MIN_ARENA, _MAX_ARENA)
        _check_int("slab_page_size", self.slab_page_size, _MIN_PAGE, _MAX_PAGE)
        if not _is_pow2(self.slab_page_size):
            raise ValueError(
                f"slab_page_size must be a power of two in [{_MIN_PAGE}, {_MAX_PAGE}], "
                f"got {self.slab_page_size}"
            )
        _check_int("slab_pages_per_class", self.slab_pages_per_class, 0, _MAX_PAGES_PER_CLASS)
        _check_int("global_memory_limit", self.global_memory_limit, 0, 1 << 62)
        _check_int("heap_region_size", self.heap_region_size, _MIN_HEAP_REGION, 1 << 40)
        for name in ("enable_budgets", "debug"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}")
        if self.backend not in ("auto", "native", "pure"):
            raise ValueError(f"backend must be 'auto', 'native' or 'pure', got {self.backend!r}")
        classes = self.size_classes
        if not isinstance(classes, tuple) or not classes:
            raise ValueError(
                "size_classes must be a non-empty tuple of ints, strictly increasing "
                f"multiples of 16 in [16, slab_page_size], got {classes!r}"
            )
        previous = 0
        for size in classes:
            if (
                isinstance(size, bool)
                or not isinstance(size, int)
                or size < _MIN_CLASS
                or size % 16
                or size <= previous
                or size > self.slab_page_size
            ):
                raise ValueError(
                    "size_classes must be strictly increasing multiples of 16 in "
                    f"[16, slab_page_size={self.slab_page_size}], got {classes!r}"
                )
            previous = size

    # --- presets ----------------------------------------------------------------------------

    @classmethod
    def minimal(cls) -> AllocConfig:
        """Small footprint: 1 MiB arena, classes 32/128/512/2048, 16 KiB pages, 1 page each."""
        return cls(
            frame_arena_size=1 * MIB,
            size_classes=(32, 128, 512, 2048),
            slab_page_size=16 * KIB,
            slab_pages_per_class=1,
            heap_region_size=1 * MIB,
        )

    @classmethod
    def high_performance(cls) -> AllocConfig:
        """Large footprint: 64 MiB arena, classes up to 8192, 256 KiB pages, 8 pages each."""
        return cls(
            frame_arena_size=64 * MIB,
            size_classes=(16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192),
            slab_page_size=256 * KIB,
            slab_pages_per_class=8,
            heap_region_size=16 * MIB,
        )

    # --- builders ---------------------------------------------------------------------------

    def with_frame_arena_size(self, size: int) -> AllocConfig:
        """Return a copy with ``frame_arena_size`` set (bytes per thread)."""
        return dataclasses.replace(self, frame_arena_size=size)

    def with_slab_page_size(self, size: int) -> AllocConfig:
        """Return a copy with ``slab_page_size`` set (a power of two)."""
        return dataclasses.replace(self, slab_page_size=size)

    def with_size_classes(self, *sizes: int) -> AllocConfig:
        """Return a copy with the pool's size classes replaced."""
        return dataclasses.replace(self, size_classes=tuple(sizes))

    def with_slab_pages_per_class(self, pages: int) -> AllocConfig:
        """Return a copy reserving ``pages`` slab pages per class up front."""
        return dataclasses.replace(self, slab_pages_per_class=pages)

    def with_budgets(self, enabled: bool = True) -> AllocConfig:
        """Return a copy with budget tracking switched on or off."""
        return dataclasses.replace(self, enable_budgets=enabled)

    def with_memory_limit(self, limit: int) -> AllocConfig:
        """Return a copy with ``global_memory_limit`` set (bytes; 0 = no limit)."""
        return dataclasses.replace(self, global_memory_limit=limit)

    def with_debug(self, enabled: bool = True) -> AllocConfig:
        """Return a copy with debug mode (poisoning, frozen late views) on or off."""
        return dataclasses.replace(self, debug=enabled)

    def with_backend(self, backend: str) -> AllocConfig:
        """Return a copy running on ``backend``: ``"auto"``, ``"native"`` or ``"pure"``."""
        return dataclasses.replace(self, backend=backend)

    def with_heap_region_size(self, size: int) -> AllocConfig:
        """Return a copy with the heap's region size set."""
        return dataclasses.replace(self, heap_region_size=size)

    @property
    def slab_size_classes(self) -> tuple[int, ...]:
        """The crate's name for :attr:`size_classes` (the pools' block sizes)."""
        return self.size_classes

    @property
    def max_pool_size(self) -> int:
        """The largest block the pools serve (the last size class)."""
        return self.size_classes[-1]


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an int in [{low}, {high}], got {value!r}")
