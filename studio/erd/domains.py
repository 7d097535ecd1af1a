"""Domains: communities of the foreign-key graph, each named after its most central table.

Louvain modularity (local moving, then aggregation, repeated) written out here: it is ~60
lines, deterministic with a fixed node order, and fast enough for 5,000 tables in pure
Python, so networkx (a large dependency used for one function) is not worth adding.
Modularity discounts hubs by their degree, so a `tenants` or `users` table that everything
references does not swallow the whole schema into one domain, as label propagation would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

UNLINKED = "unlinked tables"


@dataclass(frozen=True)
class Domain:
    name: str
    central: str  # schema-qualified table the domain is named after ("" for unlinked tables)
    tables: tuple[str, ...]  # schema-qualified, sorted


Adjacency = list[dict[int, float]]


def _one_level(adj: Adjacency) -> list[int]:
    """One round of local moving: each node joins the neighbouring community that raises modularity most."""
    n = len(adj)
    degree = [sum(row.values()) for row in adj]
    m2 = sum(degree)
    community = list(range(n))
    if m2 == 0:
        return community
    total = degree[:]
    for _sweep in range(20):
        moved = False
        for i in range(n):
            current = community[i]
            links: dict[int, float] = defaultdict(float)
            for j, w in adj[i].items():
                if j != i:
                    links[community[j]] += w
            total[current] -= degree[i]
            best, best_gain = current, links.get(current, 0.0) - total[current] * degree[i] / m2
            for c in sorted(links):
                gain = links[c] - total[c] * degree[i] / m2
                if gain > best_gain + 1e-12:
                    best, best_gain = c, gain
            total[best] += degree[i]
            if best != current:
                community[i] = best
                moved = True
        if not moved:
            break
    renumber: dict[int, int] = {}
    return [renumber.setdefault(c, len(renumber)) for c in community]


def _aggregate(adj: Adjacency, community: list[int]) -> Adjacency:
    size = max(community) + 1
    merged: Adjacency = [defaultdict(float) for _ in range(size)]
    for i, row in enumerate(adj):
        for j, w in row.items():
            merged[community[i]][community[j]] += w
    return [dict(row) for row in merged]


def louvain(nodes: list[str], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Community number of each node (deterministic for the same input)."""
    order = sorted(set(nodes))
    position = {name: i for i, name in enumerate(order)}
    adj: Adjacency = [defaultdict(float) for _ in order]
    for a, b in edges:
        if a != b and a in position and b in position:
            adj[position[a]][position[b]] += 1.0
            adj[position[b]][position[a]] += 1.0
    adj = [dict(row) for row in adj]
    membership = list(range(len(order)))
    while True:
        community = _one_level(adj)
        if max(community, default=-1) + 1 == len(adj):
            break
        membership = [community[c] for c in membership]
        adj = _aggregate(adj, community)
    return {name: membership[position[name]] for name in order}


def find_domains(tables: list[str], edges: list[tuple[str, str]]) -> tuple[Domain, ...]:
    """Domains of the given tables; tables with no relationship at all share one 'unlinked' domain."""
    membership = louvain(tables, edges)
    degree: dict[str, int] = defaultdict(int)
    inner: dict[str, int] = defaultdict(int)
    for a, b in edges:
        if a == b or a not in membership or b not in membership:
            continue
        degree[a] += 1
        degree[b] += 1
        if membership[a] == membership[b]:
            inner[a] += 1
            inner[b] += 1
    groups: dict[int, list[str]] = defaultdict(list)
    for name, c in membership.items():
        groups[c].append(name)
    linked, unlinked = [], []
    for members in groups.values():
        if len(members) == 1 and degree[members[0]] == 0:
            unlinked.extend(members)
            continue
        central = min(members, key=lambda t: (-inner[t], -degree[t], t))
        linked.append((central, tuple(sorted(members))))
    short = defaultdict(int)
    for central, _ in linked:
        short[central.partition(".")[2]] += 1
    domains = [
        Domain(central.partition(".")[2] if short[central.partition(".")[2]] == 1 else central, central, members)
        for central, members in linked
    ]
    domains.sort(key=lambda d: (-len(d.tables), d.name))
    if unlinked:
        domains.append(Domain(UNLINKED, "", tuple(sorted(unlinked))))
    return tuple(domains)
