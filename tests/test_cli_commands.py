"""The `schema-studio` entry point: every command reachable, and a run importing only its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from studio.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "studio.cli", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    missing = [name for name in COMMANDS if name not in out.stdout]
    assert missing == [], f"--help leaves out {missing}:\n{out.stdout}"


def test_an_unknown_command_exits_2_naming_the_known_ones():
    out = subprocess.run([sys.executable, "-m", "studio.cli", "inpsect"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2
    assert "invalid choice: 'inpsect'" in out.stderr and "inspect" in out.stderr and "export" in out.stderr


def test_a_command_imports_only_its_own_module():
    # `inspect` on 5,000 tables is a 1-2 s process: importing the planner, analyzers and ERD for
    # every run cost it 0.8 s
    probe = _python(
        "import sys\n"
        "from studio.cli import build_parser\n"
        "args = build_parser(['-v', 'inspect', '--demo']).parse_args(['-v', 'inspect', '--demo'])\n"
        "print(args.command, sorted(m for m in sys.modules if m.startswith('studio.commands.')))\n"
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["inspect", "['studio.commands.common',", "'studio.commands.inspect']"]
