"""One lazily created, size-checked instance per allocator (streaming, handles).

Its memory is reserved against the allocator's global memory limit before it is created, and
given back if creating it fails.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["SizedSingleton"]

T = TypeVar("T")


class SizedSingleton(Generic[T]):
    """Creates ``create(size)`` once, with ``size`` reserved through ``reserve``.

    Args:
        what: Name used in messages (``"streaming"``, ``"handles"``).
        argument: The size argument's name in messages.
        default: The size when the first request gives none.
        create: Builds the instance from a size.
        size_of: Reads an existing instance's size.
        reserve: Charges bytes to the global limit (raises to refuse).
        release: Gives them back.
    """

    def __init__(
        self,
        what: str,
        argument: str,
        default: int,
        create: Callable[[int], T],
        size_of: Callable[[T], int],
        reserve: Callable[[int], None],
        release: Callable[[int], None],
    ) -> None:
        self._what = what
        self._argument = argument
        self._default = default
        self._create = create
        self._size_of = size_of
        self._reserve = reserve
        self._release = release
        self._lock = threading.Lock()
        self._instance: T | None = None

    @property
    def instance(self) -> T | None:
        """The instance, if created."""
        return self._instance

    def get(self, size: int | None) -> T:
        """The instance, created with ``size`` (or the default) on first call.

        Raises:
            ValueError: a later call asks for a different size.
            GlobalBudgetExceededError: (FA301) the size does not fit the global limit.
        """
        with self._lock:
            existing = self._instance
            if existing is None:
                size = self._default if size is None else size
                self._reserve(size)
                try:
                    existing = self._create(size)
                except BaseException:
                    self._release(size)
                    raise
                self._instance = existing
            elif size is not None and size != self._size_of(existing):
                raise ValueError(
                    f"{self._what}() already exists with {self._size_of(existing)} bytes; "
                    f"got {self._argument}={size}"
                )
            return existing
