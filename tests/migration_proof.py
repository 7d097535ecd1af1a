"""Prove one generated schema under one tenancy model and one choice of fixes; say what went wrong.

`prove(shape, model, fixes, folder)` exports the bundle (verified on a scratch copy), then on a fresh scratch
copy runs the ups, the downs and the ups again. After each up pass every row is in its table, a tenant copy
or the quarantine (with a reason); after the downs every table holds exactly its original rows, byte for
byte. It returns the problems found (empty: proven), so the CI test asserts on them and the bench prints them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from studio.bundle.manifest import read_bundle
from studio.bundle.verify import (
    Scratch,
    ScriptFailed,
    bundle_design,
    bypass_row_security,
    row_counts,
    run_script,
    unaccounted_rows,
)
from studio.design.decisions import Decisions, Tenancy
from studio.errors import StudioError
from studio.migrate import quarantine
from studio.migrate.export import build_export
from studio.sources import ddl as ddl_source
from studio.sources import open_source, postgres
from studio.sql import qualified
from tests.schemagen import Shape

MODELS = ("rls", "schema-per-tenant", "database-per-tenant", "hybrid", "citus")
GUESSED = ("implied-foreign-key", "natural-key-not-unique")  # fixes whose rows move only when named
FIXES = {"default": "all", "named guesses": ("all", *GUESSED)}  # the CLI's default, and the guesses named too


@dataclass
class Proof:
    shape: Shape
    model: str | None
    fixes: str
    problems: list[str] = field(default_factory=list)
    steps: int = 0
    quarantined: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        return f"{self.model or 'no design'} / fixes {self.fixes} / {self.shape}:\n  " + "\n  ".join(self.problems)


def decisions_for(shape: Shape, model: str | None) -> Decisions:
    """The design for a tenancy model over the shape's tenant table; None: no design, the fixes alone."""
    if model is None:
        return Decisions()
    return Decisions(tenancy=Tenancy(model=model, tenant_table=shape.qualified("tenant"), tenant_column=shape.tenant_column,
                                     dedicated_tenants=("first",) if model == "hybrid" else ()))


def digests(url: str, catalog) -> dict[str, str]:
    """Each stored table's rows as one md5 over their text, in a stable order: equal digests, equal rows."""
    out = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table in catalog.stored_tables:
            if table.kind == "partitioned_table":
                continue
            name = qualified(table.schema, table.name)
            out[table.qualified] = conn.execute(
                f"SELECT md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '')) FROM ONLY {name} AS r").fetchone()[0]
    return out


def _unreasoned(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass(%s)", (f"{quarantine.SCHEMA}.{quarantine.TABLE}",)).fetchone()[0] is None:
            return 0
        return conn.execute(f"SELECT count(*) FROM {quarantine.quarantine_table()} WHERE coalesce(reason, '') = ''").fetchone()[0]


def prove(shape: Shape, model: str | None, fixes: str, folder: Path) -> Proof:
    import time

    started = time.monotonic()
    proof = Proof(shape, model, fixes)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "schema.sql"
    path.write_text(shape.sql(), encoding="utf-8")
    decisions = decisions_for(shape, model)
    accepted = FIXES[fixes]
    try:
        with open_source(ddl=path) as source:
            export = build_export(source, accepted=accepted, decisions=decisions, decisions_toml=decisions.to_toml(),
                                  verify_source={"ddl": path})
    except StudioError as exc:
        proof.problems.append(f"export refused: {exc}")
        return proof
    proof.steps = len(export.plan.steps)
    if not export.verified.ok:
        proof.problems.append("verification failed:\n    " + export.verified.text().replace("\n", "\n    "))
        return proof
    _up_down_up(export.data, proof)
    proof.seconds = time.monotonic() - started
    return proof


def _up_down_up(bundle: bytes, proof: Proof) -> None:
    files = read_bundle(bundle, "bundle")
    plan = json.loads(files["plan.json"])
    ups = sorted(n for n in files if n.startswith("migrations/") and n.endswith(".up.sql"))
    downs = [n.replace(".up.sql", ".down.sql") for n in reversed(ups)]
    loaded = ddl_source.load_text(proof.shape.sql(), filename="generated schema")
    notices: list[str] = []
    try:
        admin = _admin(loaded)
        original = postgres.introspect(admin)
        counts = row_counts(admin, original)
        before = digests(admin, original)
        bypass_row_security(Scratch(loaded.url, admin))  # as the bundle's README asks
        made, error = bundle_design(files, plan, original)
        if error:
            proof.problems.append(f"the bundle's design cannot be computed: {error}")
            return
        for round_name, names in (("first ups", ups), ("downs", downs), ("second ups", ups)):
            try:
                for name in names:
                    run_script(loaded.url, files[name].decode(), name, notices)
            except ScriptFailed as exc:
                proof.problems.append(f"{round_name}: {exc}")
                return
            if round_name == "downs":
                after = digests(admin, original)
                changed = [t for t, d in before.items() if after.get(t) != d]
                if changed:
                    proof.problems.append(f"downs: rows differ from the original in {', '.join(changed)}")
                continue
            lost = unaccounted_rows(admin, original, counts, made)
            if lost:
                proof.problems.append(f"{round_name}: rows unaccounted for: {'; '.join(lost)}")
            if unreasoned := _unreasoned(admin):
                proof.problems.append(f"{round_name}: {unreasoned} quarantined rows without a reason")
        from studio.bundle.verify import quarantined

        proof.quarantined = sum(quarantined(admin).values())
    finally:
        loaded.drop()


def _admin(loaded) -> str:
    from studio.sources import embedded

    return embedded.admin_url(loaded.database)
