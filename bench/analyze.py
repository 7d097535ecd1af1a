"""Benchmark: all static rules vs introspection on the synthetic catalogs, in the same run.

    .venv/bin/python bench/analyze.py [--sizes 1000 5000] [--repeat 3]

Targets: analysis faster than introspection, and linear growth (analyze time per table at
5,000 tables close to that at 1,000). Prints a Markdown table.

The machine may be shared, so wall times are noisy: each size is introspected and analyzed
`--repeat` times, alternating, and the best of each is kept. Every analysis reads the catalog
of the introspection just before it (fresh objects, nothing cached from an earlier run). The
rule modules are imported and run once on an empty catalog before timing, so no size pays for
the imports. Analysis CPU time (process_time) is printed too: it is what load changes least.

Fixes of the high-volume rules are rendered when first read (a studio page shows a few dozen of
tens of thousands); "+ every fix" is the analysis plus reading every finding's fix, as the JSON,
SARIF and Markdown outputs do. "calls per table" counts Python function calls (cProfile, in a run
of its own): equal counts per table at both sizes mean the work is linear, so any remaining growth
of time per table is the memory hierarchy (a larger working set), not the algorithms. For scale,
the same run times a minimal linear pass over each catalog (every column into a dict, every
foreign key looked up in it) and prints its growth too.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("SCHEMA_STUDIO_HOME", str(ROOT / ".schema-studio"))

from synthetic import create_synthetic  # noqa: E402

from analyzers.engine import analyze  # noqa: E402
from studio.catalog import Catalog  # noqa: E402
from studio.sources import embedded, postgres  # noqa: E402


def reference_pass(catalog: Catalog) -> float:
    """CPU seconds of the least a rule could do: one dict entry per column, one lookup per foreign key."""
    start = time.process_time()
    seen: dict = {}
    for table in catalog.tables:
        for column in table.columns:
            seen[(table.qualified, column.name)] = column.type
        for fk in table.foreign_keys:
            seen.get((fk.ref_table, fk.ref_columns[0]))
    return time.process_time() - start


def measure(n: int, repeat: int) -> dict:
    best: dict = {}
    with embedded.scratch_database("bench_analyze") as name:
        create_synthetic(name, n)
        for _ in range(repeat):
            start = time.perf_counter()
            catalog = postgres.introspect(embedded.admin_url(name))
            introspect_s = time.perf_counter() - start
            start, cpu = time.perf_counter(), time.process_time()
            report = analyze(catalog)
            analyze_s, analyze_cpu = time.perf_counter() - start, time.process_time() - cpu
            start = time.perf_counter()
            sum(len(f.fix) for f in report.findings)
            with_fixes_s = analyze_s + time.perf_counter() - start
            best = {
                "tables": len(catalog.tables),
                "introspect": min(introspect_s, best.get("introspect", introspect_s)),
                "analyze": min(analyze_s, best.get("analyze", analyze_s)),
                "analyze_cpu": min(analyze_cpu, best.get("analyze_cpu", analyze_cpu)),
                "with_fixes": min(with_fixes_s, best.get("with_fixes", with_fixes_s)),
                "findings": len(report.findings),
            }
            del catalog, report
        catalog = postgres.introspect(embedded.admin_url(name))
        best["reference"] = min(reference_pass(catalog) for _ in range(max(5, repeat)))
        profile = cProfile.Profile()
        profile.runcall(analyze, catalog)
        best["calls"] = pstats.Stats(profile).total_calls
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best of each is kept")
    args = parser.parse_args()
    analyze(Catalog())  # import and register the rules before timing anything
    rows = [measure(n, max(1, args.repeat)) for n in args.sizes]
    print(
        "| tables | introspect s | analyze s | analyze / introspect | analyze ms per table"
        " | analyze CPU s | CPU ms per table | + every fix s | calls per table | findings |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['tables']:,} | {r['introspect']:.2f} | {r['analyze']:.2f} | {r['analyze'] / r['introspect']:.2f}"
            f" | {1000 * r['analyze'] / r['tables']:.3f} | {r['analyze_cpu']:.2f}"
            f" | {1000 * r['analyze_cpu'] / r['tables']:.3f} | {r['with_fixes']:.2f}"
            f" | {r['calls'] / r['tables']:.0f} | {r['findings']:,} |"
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        for label, key in (("wall time", "analyze"), ("CPU time", "analyze_cpu"), ("function calls", "calls"),
                           ("CPU time of the minimal linear pass, for scale", "reference")):
            growth = (last[key] / last["tables"]) / (first[key] / first["tables"])
            print(
                f"\nper-table analyze {label}, {last['tables']:,} vs {first['tables']:,} tables:"
                f" x{growth:.2f} (1.0 = linear)"
            )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nbest of {args.repeat} runs per size; load average {load} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
