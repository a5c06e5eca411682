"""The byte-level allocators: the only place that does offset and byte arithmetic.

``buffer`` (aligned buffers, poison), ``layout`` (validated dtype/shape requests), ``arena``
(the per-thread frame arena), ``pool`` and ``slab`` (size-class pools and their pages),
``heap`` and ``extents`` (the shared heap for large blocks), ``region`` (fixed buffers the
handle, streaming and scratch allocators place blocks in).
"""
