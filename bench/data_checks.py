"""Benchmark: the studio's orphan check against NOT IN and a client-side check, same run, same data.

A child table of 10,000,000 rows with 0.1% orphans against a parent of 100,000 rows, in the
embedded PostgreSQL. Each contender runs in its own Python subprocess so its peak RSS is its own.

    .venv/bin/python bench/data_checks.py [--rows 10000000] [--parents 100000] [--not-in-timeout 120]
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

CHILD, PARENT, COLUMN = "public.readings", "public.sensors", "sensor_id"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


# Contenders (each runs in a fresh subprocess) ---------------------------------------------------


def studio(url: str, exact: bool, _timeout: float) -> dict:
    from analyzers.data import DataOptions
    from analyzers.data_run import run_data_checks
    from analyzers.engine import AnalysisConfig
    from studio.db import reader
    from studio.sources import postgres

    catalog = postgres.introspect(url)
    before = peak_rss_mb()
    started = time.perf_counter()
    run = run_data_checks(
        catalog,
        reader(url),
        config=AnalysisConfig(only=frozenset({"orphaned-rows"})),
        options=DataOptions(exact=exact, statement_timeout_s=600, budget_s=1200),
    )
    seconds = time.perf_counter() - started
    [finding] = [f for f in run.findings if f.table == CHILD]
    details = dict(finding.details)
    return {
        "seconds": seconds,
        "orphans": details["count"],
        "checked": details["checked"],
        "sampled": details["sample_percent"],
        "rss_before_mb": before,
    }


def not_in(url: str, _exact: bool, timeout: float) -> dict:
    import psycopg

    sql = f"SELECT count(*) FROM {CHILD} WHERE {COLUMN} IS NOT NULL AND {COLUMN} NOT IN (SELECT id FROM {PARENT})"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET statement_timeout = {int(timeout * 1000)}")
        before = peak_rss_mb()
        started = time.perf_counter()
        try:
            (orphans,) = conn.execute(sql).fetchone()
        except psycopg.errors.QueryCanceled:
            return {"seconds": None, "timed_out": timeout, "rss_before_mb": before}
        return {"seconds": time.perf_counter() - started, "orphans": orphans, "rss_before_mb": before}


def client(url: str, _exact: bool, _timeout: float) -> dict:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        before = peak_rss_mb()
        started = time.perf_counter()
        parents = {row[0] for row in conn.execute(f"SELECT id FROM {PARENT}")}
        children = [
            row[0] for row in conn.execute(f"SELECT {COLUMN} FROM {CHILD} WHERE {COLUMN} IS NOT NULL")
        ]
        orphans = sum(1 for value in children if value not in parents)
        return {"seconds": time.perf_counter() - started, "orphans": orphans, "rss_before_mb": before}


CONTENDERS = {"studio": studio, "studio-sampled": studio, "not-in": not_in, "client": client}


def contender_main(name: str, url: str, timeout: float) -> None:
    result = CONTENDERS[name](url, name != "studio-sampled", timeout)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


# Driver -----------------------------------------------------------------------------------------


def build(url: str, rows: int, parents: int) -> None:
    import psycopg

    every = 1000  # 0.1% orphans
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {PARENT} (id integer PRIMARY KEY, name text NOT NULL)")
        conn.execute(f"INSERT INTO {PARENT} SELECT g, 'sensor ' || g FROM generate_series(1, {parents}) AS g")
        conn.execute(f"CREATE TABLE {CHILD} (id bigint PRIMARY KEY, {COLUMN} integer NOT NULL, value real)")
        conn.execute(
            f"INSERT INTO {CHILD} SELECT g, CASE WHEN g % {every} = 0 THEN {parents} + g "
            f"ELSE g % {parents} + 1 END, random() FROM generate_series(1, {rows}) AS g"
        )
        conn.execute(f"VACUUM ANALYZE {PARENT}")
        conn.execute(f"VACUUM ANALYZE {CHILD}")


def run_contender(name: str, url: str, timeout: float) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--contender", name, "--url", url, "--not-in-timeout", str(timeout)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    """The fastest run, with the highest peak RSS seen in any run."""
    timed = [r for r in runs if r.get("seconds") is not None]
    if not timed:
        return runs[0]
    chosen = dict(min(timed, key=lambda r: r["seconds"]))
    chosen["peak_rss_mb"] = max(r["peak_rss_mb"] for r in timed)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--parents", type=int, default=100_000)
    parser.add_argument("--not-in-timeout", type=float, default=120.0)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per contender, interleaved; the best counts"
    )
    parser.add_argument("--contender", choices=sorted(CONTENDERS))
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.contender:
        contender_main(args.contender, args.url, args.not_in_timeout)
        return

    from studio.sources import embedded

    with embedded.scratch_database("bench") as name:
        url = embedded.admin_url(name)
        started = time.perf_counter()
        build(url, args.rows, args.parents)
        print(
            f"data: {args.rows:,} child rows ({args.rows // 1000:,} orphans), {args.parents:,} parents; "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        runs: dict[str, list[dict]] = {name: [] for name in CONTENDERS}
        for _ in range(args.repeat):  # interleaved, so a burst of load elsewhere hits every contender
            for name in CONTENDERS:
                runs[name].append(run_contender(name, url, args.not_in_timeout))
        results = {name: best(found) for name, found in runs.items()}
    baseline = results["client"].get("seconds")
    load = os.getloadavg()[0]
    print(f"best of {args.repeat} interleaved runs each; load average {load:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'contender':<16} {'seconds':>9} {'vs client':>10} {'orphans':>9} {'peak RSS MB':>12} {'(at start)':>11}"
    )
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<16} failed: {r['error']}")
            continue
        if r.get("seconds") is None:
            print(f"{name:<16} {'timed out after ' + format(r['timed_out'], 'g') + ' s':>30}")
            continue
        ratio = f"{baseline / r['seconds']:.1f}x" if baseline else "-"
        extra = (
            f"  (sampled at {r['sampled']:g}% of pages, {r['checked']:,} rows)" if r.get("sampled") else ""
        )
        print(
            f"{name:<16} {r['seconds']:>9.2f} {ratio:>10} {r['orphans']:>9,} "
            f"{r['peak_rss_mb']:>12.0f} {r['rss_before_mb']:>11.0f}{extra}"
        )


if __name__ == "__main__":
    main()
