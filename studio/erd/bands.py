"""Wrapping a long layered diagram: its ranks cut into bands laid out one beside the other.

A chain of references 150 tables deep is 150 ranks of `dot`: a strip 22,000 points long. Each band
(a run of consecutive ranks) becomes an invisible cluster; an edge between two bands stops
constraining the ranks, so every band starts again at the first rank and Graphviz, which never
lets clusters overlap, puts the bands next to each other across the rank direction: the strip is
folded like a wrapped line of text and every edge is still drawn.
"""

from __future__ import annotations

from collections.abc import Iterable


def longest_path_ranks(names: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Each node's rank as `dot` would roughly give it: the longest path reaching it from a node
    nothing points to, edges that close a cycle left out (found by a depth-first search)."""
    names = list(names)
    out: dict[str, list[str]] = {n: [] for n in names}
    for a, b in edges:
        if a != b and a in out and b in out:
            out[a].append(b)
    finished: list[str] = []
    seen: set[str] = set()
    for start in names:
        if start in seen:
            continue
        seen.add(start)
        stack = [(start, iter(out[start]))]
        while stack:
            node, successors = stack[-1]
            following = next(successors, None)
            if following is None:
                finished.append(node)
                stack.pop()
            elif following not in seen:
                seen.add(following)
                stack.append((following, iter(out[following])))
    order = {n: i for i, n in enumerate(reversed(finished))}
    rank = dict.fromkeys(names, 0)
    for node in sorted(names, key=order.__getitem__):
        for following in out[node]:
            if order[following] > order[node]:  # not an edge back up a cycle
                rank[following] = max(rank[following], rank[node] + 1)
    return rank


def band_of(names: Iterable[str], edges: Iterable[tuple[str, str]], bands: int) -> dict[str, int]:
    """Each node's band (0 .. bands-1): its rank's place among the ranks, cut into `bands` equal runs."""
    rank = longest_path_ranks(names, edges)
    count = max(rank.values(), default=0) + 1
    return {n: r * bands // count for n, r in rank.items()}
