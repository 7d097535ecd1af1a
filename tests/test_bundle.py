"""MANIFEST: a tampered, missing or added file fails the check before anything runs."""

from __future__ import annotations

import io
import zipfile

from studio.bundle.manifest import check_manifest, read_bundle, write_bundle
from studio.bundle.verify import verify


def _rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_intact_bundle_passes():
    assert check_manifest(read_bundle(write_bundle({"a.sql": "SELECT 1;\n", "b/c.md": "x"}))) == []


def test_tampered_missing_and_added_files_fail():
    files = read_bundle(write_bundle({"a.sql": "SELECT 1;\n", "b.sql": "SELECT 2;\n"}))
    tampered = {**files, "a.sql": b"DROP TABLE important;\n"}
    assert any("a.sql does not match" in p for p in check_manifest(tampered))
    missing = {k: v for k, v in files.items() if k != "b.sql"}
    assert any("b.sql is listed in the MANIFEST but missing" in p for p in check_manifest(missing))
    added = {**files, "evil.sql": b"SELECT 3;"}
    assert any("evil.sql is not in the MANIFEST" in p for p in check_manifest(added))


def test_verify_refuses_a_tampered_bundle_first():
    files = read_bundle(write_bundle({"plan.json": '{"fixed": []}', "migrations/0001_expand_x.up.sql": "SELECT 1;\n"}))
    files["migrations/0001_expand_x.up.sql"] = b"SELECT 2;\n"
    result = verify(_rezip(files), demo=True)
    assert not result.ok
    assert [c.name for c in result.checks] == ["MANIFEST checksums"]
    assert "0001_expand_x.up.sql does not match" in result.checks[0].detail
