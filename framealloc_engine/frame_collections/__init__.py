"""Bounded, frame-local collections: :class:`FrameVec` and :class:`FrameMap`.

Both have a fixed capacity chosen at creation and live until the frame that made them ends
(or a rollback to a checkpoint taken before them); after that every use raises
:class:`~framealloc_engine.errors.FrameExpiredError` (FA002), like a frame box.

Storage:

* Items numpy can represent (``np.float32``, ``int``, structured dtypes, ``"U16"``...) live in
  frame memory: one frame array of ``capacity`` items plus a length. ``view()`` is a numpy
  view of the live items for vectorised work.
* Any other item type (``object``, ``str``, your classes) is held by reference in an object
  array of ``capacity`` slots; the collection keeps the same bounds and API.

``FrameMap`` with integer (or bool) keys and numpy-representable values is a compact hash
table over frame arrays: keys and values are dense arrays (``keys_view()``/``values_view()``
are views of the live pairs) and an index table of at least ``2 * capacity`` slots, probed
linearly, maps a key to its dense position. A removal moves the last pair into the hole, so
iteration follows insertion order until the first removal. Other key or value types fall back
to a ``dict`` bounded to ``capacity`` entries (no numpy views).

Example::

    ids = alloc.frame_vec(np.uint32, 128)
    ids.extend([3, 5, 8])
    visible = ids.view()[ids.view() > 4]
    lookup = alloc.frame_map(np.int64, Transform, 64)
    lookup[entity_id] = (pos, rot)
"""

from __future__ import annotations

from framealloc_engine.frame_collections._common import item_dtype
from framealloc_engine.frame_collections.map import FrameMap
from framealloc_engine.frame_collections.vec import FrameVec

__all__ = ["FrameMap", "FrameVec", "item_dtype"]
