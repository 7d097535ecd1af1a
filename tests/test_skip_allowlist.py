"""A skip whose reason is not on tests/skip_allowlist.txt fails the run; an allowed one is printed with its reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.skip_allowlist import read_allowlist

ROOT = Path(__file__).resolve().parent.parent
CONFTEST = """
from tests import skip_allowlist

def pytest_configure(config):
    skip_allowlist.register(config)
"""


def run_pytest(tmp_path: Path, body: str, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_sample.py").write_text("import pytest\n\n" + body)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args, str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_an_unlisted_skip_fails_the_run_and_is_named(tmp_path):
    done = run_pytest(tmp_path, "def test_quiet():\n    pytest.skip('the moon is full')\n")
    assert done.returncode == 1, done.stdout
    assert "NOT ALLOWED: test_sample.py::test_quiet: the moon is full" in done.stdout


def test_an_allowed_skip_passes_and_is_printed_with_its_reason(tmp_path):
    entry = read_allowlist()[0]
    done = run_pytest(tmp_path, f"def test_allowed():\n    pytest.skip({entry.reason!r} + ' here')\n")
    assert done.returncode == 0, done.stdout
    assert f"allowed (1 skipped): {entry.reason} -- {entry.why}" in done.stdout


def test_the_guard_judges_skips_from_xdist_workers(tmp_path):
    done = run_pytest(tmp_path, "def test_quiet():\n    pytest.skip('no reason given')\n", "-n", "2")
    assert done.returncode == 1, done.stdout
    assert "NOT ALLOWED: test_sample.py::test_quiet: no reason given" in done.stdout


def test_a_skipif_mark_is_judged_too(tmp_path):
    done = run_pytest(tmp_path, "@pytest.mark.skipif(True, reason='tool missing')\ndef test_marked():\n    pass\n")
    assert done.returncode == 1, done.stdout
    assert "NOT ALLOWED: test_sample.py::test_marked: tool missing" in done.stdout
