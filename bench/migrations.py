"""Benchmark: export with verification on a scratch copy, the CLI's default fixes, for the demo under every
tenancy model and for corpus schemas.

    .venv/bin/python bench/migrations.py [--corpus pagila-schema.sql coder-dump.sql]

Each case is one whole `schema-studio export` process (as a user runs it); the baseline, measured in the same run,
is the whole `schema-studio inspect` process on the same source (start, load, introspect). Prints a Markdown table
of steps, rows quarantined on the scratch copy, seconds and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CLI = [sys.executable, "-m", "studio.cli"]
MODELS = ("rls", "schema-per-tenant", "database-per-tenant", "hybrid", "citus")
TENANTS = {  # corpus schema -> (tenant table, tenant column), as tests/test_design_matrix.py reads them
    "pagila-schema.sql": ("public.store", "store_id"),
    "coder-dump.sql": ("public.organizations", "organization_id"),
    "lago-api-structure.sql": ("public.organizations", "organization_id"),
}


def _seconds(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(CLI + args, check=True, capture_output=True, cwd=ROOT, env=env)
    return time.perf_counter() - started


def _decisions(folder: Path, label: str, model: str | None) -> list[str]:
    if model is None:
        return []
    path = folder / f"{label}-{model}.toml"
    extra = 'dedicated_tenants = ["Northwind Repair"]\n' if model == "hybrid" else ""
    if label in TENANTS:
        table, column = TENANTS[label]
        extra += f'tenant_table = "{table}"\ntenant_column = "{column}"\n'
    path.write_text(f'[tenancy]\nmodel = "{model}"\n{extra}', encoding="utf-8")
    return ["--decisions", str(path)]


def _bundle_figures(bundle: Path) -> tuple[int, int]:
    """(steps, rows the ups quarantined on the scratch copy), as the bundle's plan.json and README state them."""
    with zipfile.ZipFile(bundle) as archive:
        plan = json.loads(next(archive.read(n) for n in archive.namelist() if n.endswith("plan.json")))
        readme = next(archive.read(n).decode() for n in archive.namelist() if n.endswith("README.md"))
    moved = re.search(r"the ups moved (\d+) rows", readme)
    return len(plan["steps"]), int(moved.group(1)) if moved else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", nargs="*", default=["pagila-schema.sql", "coder-dump.sql"])
    args = parser.parse_args()
    env = {**os.environ, "SCHEMA_STUDIO_HOME": os.environ.get("SCHEMA_STUDIO_HOME", str(ROOT / ".schema-studio"))}
    folder = Path(tempfile.mkdtemp(prefix="bench-migrations-"))
    cases = [(["--demo"], "demo", m) for m in (None, *MODELS)]
    cases += [(["--ddl", str(CORPUS / name)], name, m) for name in args.corpus for m in (None, "rls")]
    baselines: dict[str, float] = {}
    print("| source | design | steps | rows quarantined | export + verify s | x inspect |")
    print("|---|---|---:|---:|---:|---:|")
    for source, label, model in cases:
        if label not in baselines:
            baselines[label] = _seconds(["inspect", *source, "--format", "text", "-o", str(folder / "inspect.txt")], env)
        bundle = folder / f"{label}-{model or 'none'}.zip"
        seconds = _seconds(["export", *source, *_decisions(folder, label, model), "-o", str(bundle)], env)
        steps, quarantined = _bundle_figures(bundle)
        print(f"| {label} | {model or 'no design'} | {steps} | {quarantined} | {seconds:.1f} | "
              f"{seconds / baselines[label]:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
