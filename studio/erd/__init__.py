"""Catalog -> entity-relationship diagrams: DOT, SVG, PNG, Mermaid, DBML and plain text.

    diagram = build(catalog, Options(focus="public.orders", depth=2), findings)
    render(diagram, "svg")

Large schemas are shown as a domain overview (`overview`): one node per domain.
"""

from __future__ import annotations

import difflib
from collections import Counter
from functools import partial

from studio.catalog import Catalog
from studio.erd.dbml import to_dbml
from studio.erd.domains import Domain, find_domains
from studio.erd.dot import force_directed, note_titles, part_dots, svg_id, to_dot
from studio.erd.layout import render as layout
from studio.erd.layout import render_parts, render_shaped
from studio.erd.mermaid import to_mermaid
from studio.erd.model import Diagram, Relationship, all_relationships, build, compute_domains
from studio.erd.options import Options
from studio.erd.overview import overview_dot as draw
from studio.erd.text import overview_text, to_text
from studio.errors import StudioError

FORMATS = ("dot", "svg", "png", "mermaid", "dbml", "text")
TEXT_FORMATS = ("dot", "svg", "mermaid", "dbml", "text")
OVERVIEW_THRESHOLD = 150  # above this many tables the page opens on the domain overview
# Above this many tables the page does not draw a full diagram (a domain or the whole schema) unless
# asked twice: past it the tables' text is unreadable at any zoom that shows a useful part of it
POSTER_LIMIT = 150
MEDIA_TYPES = {
    "dot": ("text/vnd.graphviz", "gv"),
    "svg": ("image/svg+xml", "svg"),
    "png": ("image/png", "png"),
    "mermaid": ("text/plain", "mmd"),
    "dbml": ("text/plain", "dbml"),
    "text": ("text/plain", "txt"),
}

__all__ = [
    "FORMATS",
    "POSTER_LIMIT",
    "Diagram",
    "Domain",
    "Options",
    "Relationship",
    "build",
    "close_names",
    "compute_domains",
    "domain_edges",
    "find_domains",
    "overview_dot",
    "render",
    "render_overview",
    "overview_targets",
    "require_table",
    "svg_targets",
]


def render(diagram: Diagram, fmt: str) -> str | bytes:
    """The diagram in one format: text for dot/mermaid/dbml/text/svg, bytes for png."""
    if fmt == "dot":
        return to_dot(diagram)
    if fmt in ("svg", "png"):
        what = f"{len(diagram.tables):,} tables"
        drawers = part_dots(diagram) if fmt == "svg" and not force_directed(len(diagram.tables)) else []
        if len(drawers) > 1 + diagram.options.legend:
            return note_titles(render_parts(drawers, what=what).decode("utf-8"))
        out = render_shaped(to_dot(diagram), fmt, what=what, wrap=partial(to_dot, diagram))
        return note_titles(out.decode("utf-8")) if fmt == "svg" else out
    if fmt == "mermaid":
        return to_mermaid(diagram)
    if fmt == "dbml":
        return to_dbml(diagram)
    if fmt == "text":
        return to_text(diagram)
    raise StudioError(f"ERD format {fmt!r} is unknown: choose one of {', '.join(FORMATS)}")


def domain_edges(domains: tuple[Domain, ...], relationships: list[Relationship]) -> dict[tuple[str, str], int]:
    """Number of relationships from each domain to each other domain."""
    domain_of = {t: d.name for d in domains for t in d.tables}
    counts: Counter = Counter()
    for r in relationships:
        a, b = domain_of.get(r.table), domain_of.get(r.ref_table)
        if a and b and a != b:
            counts[(a, b)] += 1
    return dict(counts)


def overview_dot(catalog: Catalog, options: Options | None = None, domains=None) -> str:
    options = options or Options()
    domains = domains if domains is not None else compute_domains(catalog, options)
    return draw(domains, domain_edges(domains, all_relationships(catalog, options.implied)))


OVERVIEW_FORMATS = ("dot", "svg", "png", "text")


def render_overview(catalog: Catalog, fmt: str, options: Options | None = None, domains=None) -> str | bytes:
    """The domain overview (one node per domain) as DOT, SVG, PNG or text."""
    options = options or Options()
    domains = domains if domains is not None else compute_domains(catalog, options)
    if fmt == "text":
        return overview_text(domains, domain_edges(domains, all_relationships(catalog, options.implied)))
    if fmt not in OVERVIEW_FORMATS:
        raise StudioError(f"the domain overview is drawn as {', '.join(OVERVIEW_FORMATS)}, not {fmt}")
    dot = overview_dot(catalog, options, domains)
    if fmt == "dot":
        return dot

    out = layout(dot, fmt, what=f"the overview of {len(domains):,} domains")
    return out.decode("utf-8") if fmt == "svg" else out


def close_names(catalog: Catalog, name: str, n: int = 3) -> list[str]:
    candidates = [t.qualified for t in catalog.tables if t.kind != "partition"]
    return difflib.get_close_matches(name, candidates, n=n, cutoff=0.5) or difflib.get_close_matches(
        name, [c.partition(".")[2] for c in candidates], n=n, cutoff=0.5
    )


def require_table(catalog: Catalog, name: str) -> str:
    """The schema-qualified name of a table given as `schema.table` or a unique bare name."""
    table = catalog.resolve(name)
    if table is not None and table.kind != "partition":
        return table.qualified
    if table is not None:
        return table.partition_of or table.qualified
    suggestions = close_names(catalog, name)
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else "; `schema-studio inspect` lists the tables"
    raise StudioError(f"table {name!r} is not in this schema{hint}")


def svg_targets(diagram: Diagram) -> dict[str, str]:
    """SVG node id -> what a click on it selects ("table:<schema.table>")."""
    return {svg_id(i): f"table:{t.qualified}" for i, t in enumerate(diagram.tables)}


def overview_targets(domains) -> dict[str, str]:
    return {svg_id(i, "d"): f"domain:{d.name}" for i, d in enumerate(domains)}
