"""Graph algorithms for schedule building: stable topological order, cycle reporting,
implicit ordering of conflicting systems, transitive reduction.

Nodes are ints ``0..n-1`` (insertion order); bit sets are Python ints.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable

__all__ = ["conflict_edges", "find_cycle", "reduce_edges", "stable_toposort"]


def stable_toposort(n: int, edges: Iterable[tuple[int, int]]) -> list[int] | None:
    """Kahn's algorithm, always taking the lowest-numbered ready node.

    Returns:
        The order, or None if the graph has a cycle.
    """
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for u, v in set(edges):
        succ[u].append(v)
        indeg[v] += 1
    ready = [i for i in range(n) if indeg[i] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        u = heapq.heappop(ready)
        order.append(u)
        for v in succ[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                heapq.heappush(ready, v)
    return order if len(order) == n else None


def find_cycle(n: int, edges: Iterable[tuple[int, int]]) -> list[int]:
    """One cycle of the graph as ``[a, b, ..., a]`` (empty if there is none)."""
    succ: list[list[int]] = [[] for _ in range(n)]
    for u, v in sorted(set(edges)):
        succ[u].append(v)
    colour = [0] * n  # 0 new, 1 on stack, 2 done
    for start in range(n):
        if colour[start]:
            continue
        stack: list[tuple[int, int]] = [(start, 0)]
        path: list[int] = [start]
        colour[start] = 1
        while stack:
            node, i = stack[-1]
            if i < len(succ[node]):
                stack[-1] = (node, i + 1)
                nxt = succ[node][i]
                if colour[nxt] == 1:
                    return [*path[path.index(nxt) :], nxt]
                if colour[nxt] == 0:
                    colour[nxt] = 1
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                colour[node] = 2
                stack.pop()
                path.pop()
    return []


def conflict_edges(
    order: list[int],
    edges: Iterable[tuple[int, int]],
    conflicts: Callable[[int, int], bool],
) -> set[tuple[int, int]]:
    """Add an edge between every pair of conflicting nodes not already ordered.

    The new edge follows ``order``, so the graph stays acyclic and the order of every
    conflicting pair is fixed whatever executor runs it: this is what makes a parallel run
    produce the same results as a single-threaded one.

    Returns:
        The explicit edges plus the implicit ones.
    """
    pos = {node: i for i, node in enumerate(order)}
    preds: dict[int, list[int]] = {node: [] for node in order}
    out = set(edges)
    for u, v in out:
        preds[v].append(u)
    ancestors: dict[int, int] = {}
    for j, node in enumerate(order):
        anc = 0
        for p in preds[node]:
            anc |= (1 << pos[p]) | ancestors[p]
        for i in range(j):
            if not (anc >> i) & 1 and conflicts(order[i], node):
                out.add((order[i], node))
                anc |= (1 << i) | ancestors[order[i]]
        ancestors[node] = anc
    return out


def reduce_edges(order: list[int], edges: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Transitive reduction of an acyclic graph (fewer edges to count down per run)."""
    pos = {node: i for i, node in enumerate(order)}
    preds: dict[int, list[int]] = {node: [] for node in order}
    edge_set = set(edges)
    for u, v in edge_set:
        preds[v].append(u)
    ancestors: dict[int, int] = {}
    kept: set[tuple[int, int]] = set()
    for node in order:
        anc = 0
        for p in preds[node]:
            anc |= (1 << pos[p]) | ancestors[p]
        ancestors[node] = anc
        for p in preds[node]:
            bit = 1 << pos[p]
            if not any(q != p and ancestors[q] & bit for q in preds[node]):
                kept.add((p, node))
    return kept
