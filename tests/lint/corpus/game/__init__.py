"""A small game split into modules: the allocator lives in ``memory`` and is imported."""
