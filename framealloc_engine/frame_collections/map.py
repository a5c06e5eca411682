"""``FrameMap``: a fixed-capacity hash map in frame memory (see the package docs)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic

import numpy as np

from framealloc_engine.errors import CapacityError
from framealloc_engine.frame_collections._common import (
    _EMPTY,
    _M64,
    _MISSING,
    _MULT,
    _TOMB,
    DETACHED,
    K,
    V,
    _copy_out,
    _FrameBound,
)

if TYPE_CHECKING:
    from framealloc_engine.core.thread_state import ThreadState

__all__ = ["FrameMap"]


class FrameMap(_FrameBound, Generic[K, V]):
    """A fixed-capacity hash map for one frame. Make it with ``alloc.frame_map(k, v, n)``.

    Dict-like: ``insert``/``m[k] = v``, ``get``, ``m[k]``, ``pop``/``del m[k]``, ``in``,
    ``len``, iteration over keys, ``items()``, ``clear``, ``retain``, ``extend``. Inserting a
    new key into a full map raises :class:`~framealloc_engine.errors.CapacityError` (FA003);
    ``try_insert`` returns ``False``.
    """

    __slots__ = (
        "_dict",
        "_index",
        "_keys",
        "_len",
        "_limits",
        "_mask",
        "_shift",
        "_tombs",
        "_vals",
        "capacity",
    )

    def __init__(
        self,
        state: ThreadState,
        capacity: int,
        keys: np.ndarray | None = None,
        values: np.ndarray | None = None,
        index: np.ndarray | None = None,
    ) -> None:
        super().__init__(state)
        self.capacity = capacity
        self._len = 0
        self._tombs = 0
        self._dict: dict[Any, Any] | None = None
        if keys is None or values is None or index is None:
            self._dict = {}
            self._keys = self._vals = self._index = np.empty(0, dtype=np.int64)
            self._mask = self._shift = 0
            self._limits = (0, 0)
            return
        self._keys, self._vals, self._index = keys, values, index
        size = index.shape[0]
        self._mask = size - 1
        self._shift = 64 - (size.bit_length() - 1)
        index.fill(_EMPTY)
        info = np.iinfo(keys.dtype) if keys.dtype.kind in "iu" else None
        self._limits = (int(info.min), int(info.max)) if info is not None else (0, 1)

    @staticmethod
    def index_size(capacity: int) -> int:
        """Index-table slots for ``capacity`` entries: a power of two >= 2 * capacity."""
        return 1 << max(3, (2 * capacity - 1).bit_length())

    def _expire(self) -> None:
        if self._dict is not None:
            self._dict.clear()
        self._len = 0

    def _drop_arrays(self) -> None:
        self._keys = self._vals = self._index = DETACHED

    @property
    def is_table(self) -> bool:
        """Whether pairs live in frame arrays (integer keys, numpy values)."""
        return self._dict is None

    # --- table internals -----------------------------------------------------------------------

    def _key(self, key: object) -> int:
        """``key`` as a Python int that fits the key dtype."""
        try:
            ik = operator.index(key)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(
                f"FrameMap key must be an integer for key dtype {self._keys.dtype}, got "
                f"{type(key).__name__}"
            ) from None
        lo, hi = self._limits
        if not lo <= ik <= hi:
            raise OverflowError(f"key {ik} does not fit key dtype {self._keys.dtype}")
        return ik

    def _find(self, ik: int) -> tuple[int, int]:
        """``(slot, dense position)``; position -1 and the insertion slot when absent."""
        index = self._index
        keys = self._keys
        mask = self._mask
        j = ((ik * _MULT) & _M64) >> self._shift
        tomb = -1
        while True:
            e = int(index[j])
            if e == _EMPTY:
                return (tomb if tomb >= 0 else j), -1
            if e == _TOMB:
                if tomb < 0:
                    tomb = j
            elif keys[e] == ik:
                return j, e
            j = (j + 1) & mask

    def _rebuild_index(self) -> None:
        index = self._index
        index.fill(_EMPTY)
        keys = self._keys
        mask = self._mask
        shift = self._shift
        for e in range(self._len):
            j = ((int(keys[e]) * _MULT) & _M64) >> shift
            while index[j] != _EMPTY:
                j = (j + 1) & mask
            index[j] = e
        self._tombs = 0

    def _full_error(self) -> CapacityError:
        return CapacityError(
            f"FrameMap is full ({self._len} entries)",
            note="frame collections cannot grow past the capacity they were made with",
            help="make it with a larger capacity, or use try_insert() to test for room",
        )

    def _insert(self, key: Any, value: Any, raise_full: bool) -> bool:
        d = self._dict
        if d is not None:
            if key not in d and len(d) >= self.capacity:
                if raise_full:
                    raise self._full_error()
                return False
            d[key] = value
            return True
        ik = self._key(key)
        j, e = self._find(ik)
        if e >= 0:
            self._vals[e] = value
            return True
        n = self._len
        if n >= self.capacity:
            if raise_full:
                raise self._full_error()
            return False
        self._vals[n] = value  # first: a bad value leaves the map unchanged
        self._keys[n] = ik
        index = self._index
        if index[j] == _TOMB:
            self._tombs -= 1
        index[j] = n
        self._len = n + 1
        return True

    # --- public API ----------------------------------------------------------------------------

    def insert(self, key: K, value: V) -> None:
        """Set ``key`` to ``value`` (replacing an existing value).

        Raises:
            CapacityError: (FA003) ``key`` is new and the map is full.
            FrameExpiredError: (FA002) its frame ended.
        """
        self._check()
        self._insert(key, value, True)

    __setitem__ = insert

    def try_insert(self, key: K, value: V) -> bool:
        """Like :meth:`insert`, but returns ``False`` instead of raising when full."""
        self._check()
        return self._insert(key, value, False)

    def _lookup(self, key: object) -> int:
        """Dense position of ``key`` in table mode, -1 when absent."""
        try:
            return self._find(self._key(key))[1]
        except (TypeError, OverflowError):
            return -1

    def get(self, key: K, default: Any = None) -> Any:
        """The value of ``key``, or ``default``."""
        self._check()
        d = self._dict
        if d is not None:
            return d.get(key, default)
        e = self._lookup(key)
        return default if e < 0 else self._vals[e]

    def __getitem__(self, key: K) -> V:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        self._check()
        d = self._dict
        if d is not None:
            return key in d
        return self._lookup(key) >= 0

    def pop(self, key: K, default: Any = _MISSING) -> Any:
        """Remove ``key`` and return its value (a copy), or ``default`` when absent.

        Raises:
            KeyError: ``key`` is absent and no default was given.
        """
        self._check()
        d = self._dict
        if d is not None:
            if default is _MISSING:
                return d.pop(key)
            return d.pop(key, default)
        e = self._lookup(key)
        if e < 0:
            if default is _MISSING:
                raise KeyError(key)
            return default
        j = self._find(int(self._keys[e]))[0]
        value = _copy_out(self._vals[e])
        last = self._len - 1
        if e != last:
            # keep the pairs dense: move the last pair into the hole
            moved = int(self._keys[last])
            moved_slot = self._find(moved)[0]  # before keys[e] changes: the probe reads it
            self._keys[e] = moved
            self._vals[e] = self._vals[last]
            self._index[moved_slot] = e
        self._index[j] = _TOMB
        self._len = last
        self._tombs += 1
        if self._len + self._tombs > (self._mask + 1) * 3 // 4:
            self._rebuild_index()
        return value

    def remove(self, key: K) -> V:
        """Remove ``key`` and return its value. Raises ``KeyError`` when absent."""
        return self.pop(key)  # type: ignore[no-any-return]

    def __delitem__(self, key: K) -> None:
        self.pop(key)

    def __len__(self) -> int:
        self._check()
        d = self._dict
        return len(d) if d is not None else self._len

    def is_full(self) -> bool:
        """Whether inserting a new key would fail."""
        return len(self) >= self.capacity

    def keys(self) -> Iterator[K]:
        """Iterate over the keys."""
        self._check()
        d = self._dict
        if d is not None:
            yield from list(d)
            return
        keys = self._keys
        for e in range(self._len):
            yield keys[e]

    __iter__ = keys

    def values(self) -> Iterator[V]:
        """Iterate over the values."""
        for _, value in self.items():
            yield value

    def items(self) -> Iterator[tuple[K, V]]:
        """Iterate over ``(key, value)`` pairs."""
        self._check()
        d = self._dict
        if d is not None:
            yield from list(d.items())
            return
        keys, vals = self._keys, self._vals
        i = 0
        while i < self._len:
            yield keys[i], vals[i]
            i += 1
            self._check()

    def clear(self) -> None:
        """Remove every entry."""
        self._check()
        d = self._dict
        if d is not None:
            d.clear()
            return
        self._index.fill(_EMPTY)
        self._len = 0
        self._tombs = 0

    def retain(self, predicate: Callable[[K, V], object]) -> int:
        """Keep only entries for which ``predicate(key, value)`` is true; returns removed."""
        self._check()
        d = self._dict
        if d is not None:
            drop = [k for k, v in d.items() if not predicate(k, v)]
            for k in drop:
                del d[k]
            return len(drop)
        n = self._len
        keep = np.fromiter(
            (bool(predicate(self._keys[i], self._vals[i])) for i in range(n)), bool, n
        )
        k = int(keep.sum())
        self._keys[:k] = self._keys[:n][keep]
        self._vals[:k] = self._vals[:n][keep]
        self._len = k
        self._rebuild_index()
        return n - k

    def extend(self, pairs: Mapping[K, V] | Iterable[tuple[K, V]]) -> None:
        """Insert every pair (later pairs win); all or nothing.

        Raises:
            CapacityError: (FA003) the new keys do not all fit (nothing is inserted).
        """
        self._check()
        items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs)
        new: set[Any] = set()
        for key, _ in items:
            if key not in self:
                new.add(key if self._dict is not None else self._key(key))
        if len(self) + len(new) > self.capacity:
            raise CapacityError(
                f"FrameMap.extend() adds {len(new)} new keys; {len(self)} of "
                f"{self.capacity} entries are used",
                help="make the map with a larger capacity",
            )
        for key, value in items:
            self._insert(key, value, True)

    def keys_view(self) -> np.ndarray:
        """A numpy view of the live keys (table mode only), in iteration order."""
        self._check()
        self._need_table("keys_view")
        return self._keys[: self._len]

    def values_view(self) -> np.ndarray:
        """A numpy view of the live values (table mode only), aligned with ``keys_view()``."""
        self._check()
        self._need_table("values_view")
        return self._vals[: self._len]

    def _need_table(self, what: str) -> None:
        if self._dict is not None:
            raise TypeError(
                f"{what}() needs integer keys and numpy-representable values; this FrameMap "
                "holds Python objects (use items())"
            )

    def to_dict(self) -> dict[K, V]:
        """The entries as a plain dict (values copied out; safe to keep past the frame)."""
        return {
            (k.item() if isinstance(k, np.generic) else k): _copy_out(v) for k, v in self.items()
        }

    def __repr__(self) -> str:
        if not self.is_valid:
            return "<FrameMap expired>"
        return f"<FrameMap {len(self)}/{self.capacity} {'table' if self.is_table else 'dict'}>"
