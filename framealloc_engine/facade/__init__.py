"""The pieces :class:`~framealloc_engine.smart.SmartAlloc` is assembled from, one per concern."""
