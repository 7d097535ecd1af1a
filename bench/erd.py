"""ERD benchmark: the overview (domains, DOT, layout), the full diagram and a depth-2 focus at 1,000 and
5,000 tables, keys-only diagrams at 150, 400 and 500, with each picture's size in points and its aspect
ratio (width / height; full diagrams must stay within 1:3 .. 3:1).

Synthetic catalogs are built in Python with the shape of bench/synthetic.py (8 columns, foreign
keys to table i-1 and i/2), so no database is needed beyond the demo. Ratios are against the
demo's full diagram measured in the same run. The engine column is the Graphviz layout the DOT
names (studio/erd/dot.py `layout_attributes`: dot up to 200 tables, sfdp past that). Full diagrams
and focuses are timed as the page draws them (`studio.erd.render(..., "svg")`: unconnected parts
packed, a strip re-laid out or its ranks wrapped); the layout column is that whole call.

    .venv/bin/python bench/erd.py [--skip-1000-full]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.catalog import Catalog, Column, ForeignKey, Index, IndexKey, PrimaryKey, Schema, Table  # noqa: E402
from studio.erd import Options, build, compute_domains, overview_dot, render  # noqa: E402
from studio.erd.layout import render as layout  # noqa: E402
from studio.errors import StudioError  # noqa: E402

SCHEMA = "synth"


def synthetic_catalog(n: int) -> Catalog:
    tables = []
    for i in range(1, n + 1):
        name = f"t{i:05d}"
        ref_a, ref_b = f"t{max(1, i - 1):05d}", f"t{max(1, i // 2):05d}"
        tables.append(
            Table(
                SCHEMA,
                name,
                columns=(
                    Column("id", "bigint", nullable=False, identity="by default"),
                    Column("tenant_id", "integer", nullable=False),
                    Column("a_id", "bigint"),
                    Column("b_id", "bigint"),
                    Column("name", "text", nullable=False),
                    Column("status", "character varying(20)"),
                    Column("amount", "numeric(12,2)"),
                    Column("created_at", "timestamp with time zone", nullable=False),
                ),
                primary_key=PrimaryKey(f"{name}_pkey", ("id",)),
                foreign_keys=(
                    ForeignKey(f"{name}_a_id_fkey", ("a_id",), f"{SCHEMA}.{ref_a}", ("id",)),
                    ForeignKey(f"{name}_b_id_fkey", ("b_id",), f"{SCHEMA}.{ref_b}", ("id",), on_delete="CASCADE"),
                ),
                indexes=(Index(f"{name}_pkey", (IndexKey("id", "id"),), unique=True, primary=True),),
            )
        )
    return Catalog(tables=tuple(tables), schemas=(Schema(SCHEMA),))


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


LAYOUT_LIMIT_S = 30.0  # a layout slower than this is reported as "> limit" (the page never asks for one)


def engine(dot: str) -> str:
    return "sfdp" if "layout=sfdp" in dot else "dot"


_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"')


def picture(svg: str | None) -> str:
    """The picture's size in points, width x height, from the SVG's root element."""
    match = _SIZE.search(svg or "")
    return f"{float(match.group(1)):,.0f}x{float(match.group(2)):,.0f}" if match else "-"


def ratio(svg: str | None) -> str:
    match = _SIZE.search(svg or "")
    return f"{float(match.group(1)) / float(match.group(2)):.2f}" if match else "-"


def laid_out(draw) -> tuple[float | None, str, str]:
    try:
        layout_s, svg = timed(draw)
    except StudioError:
        return None, "-", "-"
    svg = svg if isinstance(svg, str) else svg.decode()
    return layout_s, picture(svg), ratio(svg)


def measure(catalog: Catalog, options: Options, findings=None) -> tuple[float, float | None, int, str, str, str]:
    build_s, dot = timed(lambda: render(build(catalog, options, findings), "dot"))
    diagram = build(catalog, options, findings)
    layout_s, size, shape = laid_out(lambda: render(diagram, "svg"))
    return build_s, layout_s, len(dot), engine(dot), size, shape


def overview(catalog: Catalog) -> tuple[float, float | None, int, str, str, str]:
    """Domains found, the overview's DOT and its layout: all the page does to show the overview."""
    build_s, dot = timed(lambda: overview_dot(catalog, Options(), compute_domains(catalog)))
    layout_s, size, shape = laid_out(lambda: layout(dot, "svg", timeout=LAYOUT_LIMIT_S))
    return build_s, layout_s, len(dot), engine(dot), size, shape


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-1000-full", action="store_true", help="skip laying out 1,000 tables with all columns")
    args = parser.parse_args()

    from analyzers.engine import analyze
    from studio.sources import demo

    demo_catalog = demo.load().catalog
    findings = analyze(demo_catalog).findings
    rows = []
    rows.append((f"demo ({len(demo_catalog.tables)} tables), all columns",
                 *measure(demo_catalog, Options(), findings)))
    rows.append(("demo, keys only", *measure(demo_catalog, Options(columns="keys"), findings)))
    for n in (150, 400, 500):
        catalog = synthetic_catalog(n)
        rows.append((f"{n:,} tables, keys only", *measure(catalog, Options(columns="keys", cluster="none"))))
    for n in (1000, 5000):
        catalog = synthetic_catalog(n)
        rows.append((f"{n:,} tables: overview", *overview(catalog)))
        if not (n == 1000 and args.skip_1000_full):
            rows.append((f"{n:,} tables: full, keys only", *measure(catalog, Options(columns="keys", cluster="none"))))
        rows.append((f"{n:,} tables: focus depth 2, all columns", *measure(catalog, Options(focus="synth.t00100", depth=2))))
        rows.append((f"{n:,} tables: focus depth 2 on t00002 (hub)", *measure(catalog, Options(focus="synth.t00002", depth=2))))

    base = rows[0][1] + (rows[0][2] or 0)
    print(f"{'case':<44} {'DOT s':>7} {'layout s':>9} {'total s':>8} {'x demo':>7} {'DOT KiB':>8} {'engine':>6} "
          f"{'picture pt':>14} {'w/h':>5}")
    for name, build_s, layout_s, size, used, shape, aspect in rows:
        total = build_s + (layout_s or 0)
        shown = f"> {LAYOUT_LIMIT_S:.0f}" if layout_s is None and size else ("-" if layout_s is None else f"{layout_s:.3f}")
        print(f"{name:<44} {build_s:>7.3f} {shown:>9} {total:>8.3f} {total / base:>7.1f} {size / 1024:>8.0f} {used:>6} "
              f"{shape:>14} {aspect:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
