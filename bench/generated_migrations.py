"""Benchmark and long property run: migrations proven on many generated schemas with rows.

    .venv/bin/python bench/generated_migrations.py [--examples 40] [--seed 1] [--fixes default "named guesses"]

Hypothesis draws `--examples` shapes (tests/schemagen.py); each is exported, verified and run ups -> downs -> ups
on a scratch copy under no design and every tenancy model (tests/migration_proof.py), with every row accounted
for. Nothing shrinks here: each failure is printed with its shape, to become a regression case in
tests/test_generated_migrations.py (CI proves a fixed seed list of shapes there).

Time per proof is reported as a ratio against a baseline measured in the same run on the same shapes: loading
the shape's DDL with its rows into a sandbox, the least any proof does. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SCHEMA_STUDIO_HOME", str(ROOT / ".schema-studio"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from studio.sources import ddl  # noqa: E402
from tests.migration_proof import FIXES, MODELS, prove  # noqa: E402
from tests.schemagen import shapes  # noqa: E402

EVERY_MODEL = (None, *MODELS)


def _load_seconds(shape) -> float:
    started = time.perf_counter()
    ddl.load_text(shape.sql(), filename="generated schema").drop()
    return time.perf_counter() - started


def run(examples: int, random_seed: int, fixes: list[str]) -> tuple[dict, list[str], list[float]]:
    times: dict[tuple[str, str], list[float]] = {}
    failures: list[str] = []
    baseline: list[float] = []
    folder = Path(tempfile.mkdtemp(prefix="generated-migrations-"))

    @seed(random_seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(shape=shapes())
    def one(shape):
        baseline.append(_load_seconds(shape))
        for fix in fixes:
            for model in EVERY_MODEL:
                started = time.perf_counter()
                proof = prove(shape, model, fix, folder / f"p{len(baseline)}")
                times.setdefault((model or "no design", fix), []).append(time.perf_counter() - started)
                if not proof.ok:
                    failures.append(proof.text())
                    print(f"FAILED {proof.text()}", file=sys.stderr, flush=True)

    one()
    return times, failures, baseline


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40, help="generated shapes (each under every model)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fixes", nargs="+", default=list(FIXES), choices=list(FIXES))
    args = parser.parse_args()
    started = time.perf_counter()
    times, failures, baseline = run(args.examples, args.seed, args.fixes)
    load = statistics.median(baseline)
    print(f"{len(baseline)} shapes (seed {args.seed}); baseline: loading a shape with its rows, median {load:.2f} s\n")
    print("| model | fixes | proofs | median s | x baseline |")
    print("|---|---|---:|---:|---:|")
    for (model, fix), seconds in sorted(times.items()):
        median = statistics.median(seconds)
        print(f"| {model} | {fix} | {len(seconds)} | {median:.2f} | {median / load:.1f} |")
    proofs = sum(len(s) for s in times.values())
    print(f"\n{proofs} proofs, {len(failures)} failed, {time.perf_counter() - started:.0f} s in all")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
