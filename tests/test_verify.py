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
    from studio.bundle import read_bundle

    bundle = tmp_path / "b.zip"
    assert main(["export", "--demo", "--fix", "none", "--no-verify", "-o", str(bundle)]) == 0
    assert "NOT VERIFIED" in read_bundle(bundle.read_bytes())["README.md"].decode()


def test_verify_of_a_missing_file_is_one_line(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nope.zip"), "--demo"]) == 2
    err = capsys.readouterr().err
    assert "nope.zip: cannot read it" in err and "Traceback" not in err
