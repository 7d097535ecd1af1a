"""What a bundle does to rows is said first: the README opens with the rows each step quarantined on the scratch
copy, and `--max-quarantine N` refuses a bundle that would move more."""

from __future__ import annotations

import zipfile

from studio.cli import main
from tests.migration_proof import decisions_for
from tests.schemagen import Shape

SHAPE = Shape(naming="pascal", cross_tenant=1, nulls=1)  # one task of another tenant's project, one without a tenant


def _files(tmp_path):
    schema = tmp_path / "schema.sql"
    schema.write_text(SHAPE.sql(), encoding="utf-8")
    design = tmp_path / "design.toml"
    design.write_text(decisions_for(SHAPE, "rls").to_toml(), encoding="utf-8")
    return str(schema), str(design)


def test_readme_opens_with_the_rows_each_step_quarantines(tmp_path):
    schema, design = _files(tmp_path)
    out = tmp_path / "bundle.zip"
    assert main(["export", "--ddl", schema, "--decisions", design, "--max-quarantine", "2", "-o", str(out)]) == 0
    readme = zipfile.ZipFile(out).read("README.md").decode()
    first = readme.split("\n## ")[1]
    assert first.startswith("Rows this bundle moves"), readme[:400]
    assert "moved 2 rows" in first
    rows = [line for line in first.splitlines() if line.startswith("| 0")]
    assert any('quarantine rows of public.Task that' in line and line.endswith("| 1 |") for line in rows), first
    assert any('empty TenantId on public.Task' in line and line.endswith("| 1 |") for line in rows), first


def test_max_quarantine_refuses_a_bundle_that_moves_more(tmp_path, capsys):
    schema, design = _files(tmp_path)
    out = tmp_path / "bundle.zip"
    assert main(["export", "--ddl", schema, "--decisions", design, "--max-quarantine", "1", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "would quarantine 2 rows" in err and "--max-quarantine 1" in err
    assert not out.exists()


def test_max_quarantine_without_verification_is_bad_input(tmp_path, capsys):
    schema, design = _files(tmp_path)
    assert main(["export", "--ddl", schema, "--no-verify", "--max-quarantine", "0", "-o", str(tmp_path / "b.zip")]) == 2
    assert "--max-quarantine needs" in capsys.readouterr().err
