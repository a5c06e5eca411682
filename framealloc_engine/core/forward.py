"""``forward``: expose a part's method on the object that owns the part, typed, at no cost.

``SmartAlloc`` is a composition: each feature is an object it owns, and the feature's public
methods appear on the allocator. ``frame_retained = forward("_retention",
RetentionFeature.frame_retained)`` is a property whose getter (``operator.attrgetter``, in C)
returns the feature's bound method, so a call costs what a call on the feature costs, and
mypy sees the method's exact signature.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, cast, overload

__all__ = ["Forwarded", "forward"]

P = ParamSpec("P")
R = TypeVar("R")


class Forwarded(Generic[P, R]):
    """The static type of a forwarded method (at runtime it is a ``property``)."""

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Forwarded[P, R]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> Callable[P, R]: ...

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        """The bound method of the part (the class attribute itself on the class)."""
        raise NotImplementedError  # pragma: no cover - replaced by a property at runtime


def forward(part: str, method: Callable[Concatenate[Any, P], R]) -> Forwarded[P, R]:
    """A property returning ``getattr(getattr(owner, part), method.__name__)``.

    Args:
        part: Attribute of the owner holding the part (``"_retention"``).
        method: The part's method, taken from its class (``RetentionFeature.frame_retained``).
    """
    getter = attrgetter(f"{part}.{method.__name__}")
    return cast("Forwarded[P, R]", property(getter, doc=method.__doc__))
