"""How is A connected to B: the shortest foreign-key paths between two tables, and each as a SQL join.

Relationships are walked in either direction (a path may go from a child up to its parent and
down to another child); declared foreign keys and the implied ones the analyzers find (named like
a key, no constraint) both count, and a path says which of its steps are implied. Two foreign
keys between the same tables (billing and shipping address) are two paths.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, replace

from studio.catalog import Catalog
from studio.erd.model import Diagram, Relationship, all_relationships, build
from studio.erd.options import Options
from studio.sql import ident, qualified_name

MAX_PATHS = 5
ENUMERATE = 200  # shortest paths looked at (in a dense schema there can be millions) before choosing


@dataclass(frozen=True)
class Step:
    relationship: Relationship
    forward: bool  # True: from the referencing table to the referenced one

    @property
    def start(self) -> str:
        return self.relationship.table if self.forward else self.relationship.ref_table

    @property
    def end(self) -> str:
        return self.relationship.ref_table if self.forward else self.relationship.table


@dataclass(frozen=True)
class Path:
    steps: tuple[Step, ...]
    origin: str = ""  # the table a path of no steps (from a table to itself) stands on

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.steps[0].start, *(s.end for s in self.steps)) if self.steps else (self.origin,)

    @property
    def implied(self) -> bool:
        return any(not s.relationship.declared for s in self.steps)


def shortest_paths(catalog: Catalog, start: str, goal: str, implied: bool = True, limit: int = MAX_PATHS) -> list[Path]:
    """Up to `limit` shortest paths from `start` to `goal` (schema-qualified), declared-only ones first."""
    if start == goal:
        return [Path((), start)]
    touching: dict[str, list[Step]] = defaultdict(list)
    for r in all_relationships(catalog, implied):
        if r.table == r.ref_table:
            continue
        touching[r.table].append(Step(r, True))
        touching[r.ref_table].append(Step(r, False))
    distance = {start: 0}
    arrivals: dict[str, list[Step]] = defaultdict(list)  # steps reaching a table on a shortest path
    queue = deque([start])
    while queue:
        table = queue.popleft()
        if goal in distance and distance[table] >= distance[goal]:
            break
        for step in touching[table]:
            if step.end not in distance:
                distance[step.end] = distance[table] + 1
                queue.append(step.end)
            if distance[step.end] == distance[table] + 1:
                arrivals[step.end].append(step)
    if goal not in distance:
        return []
    found: list[Path] = []

    def back(table: str, tail: tuple[Step, ...]) -> None:
        if len(found) >= ENUMERATE:
            return
        if table == start:
            found.append(Path(tail))
            return
        for step in sorted(arrivals[table], key=_order):
            back(step.start, (step, *tail))

    back(goal, ())
    found.sort(key=lambda p: (p.implied, [_order(s) for s in p.steps]))
    return found[:limit]


def _order(step: Step):
    r = step.relationship
    return (not r.declared, r.table, r.columns, r.ref_table)


def aliases(path: Path) -> list[str]:
    """One short alias per table on the path (its initials, numbered when they repeat)."""
    out, used = [], set()
    for table in path.tables:
        name = table.partition(".")[2] or table
        base = "".join(w[0] for w in name.replace("-", "_").split("_") if w).lower() or "t"
        if not base.isascii() or not base.isalnum():
            base = "t"
        alias, n = base, 1
        while alias in used:
            n += 1
            alias = f"{base}{n}"
        used.add(alias)
        out.append(alias)
    return out


def join_sql(path: Path) -> str:
    """The path as SELECT ... FROM a JOIN b ON ... (every identifier quoted by studio/sql.py)."""
    names = aliases(path)
    lines = [f"SELECT {ident(names[0])}.*, {ident(names[-1])}.*", f"FROM {qualified_name(path.tables[0])} AS {ident(names[0])}"]
    for i, step in enumerate(path.steps):
        left, right = names[i], names[i + 1]
        r = step.relationship
        mine, theirs = (r.columns, r.ref_columns) if step.forward else (r.ref_columns, r.columns)
        on = " AND ".join(f"{ident(right)}.{ident(b)} = {ident(left)}.{ident(a)}" for a, b in zip(mine, theirs, strict=True))
        note = "" if r.declared else "  -- implied: no foreign key constraint"
        lines.append(f"JOIN {qualified_name(step.end)} AS {ident(right)} ON {on}{note}")
    return "\n".join(lines) + ";\n"


def describe(path: Path) -> str:
    """One line: orders(customer_id) -> customers <- invoices(customer_id) [implied]."""
    if not path.steps:
        return path.origin
    parts = [path.steps[0].start]
    for step in path.steps:
        r = step.relationship
        mark = "" if r.declared else " [implied]"
        if step.forward:
            parts.append(f"({', '.join(r.columns)}) -> {step.end}{mark}")
        else:
            parts.append(f"<- {step.end}({', '.join(r.columns)}){mark}")
    return " ".join(parts)


def paths_text(start: str, goal: str, paths: list[Path]) -> str:
    if not paths:
        return f"no foreign-key path between {start} and {goal}\n"
    hops = len(paths[0].steps)
    out = [f"{len(paths)} shortest path{'s' if len(paths) != 1 else ''} from {start} to {goal} "
           f"({hops} join{'s' if hops != 1 else ''}):", ""]
    for i, path in enumerate(paths, 1):
        out.append(f"{i}. {describe(path)}")
        out.append("")
        out.extend("   " + line for line in join_sql(path).splitlines())
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def path_diagram(catalog: Catalog, paths: list[Path], options: Options | None = None) -> Diagram:
    """The tables and relationships of the paths, ends in focus colours, every other relationship left out."""
    options = options or Options()
    tables = tuple(dict.fromkeys(t for p in paths for t in p.tables))
    on_path = {s.relationship for p in paths for s in p.steps}
    base = build(catalog, replace(options, focus=None, domain=None, tables=tables, cluster="none"))
    kept = tuple(r for r in base.relationships if r in on_path)
    outside = base.outside + tuple(r for r in base.relationships if r not in on_path)
    return replace(base, relationships=kept, outside=outside)
