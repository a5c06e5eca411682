"""Everything a game usually needs, from one place: ``from framealloc_engine.prelude import *``.

The allocator's API (:mod:`framealloc_engine`), the engine's (:mod:`framealloc_engine.app`)
and the bridge between them (:mod:`framealloc_engine.bridge`). Each namespace keeps its own
names; this module only gathers them.
"""

from __future__ import annotations

from framealloc_engine import *  # noqa: F403
from framealloc_engine import __all__ as _allocator_names
from framealloc_engine.app import *  # noqa: F403
from framealloc_engine.app import __all__ as _engine_names
from framealloc_engine.bridge import AllocResource, SmartAllocPlugin, capturing

__all__ = [  # noqa: PLE0604
    *_allocator_names, *_engine_names, "AllocResource", "SmartAllocPlugin", "capturing",
]  # fmt: skip
