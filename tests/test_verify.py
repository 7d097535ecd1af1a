"""The CLI: export writes a verified bundle; verify re-proves it; a failing bundle exits 1."""

from __future__ import annotations

from studio.cli import main


def test_export_and_verify_cli_on_demo(tmp_path, capsys):
    bundle = tmp_path / "bundle.zip"
    assert main(["export", "--demo", "--fix", "unindexed-foreign-key,implied-foreign-key", "-o", str(bundle)]) == 0
    assert bundle.exists()
    assert main(["verify", str(bundle), "--demo"]) == 0
    out = capsys.readouterr().out
    assert "PASS  claimed fixes are gone" in out and "verification FAILED" not in out


def test_no_verify_is_stated_in_readme(tmp_path):
    from studio.bundle.manifest import read_bundle

    bundle = tmp_path / "b.zip"
    assert main(["export", "--demo", "--fix", "none", "--no-verify", "-o", str(bundle)]) == 0
    assert "NOT VERIFIED" in read_bundle(bundle.read_bytes())["README.md"].decode()


def test_verify_of_a_missing_file_is_one_line(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nope.zip"), "--demo"]) == 2
    err = capsys.readouterr().err
    assert "nope.zip: cannot read it" in err and "Traceback" not in err


def test_a_bundle_short_of_the_design_target_fails_verify():
    """Drop the swap from a partitioning bundle: every script still runs both ways, but the target is not reached."""
    from studio.bundle.manifest import read_bundle, write_bundle
    from studio.bundle.verify import verify
    from studio.design.decisions import Decisions, Partition
    from studio.migrate.export import build_export
    from studio.sources import open_source

    decisions = Decisions(partitions=(Partition("public.dtc_occurrences", "range", "occurred_at", "month"),))
    export = build_export(open_source(demo=True), accepted="none", decisions=decisions, run_verify=False)
    files = {n: d for n, d in read_bundle(export.data).items() if n != "MANIFEST" and "_contract_" not in n}
    result = verify(write_bundle(files), demo=True)
    check = next(c for c in result.checks if c.name == "migrated schema equals the design target")
    assert not check.ok and "public.dtc_occurrences: table, the target has a partitioned_table" in check.detail, check.detail
    assert all(c.ok for c in result.checks if c is not check), result.text()


def test_policy_expressions_compare_as_postgresql_stores_them():
    from studio.migrate.target_check import normalized

    written = "tenant_id = current_setting('app.tenant_id')::bigint"
    stored = "(tenant_id = (current_setting('app.tenant_id'::text))::bigint)"
    assert normalized(written) == normalized(stored)
    assert normalized(written) != normalized("tenant_id = current_setting('app.user_id')::bigint")


def test_target_check_compares_key_backing_indexes():
    """A primary key's index keyed differently from the target's is a difference (no tolerance for
    stale constraint indexes any more); an exclusion constraint's index is not compared."""
    from studio.catalog import ExclusionConstraint, Index, IndexKey, PrimaryKey, Table
    from studio.migrate.target_check import table_differences

    def table(pkey_columns: tuple[str, ...], exclusion_keys: tuple[str, ...]) -> Table:
        return Table(
            "public", "t", primary_key=PrimaryKey("t_pkey", ("tenant_id", "id")),
            exclusions=(ExclusionConstraint("t_excl", "EXCLUDE USING gist (...)"),),
            indexes=(
                Index("t_pkey", tuple(IndexKey(c, c) for c in pkey_columns), unique=True, primary=True, constraint="t_pkey"),
                Index("t_excl", tuple(IndexKey(c) for c in exclusion_keys), constraint="t_excl", method="gist"),
            ),
        )

    target = table(("tenant_id", "id"), ("int8range(id, id, '[]')",))
    assert table_differences(target, table(("tenant_id", "id"), ("spelled differently",))) == []
    stale = table_differences(target, table(("id",), ("int8range(id, id, '[]')",)))
    assert len(stale) == 1 and "indexes differ" in stale[0], stale
