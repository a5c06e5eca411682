"""``AllocResource``: the allocator as a system parameter (``alloc: AllocResource``).

It is the allocator itself, seen from a system: an ``AllocResource`` is a :class:`SmartAlloc`
that shares the state of the one ``SmartAllocPlugin`` manages (the same instance dictionary,
so every call costs exactly what it costs on the allocator, and mypy checks every name). Each
method acts on the *calling* thread's state, so the same object serves every worker thread;
the plugin has begun each thread's frame before it runs a system there. The frame lifecycle
(``begin_frame``/``end_frame`` and the promoting frame ends) belongs to the plugin: those
names raise ``AttributeError`` here. The managed allocator itself is :attr:`AllocResource.alloc`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from framealloc_engine.errors import PluginMissingError
from framealloc_engine.smart import SmartAlloc

if TYPE_CHECKING:
    from framealloc_engine.app.system_param import ParamBuilder

__all__ = ["AllocResource"]

#: The frame lifecycle, owned by ``SmartAllocPlugin``.
PLUGIN_OWNED = (
    "begin_frame",
    "end_frame",
    "frame_scope",
    "end_frame_with_promotions",
    "end_frame_with_summary",
)


class _PluginOwned:
    """A lifecycle name on :class:`AllocResource`: reading it raises ``AttributeError``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> NoReturn:
        raise AttributeError(
            f"AllocResource.{self.name}() is not available: SmartAllocPlugin begins and ends "
            "every thread's frame; use AllocResource.alloc for manual control"
        )


class AllocResource(SmartAlloc):
    """The allocator resource inserted by ``SmartAllocPlugin``: a view of its allocator.

    Example::

        def build_mesh(alloc: AllocResource) -> None:
            verts = alloc.frame_alloc(np.float32, (4096, 3))  # freed at frame end
    """

    __slots__ = ("_viewed",)

    def __init__(self, alloc: SmartAlloc) -> None:
        # Share the allocator's state: attribute reads resolve in the same dictionary, so
        # the hot properties (frame_alloc, pool_alloc, ...) cost what they cost on ``alloc``.
        self.__dict__ = alloc.__dict__
        self._viewed = alloc  # a slot, not in the shared dictionary

    @property
    def alloc(self) -> SmartAlloc:
        """The allocator this resource views (its frame lifecycle belongs to the plugin)."""
        return self._viewed

    if TYPE_CHECKING:

        def begin_frame(self) -> NoReturn:
            """Owned by ``SmartAllocPlugin``: raises ``AttributeError``."""

        def end_frame(self) -> NoReturn:
            """Owned by ``SmartAllocPlugin``: raises ``AttributeError``."""

        def frame_scope(self, *, capture_numpy: bool = False) -> NoReturn:
            """Owned by ``SmartAllocPlugin``: raises ``AttributeError``."""

        def end_frame_with_promotions(self) -> NoReturn:
            """Owned by ``SmartAllocPlugin``: raises ``AttributeError``."""

        def end_frame_with_summary(self) -> NoReturn:
            """Owned by ``SmartAllocPlugin``: raises ``AttributeError``."""

    else:
        begin_frame = _PluginOwned("begin_frame")
        end_frame = _PluginOwned("end_frame")
        frame_scope = _PluginOwned("frame_scope")
        end_frame_with_promotions = _PluginOwned("end_frame_with_promotions")
        end_frame_with_summary = _PluginOwned("end_frame_with_summary")

    @classmethod
    def build_param(cls, builder: ParamBuilder) -> AllocResource:
        """Resolve ``alloc: AllocResource`` (reads the resource).

        Raises:
            PluginMissingError: (FA101) ``SmartAllocPlugin`` was not added.
        """
        builder.read(AllocResource)
        resource = builder.world.get_resource(AllocResource)
        if resource is None:
            raise PluginMissingError(
                f"{builder.where} needs AllocResource, but SmartAllocPlugin was not added",
                note="AllocResource is the allocator resource that SmartAllocPlugin inserts",
            )
        return resource

    def __repr__(self) -> str:
        return f"AllocResource({self.alloc!r})"
