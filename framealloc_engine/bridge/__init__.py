"""The bridge between the allocator and the engine: ``SmartAllocPlugin`` and ``AllocResource``.

As Bevy keeps its integrations in ``bevy_*`` crates, the engine (:mod:`framealloc_engine.app`)
knows no allocator and the allocator knows no engine; this package wires the two: the plugin
inserts the allocator as a resource, ties every thread's frame to the app's frames, and
provides the ``alloc: AllocResource`` system parameter.

Example::

    from framealloc_engine.app import App, Update
    from framealloc_engine.bridge import AllocResource, SmartAllocPlugin

    def mesh(alloc: AllocResource) -> None:
        verts = alloc.frame_alloc(np.float32, (4096, 3))

    App().add_plugins(SmartAllocPlugin.default()).add_systems(Update, mesh).run()
"""

from __future__ import annotations

from framealloc_engine.bridge.plugin import SmartAllocPlugin, capturing
from framealloc_engine.bridge.resource import AllocResource

__all__ = ["AllocResource", "SmartAllocPlugin", "capturing"]
