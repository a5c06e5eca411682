"""The allocator core: what every feature builds on, knowing none of them.

``allocator`` (:class:`AllocatorCore`: frames, pools, the heap, observers, statistics),
``threads`` and ``thread_state`` (each thread's arena, pools and counters), ``observers``
(how features watch and redirect allocations), ``attribution`` and ``tags`` (tags and
phases), ``checkpoints``, ``boxes``, ``stats``, ``reservations`` (the global memory limit),
and two small composition helpers (``forward``, ``singleton``).
"""
