"""Domains: communities of the foreign-key graph, each named by what it holds (see Naming below).

Louvain modularity (local moving, then aggregation, repeated) written out here: it is ~60
lines, deterministic with a fixed node order, and fast enough for 5,000 tables in pure
Python, so networkx (a large dependency used for one function) is not worth adding.
Modularity discounts hubs by their degree, so a `tenants` or `users` table that everything
references does not swallow the whole schema into one domain, as label propagation would.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

UNLINKED = "unlinked tables"


@dataclass(frozen=True)
class Domain:
    name: str
    central: str  # schema-qualified: its most-referenced table ("" for unlinked tables)
    tables: tuple[str, ...]  # schema-qualified, sorted
    named_by: str = "table"  # table | prefix | schema | unlinked: what its name is
    leading: tuple[str, ...] = ()  # its most-referenced tables, most first (a sample of what it holds)


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


def find_domains(
    tables: list[str], edges: list[tuple[str, str]], lookups: Iterable[str] = ()
) -> tuple[Domain, ...]:
    """Domains of the given tables; tables with no relationship at all share one 'unlinked' domain.

    `edges` are (referencing, referenced) pairs; `lookups` are code tables (see `naming`).
    """
    membership = louvain(tables, edges)
    degree: dict[str, int] = defaultdict(int)
    for a, b in edges:
        if a != b and a in membership and b in membership:
            degree[a] += 1
            degree[b] += 1
    groups: dict[int, list[str]] = defaultdict(list)
    for name, c in membership.items():
        groups[c].append(name)
    linked, unlinked = [], []
    for members in groups.values():
        if len(members) == 1 and degree[members[0]] == 0:
            unlinked.extend(members)
        else:
            linked.append(tuple(sorted(members)))
    domains = list(name_domains(linked, list(membership), edges, set(lookups)))
    domains.sort(key=lambda d: (-len(d.tables), d.name))
    if unlinked:
        unlinked.sort()
        domains.append(Domain(UNLINKED, "", tuple(unlinked), "unlinked", tuple(unlinked[:LEADING])))
    return tuple(domains)


# Naming ------------------------------------------------------------------------------------------
#
# A domain is named by whichever of three explains its tables best, scored as the share of the
# domain's tables the name covers (and for a schema or a prefix, times the share of that schema's
# or prefix's tables that are in the domain, so a prefix every table has explains nothing):
#   its most-referenced table (covering itself and the tables that reference it), a code table
#     (no foreign key of its own, at most LOOKUP_COLUMNS other columns) only when nothing else is
#     referenced: a `status` table every row points at says little of what the domain holds;
#   the first word its table names share (`billing_*`), when at least PREFIX_MIN tables have it;
#     (PREFIX_SHARE of them), extended to the words all of those share (`active_storage_*`);
#   its schema, when SCHEMA_SHARE of its tables are in that schema (a catalog of several schemas).
# On a tie the schema wins, then the prefix. Two domains that would share a name add their table.

LOOKUP_COLUMNS = 3
PREFIX_MIN = 3
LEADING = 3
PREFIX_SHARE = 0.5  # of the domain's tables
SCHEMA_SHARE = 0.8
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def first_word(name: str) -> str:
    """The leading word of a table name as written (`billing_` of billing_invoice, `Billing` of BillingInvoice)."""
    match = _WORD.search(name)
    if match is None or match.end() >= len(name):
        return ""
    end = match.end()
    while end < len(name) and name[end] in "_- ":
        end += 1
    return name[: end]


def shared_prefix(names: list[str]) -> str:
    """The words all `names` start with (`active_storage_` of active_storage_blobs and _variant_records)."""
    common = os.path.commonprefix(names)
    cut = max(common.rfind(sep) for sep in "_- ")
    first = first_word(names[0])
    return common[: cut + 1] if cut + 1 > len(first) else first


def name_domains(groups: list[tuple[str, ...]], all_tables: list[str], edges: list[tuple[str, str]],
                 lookups: set[str]) -> list[Domain]:
    referenced_by: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        if a != b:
            referenced_by[b].add(a)
    schemas = Counter(t.partition(".")[0] for t in all_tables)
    prefixes = Counter(first_word(t.partition(".")[2]).casefold() for t in all_tables)
    chosen = []
    for members in groups:
        central, how, label = _best_name(members, referenced_by, lookups, schemas, prefixes)
        chosen.append((central, how, label, members))
    uses = Counter(label for _, _, label, _ in chosen)
    out = []
    for central, how, label, members in chosen:
        short = central.partition(".")[2]
        if uses[label] > 1:
            label = f"{label} ({short})" if how != "table" else central
        inside = set(members)
        leading = sorted(members, key=lambda t: (-len(referenced_by[t] & inside), t))[:LEADING]
        out.append(Domain(label, central, members, how, tuple(leading)))
    return out


def _best_name(members, referenced_by, lookups, schemas, prefixes) -> tuple[str, str, str]:
    inside = set(members)
    size = len(members)

    def covered(t: str) -> int:
        return 1 + len(referenced_by[t] & inside)

    central = min(members, key=lambda t: (t in lookups, -covered(t), t))
    referenced = len(referenced_by[central] & inside)
    table_score = (1 + referenced) / size if referenced else 0.0
    candidates = [(table_score, 2, "table", central.partition(".")[2])]
    if len(schemas) > 1:
        schema, count = Counter(t.partition(".")[0] for t in members).most_common(1)[0]
        if count / size >= SCHEMA_SHARE:
            candidates.append((count / size * count / schemas[schema], 0, "schema", schema))
    words = Counter(first_word(t.partition(".")[2]).casefold() for t in members)
    words.pop("", None)
    if words:
        word, count = min(words.items(), key=lambda wc: (-wc[1], wc[0]))
        if count >= PREFIX_MIN and count / size >= PREFIX_SHARE:
            sharing = [t.partition(".")[2] for t in members if first_word(t.partition(".")[2]).casefold() == word]
            candidates.append((count / size * count / prefixes[word], 1, "prefix", shared_prefix(sharing) + "*"))
    score, _, how, label = max(candidates, key=lambda c: (c[0], -c[1]))
    if score == 0.0:
        how, label = "table", central.partition(".")[2]
    return central, how, label
