"""Benchmark: studio introspection vs SQLAlchemy reflection, on synthetic schemas.

    .venv/bin/python bench/introspect.py [--sizes 1000 5000] [--repeat 3]

For each size, a fresh database on the embedded server gets the synthetic schema
(bench/synthetic.py), then each contender runs in its own subprocess (so peak memory,
resource.getrusage maxrss, is its own): `introspect()`, SQLAlchemy `MetaData().reflect()`,
and SQLAlchemy 2's bulk inspector (`get_multi_*`). Time is the best of --repeat runs of
the call itself (imports and interpreter start excluded); ratios are against the studio in
the same run. At the largest size it also times whole processes, as a user runs them:
`schema-studio inspect --dsn URL --format json` against a Python process that only runs
SQLAlchemy's bulk inspector on the same database (interpreter start, imports and connect
included for both; the inspector process writes nothing, which favours it). Prints Markdown
tables.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SCHEMA_STUDIO_HOME", str(ROOT / ".schema-studio"))

CONTENDERS = ("studio", "sqlalchemy_reflect", "sqlalchemy_bulk")


def _sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def run_contender(name: str, url: str, schema: str) -> dict:
    """Runs in the child process: one timed call, then counts and peak memory."""
    if name == "studio":
        from studio.sources import postgres

        start = time.perf_counter()
        catalog = postgres.introspect(url)
        elapsed = time.perf_counter() - start
        count = len([t for t in catalog.tables if t.schema == schema])
    else:
        import sqlalchemy as sa

        engine = sa.create_engine(_sqlalchemy_url(url))
        with engine.connect() as conn:  # connect outside the timing, as the studio's connect is tiny
            conn.execute(sa.text("SELECT 1"))
        start = time.perf_counter()
        if name == "sqlalchemy_reflect":
            sys.setrecursionlimit(100_000)  # reflect() follows each foreign-key chain by recursion
            metadata = sa.MetaData()
            metadata.reflect(engine, schema=schema)
            count = len(metadata.tables)
        else:
            insp = sa.inspect(engine)
            columns = insp.get_multi_columns(schema=schema)
            insp.get_multi_pk_constraint(schema=schema)
            insp.get_multi_foreign_keys(schema=schema)
            insp.get_multi_indexes(schema=schema)
            insp.get_multi_unique_constraints(schema=schema)
            count = len(columns)
        elapsed = time.perf_counter() - start
        engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": elapsed, "peak_mb": peak_mb, "tables": count}


def measure_all(url: str, schema: str, repeat: int) -> dict[str, dict]:
    """Best time of `repeat` rounds; each round runs every contender once, in turn, so a
    passing load on the machine hits them alike. Peak memory is the largest seen."""
    best: dict[str, dict] = {}
    for _ in range(repeat):
        for name in CONTENDERS:
            out = subprocess.run(
                [sys.executable, __file__, "--child", name, "--url", url, "--schema", schema],
                capture_output=True,
                text=True,
            )
            if out.returncode:
                if name == "studio":
                    raise SystemExit(f"the studio's introspection failed:\n{out.stderr[-3000:]}")
                best[name] = {"error": out.stderr.strip().splitlines()[-1][:120]}
                continue
            if "error" in best.get(name, {}):
                continue
            result = json.loads(out.stdout.strip().splitlines()[-1])
            previous = best.get(name)
            if previous is None or result["seconds"] < previous["seconds"]:
                best[name] = {**result, "peak_mb": max(result["peak_mb"], (previous or {}).get("peak_mb", 0))}
            else:
                previous["peak_mb"] = max(previous["peak_mb"], result["peak_mb"])
    return best


def _wall_seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def process_wall_times(url: str, schema: str, repeat: int) -> dict[str, float]:
    """Best wall time of `repeat` rounds of each whole process, run in turn each round."""
    commands = {
        "schema-studio inspect --format json": [
            str(Path(sys.executable).with_name("schema-studio")),
            "inspect", "--dsn", url, "--format", "json", "-o", os.devnull,
        ],
        "python + SQLAlchemy bulk inspector": [
            sys.executable, __file__, "--child", "sqlalchemy_bulk", "--url", url, "--schema", schema,
        ],
    }
    best: dict[str, float] = {}
    for _ in range(repeat):
        for name, command in commands.items():
            best[name] = min(best.get(name, float("inf")), _wall_seconds(command))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--schema", default="synth")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_contender(args.child, args.url, args.schema)))
        return

    from bench.synthetic import SCHEMA, create_synthetic, expected_counts
    from studio.sources import embedded

    rows = []
    processes: dict[str, float] = {}
    for size in args.sizes:
        with embedded.scratch_database("bench") as db:
            url = embedded.admin_url(db)
            start = time.perf_counter()
            create_synthetic(db, size)
            print(f"[{size} tables created in {time.perf_counter() - start:.1f} s]", file=sys.stderr)
            results = measure_all(url, SCHEMA, args.repeat)
            expected = expected_counts(size)["tables"]
            if results["studio"]["tables"] != expected:
                raise SystemExit(f"studio read {results['studio']['tables']} tables, expected {expected}")
            rows.append((size, results))
            if size == max(args.sizes):
                processes = process_wall_times(url, SCHEMA, args.repeat)

    print("| tables | contender | time (s) | x studio | peak RSS (MB) | tables read |")
    print("|---:|---|---:|---:|---:|---:|")
    for size, results in rows:
        base = results["studio"]["seconds"]
        for name in CONTENDERS:
            r = results[name]
            if "error" in r:
                print(f"| {size:,} | {name} | failed: {r['error']} | | | |")
                continue
            print(
                f"| {size:,} | {name} | {r['seconds']:.2f} | {r['seconds'] / base:.1f}x "
                f"| {r['peak_mb']:.0f} | {r['tables']:,} |"
            )
    if processes:
        baseline = processes["python + SQLAlchemy bulk inspector"]
        print(f"\nWhole processes at {max(args.sizes):,} tables (wall time, best of {args.repeat}):\n")
        print("| process | wall time (s) | speed-up vs SQLAlchemy bulk |")
        print("|---|---:|---:|")
        for name, seconds in processes.items():
            print(f"| {name} | {seconds:.2f} | {baseline / seconds:.1f}x |")


if __name__ == "__main__":
    main()
