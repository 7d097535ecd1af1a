"""Benchmark: all static rules vs introspection on the synthetic catalogs, in the same run.

    .venv/bin/python bench/analyze.py [--sizes 1000 5000]

Targets: analysis faster than introspection, and linear growth (analyze time per table at
5,000 tables close to that at 1,000). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("SCHEMA_STUDIO_HOME", str(ROOT / ".schema-studio"))

from synthetic import create_synthetic  # noqa: E402

from analyzers.engine import analyze  # noqa: E402
from studio.sources import embedded, postgres  # noqa: E402


def measure(n: int) -> dict:
    with embedded.scratch_database("bench_analyze") as name:
        create_synthetic(name, n)
        start = time.perf_counter()
        catalog = postgres.introspect(embedded.admin_url(name))
        introspect_s = time.perf_counter() - start
        start = time.perf_counter()
        report = analyze(catalog)
        analyze_s = time.perf_counter() - start
    return {
        "tables": len(catalog.tables),
        "introspect": introspect_s,
        "analyze": analyze_s,
        "findings": len(report.findings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    rows = [measure(n) for n in args.sizes]
    print("| tables | introspect s | analyze s | analyze / introspect | analyze ms per table | findings |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['tables']:,} | {r['introspect']:.2f} | {r['analyze']:.2f} | {r['analyze'] / r['introspect']:.2f}"
            f" | {1000 * r['analyze'] / r['tables']:.3f} | {r['findings']:,} |"
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        growth = (last["analyze"] / last["tables"]) / (first["analyze"] / first["tables"])
        print(
            f"\nper-table analyze time, {last['tables']:,} vs {first['tables']:,} tables: x{growth:.2f} (1.0 = linear)"
        )


if __name__ == "__main__":
    main()
